"""A query API over a seeded workload, for the trace search, thread and timeline tests.

The varied workload (tests/workload.py: three tenants over four days of 2025, late roots) goes
through the real ingest path into one database, then a spanhouse server is started on it for
tenant `acme`: the other tenants' data is there, and must never show. What was sent is kept as
plain Python values (tests/docs/sent.py), with the span attributes as stored, to compute every
expected answer independently of ClickHouse.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from spanhouse.app import INSERT_COLUMNS, normalisation, open_store
from spanhouse.decode.attributes import flatten
from spanhouse.receive.ingest import Ingest
from spanhouse.receive.pools import ThreadEncodePool
from spanhouse.settings import Settings
from spanhouse.store.dedup import SpanDedup
from spanhouse.store.native import TableLayout
from spanhouse.store.writer import BatchWriter
from tests.conftest import RunningServer
from tests.docs.sent import SentSpan, Turn, turns_of
from tests.factories import BASE_NS, export_request, make_span
from tests.workload import Export

TENANT = "acme"


def settings_for(chdb_path: Path, name: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        clickhouse_dsn=f"chdb://{chdb_path}", clickhouse_database=f"{name}_{time.time_ns() % 10**12}",
        otlp_grpc_port=0, otlp_http_port=0, api_port=0, flush_interval_ms=5, decode_processes=0, write_timeout_s=20,
        retention_raw_days=0, retention_minute_days=0, retention_hourly_days=0, retention_daily_days=0,
        default_tenant=TENANT)
    values.update(overrides)
    return Settings(**values)


def store_exports(settings: Settings, exports: list[Export]) -> None:
    """Through the real ingest path, with prices; the late roots after everything else."""
    store = open_store(settings)
    try:
        layout = TableLayout.read(store, "otel_traces", INSERT_COLUMNS)
        with BatchWriter(store, layout, flush_interval_s=0.005) as writer:
            ingest = Ingest({"traces": writer}, ThreadEncodePool({"traces": layout}, normalisation(settings)),
                            write_timeout_s=30, dedup=SpanDedup(900))

            async def send(batch: list[Export]) -> None:
                await asyncio.gather(*(ingest.export("traces", export.request.SerializeToString(), "protobuf",
                                                     export.tenant) for export in batch))

            asyncio.run(send([export for export in exports if not export.late]))
            asyncio.run(send([export for export in exports if export.late]))
    finally:
        store.close()


def span_attributes(exports: Iterable[Export]) -> dict[tuple[str, str, str], dict[str, str]]:
    """(tenant, trace id, span id) -> the span's attributes as stored (text values)."""
    found = {}
    for export in exports:
        for resource_spans in export.request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found[export.tenant, span.trace_id.hex(), span.span_id.hex()] = flatten(span.attributes)[0]
    return found


@dataclass
class Seeded:
    """The running API and what was sent to it."""

    server: RunningServer
    client: Any  # clickhouse-connect client on the seeded database
    spans: list[SentSpan]
    attributes: dict[tuple[str, str, str], dict[str, str]]
    turns: list[Turn] = field(init=False)

    def __post_init__(self) -> None:
        self.turns = [turn for turn in turns_of(self.spans) if turn.tenant == TENANT]

    def get(self, path: str, params: Any = None) -> httpx.Response:
        return httpx.get(self.server.api + path, params=params, timeout=60)

    def json(self, path: str, params: Any = None) -> Any:
        response = self.get(path, params)
        assert response.status_code == 200, response.text
        return response.json()

    def sql(self, text: str, **parameters: Any) -> list[tuple[Any, ...]]:
        return list(self.client.query(text, parameters=parameters).result_rows)

    def threads(self) -> dict[str, list[Turn]]:
        """The tenant's threads: thread id -> its turns."""
        threads: dict[str, list[Turn]] = defaultdict(list)
        for turn in self.turns:
            if turn.thread:
                threads[turn.thread].append(turn)
        return threads

    def span_attrs(self, turn: Turn) -> list[dict[str, str]]:
        return [self.attributes[turn.tenant, span.trace_id, span.span_id] for span in turn.spans]


# Sums no real client reaches, as (trace, [(cost in USD, output tokens) of each LLM call]): a cost
# sum that overflows to inf, costs past what Int64 nano-dollars hold, and output tokens past 2^63-1
# (one span may report 2^63-1). Each trace is a thread of its own, `thread-<trace>`, whose root
# span reports no usage (a parent's own would be taken as its children's, not added).
HUGE_SUMS = [(1, [(1.5e308, 1), (1.5e308, 1)]), (2, [(1e300, 1)]), (3, [(1e20, 1)]),
             (4, [(0.5, 2**63 - 1), (0.25, 611)]), (5, [(0.25, 10)])]
HUGE_WINDOW_NS = (BASE_NS - 3600 * 10**9, BASE_NS + 3600 * 10**9)


def send_huge_sums(server: RunningServer) -> None:
    """HUGE_SUMS over OTLP/HTTP, around tests.factories.BASE_NS (inside HUGE_WINDOW_NS)."""
    spans = []
    for trace, calls in HUGE_SUMS:
        start_ns = BASE_NS + trace * 10**9
        spans.append(make_span(trace=trace, span=1, name="invoke_agent", start_ns=start_ns, duration_ns=10**6,
                               attributes={"gen_ai.operation.name": "invoke_agent",
                                           "gen_ai.conversation.id": f"thread-{trace}"}))
        spans += [make_span(trace=trace, span=n, parent=1, name="chat", start_ns=start_ns + n, duration_ns=1000,
                            attributes={"gen_ai.operation.name": "chat", "gen_ai.usage.cost": cost,
                                        "gen_ai.usage.output_tokens": tokens})
                  for n, (cost, tokens) in enumerate(calls, start=2)]
    httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
               headers={"Content-Type": "application/x-protobuf"}, timeout=30).raise_for_status()
