"""What a workload sent, as plain Python values, for checking SQL answers independently of
ClickHouse: spans read back from the OTLP requests themselves, turns (traces) and threads
aggregated from them in Python the way the README defines them.

The only values taken from the store are the ones spanhouse computes at ingest and other tests
cover: a span's cost (the price table) and when it was stored (ReceivedAt)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from tests.workload import Export

CATEGORIES = {"chat": "LLM", "execute_tool": "TOOL", "retrieval": "RETRIEVAL", "embeddings": "EMBEDDING",
              "invoke_agent": "AGENT"}
STATUSES = {Status.STATUS_CODE_ERROR: "Error", Status.STATUS_CODE_OK: "Ok", Status.STATUS_CODE_UNSET: "Unset"}
EPOCH = datetime(1970, 1, 1)


@dataclass
class SentSpan:
    tenant: str
    service: str
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    start_ns: int
    end_ns: int
    status: str
    category: str
    model: str
    input_tokens: int | None
    output_tokens: int | None
    cache_read_tokens: int | None
    agent: str
    thread: str
    user: str
    tool: str
    documents: int | None
    cost: float | None = None  # filled from the store: priced at ingest
    received_s: int = 0  # filled from the store: ReceivedAt

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns

    @property
    def total_tokens(self) -> int:
        return (self.input_tokens or 0) + (self.output_tokens or 0)

    @property
    def failed(self) -> bool:
        return self.status == "Error"

    @property
    def unpriced(self) -> bool:
        return self.cost is None and (self.input_tokens is not None or self.output_tokens is not None)

    @property
    def day(self) -> date:
        return day_of(self.start_ns)


@dataclass
class Turn:
    """One trace: what trace_rollup holds for it once merged."""

    tenant: str
    trace_id: str
    spans: list[SentSpan]

    @property
    def thread(self) -> str:
        return max(span.thread for span in self.spans)

    @property
    def user(self) -> str:
        return max(span.user for span in self.spans)

    @property
    def agent(self) -> str:
        named = [(span.start_ns, span.agent) for span in self.spans if span.agent]
        return min(named)[1] if named else ""

    @property
    def started(self) -> int:
        return min(span.start_ns for span in self.spans)

    @property
    def ended(self) -> int:
        return max(span.end_ns for span in self.spans)

    def count(self, category: str) -> int:
        return sum(span.category == category for span in self.spans)

    @property
    def tokens(self) -> int:
        return sum(span.total_tokens for span in self.spans)

    @property
    def cost(self) -> float:
        return sum(span.cost or 0.0 for span in self.spans)

    @property
    def errors(self) -> int:
        return sum(span.failed for span in self.spans)


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def sent_spans(exports: Iterable[Export]) -> list[SentSpan]:
    """Every span of the requests, with the fields the cookbook's queries read."""
    spans = []
    for export in exports:
        for resource_spans in export.request.resource_spans:
            service = next(_value(kv.value) for kv in resource_spans.resource.attributes if kv.key == "service.name")
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attrs = {kv.key: _value(kv.value) for kv in span.attributes}
                    documents = attrs.get("gen_ai.retrieval.documents")
                    spans.append(SentSpan(
                        tenant=export.tenant, service=service, trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(), name=span.name,
                        start_ns=span.start_time_unix_nano, end_ns=span.end_time_unix_nano,
                        status=STATUSES[span.status.code], category=CATEGORIES[attrs["gen_ai.operation.name"]],
                        model=attrs.get("gen_ai.request.model", ""),
                        input_tokens=attrs.get("gen_ai.usage.input_tokens"),
                        output_tokens=attrs.get("gen_ai.usage.output_tokens"),
                        cache_read_tokens=attrs.get("gen_ai.usage.cache_read.input_tokens"),
                        agent=attrs.get("gen_ai.agent.name", ""), thread=attrs.get("gen_ai.conversation.id", ""),
                        user=attrs.get("user.id", ""), tool=attrs.get("gen_ai.tool.name", ""),
                        documents=len(json.loads(documents)) if documents is not None else None))
    return spans


def turns_of(spans: Iterable[SentSpan]) -> list[Turn]:
    by_trace: dict[tuple[str, str], list[SentSpan]] = defaultdict(list)
    for span in spans:
        by_trace[span.tenant, span.trace_id].append(span)
    return [Turn(tenant, trace_id, members) for (tenant, trace_id), members in by_trace.items()]


def thread_of(turns: Iterable[Turn]) -> dict[tuple[str, str], str]:
    """(tenant, trace id) -> the thread the trace belongs to ('' for none)."""
    return {(turn.tenant, turn.trace_id): turn.thread for turn in turns}


def ns(text: str) -> int:
    """A query parameter's UTC time ('2025-11-23 00:00:00') in ns since the epoch."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()) * 10**9


def as_datetime(at_ns: int) -> datetime:
    """How clickhouse-connect returns a DateTime64(9): naive UTC, truncated to microseconds."""
    return EPOCH + timedelta(microseconds=at_ns // 1000)


def day_of(at_ns: int) -> date:
    return as_datetime(at_ns).date()


def hour_of(at_ns: int) -> datetime:
    return as_datetime(at_ns).replace(minute=0, second=0, microsecond=0)


def quantile_exact(values: list[Any], level: float) -> Any:
    """ClickHouse's quantileExact: the element at floor(level * n) of the sorted values."""
    ordered = sorted(values)
    return ordered[min(int(level * len(ordered)), len(ordered) - 1)]
