"""GET /api/v1/metrics/kpi, /metrics/timeseries, /metrics/agents and /costs on a real server, against
numbers computed independently: in Python from the spans the workload sent (tests/docs/sent.py), and
latency percentiles by ClickHouse's quantilesBFloat16 over the sent durations (the rollups merge its
states, which must give the same answer).

The store holds two tenants, each with a dense workload over the last two hours and a sparse one
over the five days before today; the server answers for `default`, and an in-process app whose
tenant comes from a header checks that `other` sees its own numbers and `nobody` sees nothing.
Expected numbers use the range each answer says it covers, so the clock moving on does not matter.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from spanhouse.app import INSERT_COLUMNS, normalisation, open_store
from spanhouse.query import api, costs, metrics
from spanhouse.query.reader import Reader
from spanhouse.receive.ingest import Ingest
from spanhouse.receive.pools import ThreadEncodePool
from spanhouse.settings import Settings
from spanhouse.store.client import connect
from spanhouse.store.dedup import SpanDedup
from spanhouse.store.native import TableLayout
from spanhouse.store.writer import BatchWriter
from tests.conftest import RunningServer
from tests.docs.sent import SentSpan, Turn, quantile_exact, sent_spans, turns_of
from tests.workload import DAY_NS, Export, workload

HOUR_NS = 3600 * 10**9
TENANT, OTHER = "default", "other"
PERCENTILES = {"p50_latency_ms": 0, "p95_latency_ms": 1, "p99_latency_ms": 2}
DIMENSION = {"agent": "agent", "model": "model", "service": "service", "category": "category"}


# --- the seeded store and the server -----------------------------------------------------------------

def _shift_trace_ids(exports: Iterable[Export], prefix: int) -> Iterator[Export]:
    """Workloads number traces from 1: give a second one its own trace ids."""
    for export in exports:
        for resource_spans in export.request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    span.trace_id = bytes([prefix]) + span.trace_id[1:]
        yield export


def _store(settings: Settings, exports: list[Export]) -> None:
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


class Seeded:
    def __init__(self, server: RunningServer, client: Any, spans: list[SentSpan]) -> None:
        self.server, self.client, self.spans = server, client, spans
        self.turns = turns_of(spans)

    def get(self, path: str, tenant: str = TENANT, **query: Any) -> httpx.Response:
        """`path` answered by the real server (tenant `default`) or, for another tenant, by the in-process app."""
        if tenant == TENANT:
            return httpx.get(f"{self.server.api}{path}", params=query, timeout=60)

        async def call() -> httpx.Response:  # the app on this event loop, as the server builds it on its own
            app = api.create_app(Reader(self.client), lambda request: request.headers["x-tenant"])
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
                return await http.get(path, params=query, headers={"x-tenant": tenant}, timeout=60)
        return asyncio.run(call())

    def ok(self, path: str, tenant: str = TENANT, **query: Any) -> dict[str, Any]:
        response = self.get(path, tenant, **query)
        assert response.status_code == 200, response.text
        doc: dict[str, Any] = response.json()
        return doc

    def of(self, tenant: str, start_s: int | None = None, end_s: int | None = None) -> list[SentSpan]:
        return [span for span in self.spans if span.tenant == tenant
                and (start_s is None or end_s is None or start_s * 10**9 <= span.start_ns < end_s * 10**9)]

    def percentiles(self, groups: list[list[float]]) -> list[list[float]]:
        """ClickHouse's quantilesBFloat16(0.5, 0.95, 0.99) of each list of durations (ms)."""
        [[result]] = self.client.query(
            "SELECT arrayMap(d -> arrayReduce('quantilesBFloat16(0.5, 0.95, 0.99)', d), "
            "{groups:Array(Array(Float64))})",
            parameters={"groups": groups}).result_rows
        return [list(values) for values in result]


@pytest.fixture(scope="module")
def seeded(chdb_path: Path) -> Iterator[Seeded]:
    settings = Settings(clickhouse_dsn=f"chdb://{chdb_path}", clickhouse_database=f"metrics_{time.time_ns() % 10**12}",
                        otlp_grpc_port=0, otlp_http_port=0, api_port=0, flush_interval_ms=5, decode_processes=0,
                        write_timeout_s=20, retention_raw_days=0, retention_minute_days=7, retention_hourly_days=90,
                        retention_daily_days=400)  # the rollup retention the endpoints choose tables by
    now = time.time_ns()
    today = now // DAY_NS * DAY_NS
    exports = [*workload(seed=11, traces=240, days=2, start_ns=now - 2 * HOUR_NS, day_ns=HOUR_NS,
                         tenants=(TENANT, OTHER)),
               *_shift_trace_ids(workload(seed=5, traces=200, days=5, start_ns=today - 5 * DAY_NS,
                                          tenants=(TENANT, OTHER)), 0x77)]
    _store(settings, exports)
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
    spans = sent_spans(exports)
    stored = {(tenant, trace, span): cost for tenant, trace, span, cost in client.query(
        "SELECT Tenant, TraceId, SpanId, TotalCost FROM otel_traces").result_rows}
    assert len(stored) == len(spans) > 3000
    for span in spans:
        span.cost = stored[span.tenant, span.trace_id, span.span_id]
    with RunningServer(settings) as server:
        yield Seeded(server, client, spans)
    client.close()


# --- comparing -------------------------------------------------------------------------------------

def seconds(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def nanoseconds(text: str) -> int:
    """RFC 3339 in UTC with up to 9 fraction digits, as Unix ns (datetime stops at microseconds)."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    return seconds(whole + "Z") * 10**9 + int(fraction.ljust(9, "0") or "0")


def same(want: Any, got: Any) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        return want is not None and got is not None and math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(same(want[key], got[key]) for key in want)
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(same(w, g) for w, g in zip(want, got, strict=True))
    return bool(want == got) and type(want) is type(got)


def assert_same(want: Any, got: Any) -> None:
    assert same(want, got), f"expected {want}\n     got {got}"


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def durations_ms(spans: Iterable[SentSpan]) -> list[float]:
    return [span.duration_ns / 1e6 for span in spans]


# --- what each endpoint should say, from the sent spans ---------------------------------------------

def kpis(db: Seeded, spans: list[SentSpan]) -> dict[str, Any]:
    llm = [s for s in spans if s.category == "LLM"]
    return {
        "active_threads": len({s.thread for s in spans if s.thread}), "llm_calls": len(llm),
        "input_tokens": sum(s.input_tokens or 0 for s in spans),
        "output_tokens": sum(s.output_tokens or 0 for s in spans),
        "total_tokens": sum(s.total_tokens for s in spans), "cost_usd": sum(s.cost or 0.0 for s in spans),
        "avg_llm_latency_ms": mean(durations_ms(llm)),
        "p95_llm_latency_ms": db.percentiles([durations_ms(llm)])[0][1] if llm else None,
        "error_rate": ratio(sum(s.failed for s in spans), len(spans)),
        "llm_error_rate": ratio(sum(s.failed for s in llm), len(llm)),
        "spans": len(spans), "errors": sum(s.failed for s in spans),
    }


def measure(name: str, spans: list[SentSpan]) -> Any:
    """A time-series measure of some spans, percentiles aside."""
    values: dict[str, Callable[[], Any]] = {
        "spans": lambda: len(spans),
        "llm_calls": lambda: sum(s.category == "LLM" for s in spans),
        "errors": lambda: sum(s.failed for s in spans),
        "error_rate": lambda: ratio(sum(s.failed for s in spans), len(spans)),
        "input_tokens": lambda: sum(s.input_tokens or 0 for s in spans),
        "output_tokens": lambda: sum(s.output_tokens or 0 for s in spans),
        "cache_read_tokens": lambda: sum(s.cache_read_tokens or 0 for s in spans),
        "total_tokens": lambda: sum(s.total_tokens for s in spans),
        "cost_usd": lambda: sum(s.cost or 0.0 for s in spans),
        "unpriced_spans": lambda: sum(s.unpriced for s in spans),
        "avg_latency_ms": lambda: mean(durations_ms(spans)),
        "unique_threads": lambda: len({s.thread for s in spans if s.thread}),
        "unique_users": lambda: len({s.user for s in spans if s.user}),
    }
    return values[name]()


def series(db: Seeded, doc: dict[str, Any], tenant: str, name: str, group_by: str | None = None,
           top: int = 10, **filters: str) -> list[dict[str, Any]]:
    """The series a time-series answer should hold, over the range it says it covers."""
    step, start_s, end_s = doc["bucket_seconds"], seconds(doc["start"]), seconds(doc["end"])
    spans = [s for s in db.of(tenant, start_s, end_s)
             if all(getattr(s, DIMENSION[key]) == value for key, value in filters.items())]
    empty = None if name in PERCENTILES or name in ("error_rate", "avg_latency_ms") else (
        0.0 if name == "cost_usd" else 0)
    groups: dict[str | None, list[SentSpan]] = defaultdict(list)
    for span in spans:
        groups[getattr(span, DIMENSION[group_by]) if group_by else None].append(span)
    if not group_by:
        groups.setdefault(None, [])

    def value_of(members: list[SentSpan]) -> Any:
        if name in PERCENTILES:
            return db.percentiles([durations_ms(members)])[0][PERCENTILES[name]] if members else None
        return measure(name, members)

    def rank(item: tuple[str | None, Any]) -> tuple[bool, float, str]:
        return (item[1] is None, -(item[1] or 0), item[0] or "")

    totals = sorted(((group, value_of(members)) for group, members in groups.items()), key=rank)
    kept = [group for group, _ in totals][:top] if group_by else [None]
    folded = [group for group, _ in totals if group not in kept]
    parts: list[tuple[str | None, int, list[SentSpan]]] = [(group, 0, groups[group]) for group in kept]
    if folded:
        parts.append((None, len(folded), [s for group in folded for s in groups[group]]))
    expected = []
    for group, count, members in parts:
        by_bucket: dict[int, list[SentSpan]] = defaultdict(list)
        for span in members:
            by_bucket[span.start_ns // 10**9 // step * step].append(span)
        values = [value_of(by_bucket[bucket]) if by_bucket.get(bucket) else empty
                  for bucket in range(start_s, end_s, step)]
        expected.append({"group": group, "folded": count, "total": value_of(members) if members else empty,
                         "values": values})
    head, rest = [item for item in expected if not item["folded"]], [item for item in expected if item["folded"]]
    return sorted(head, key=lambda item: rank((item["group"], item["total"]))) + rest


def agent_rows(turns: list[Turn]) -> list[dict[str, Any]]:
    by_agent: dict[str, list[Turn]] = defaultdict(list)
    for turn in turns:
        by_agent[turn.agent].append(turn)
    rows = []
    for agent, members in by_agent.items():
        spans = [s for t in members for s in t.spans]
        llm = [s for s in spans if s.category == "LLM"]
        durations = [(t.ended - t.started) / 1e6 for t in members]
        failed = sum(t.errors > 0 for t in members)
        rows.append({
            "agent_name": agent, "turns": len(members), "threads": len({t.thread for t in members if t.thread}),
            "users": len({t.user for t in members if t.user}), "spans": len(spans), "llm_calls": len(llm),
            "tool_calls": sum(s.category == "TOOL" for s in spans),
            "input_tokens": sum(s.input_tokens or 0 for s in spans),
            "output_tokens": sum(s.output_tokens or 0 for s in spans), "total_tokens": sum(t.tokens for t in members),
            "cost_usd": sum(t.cost for t in members), "errors": sum(t.errors for t in members),
            "turns_with_errors": failed, "error_share": failed / len(members), "avg_turn_ms": mean(durations),
            "p95_turn_ms": quantile_exact(durations, 0.95), "avg_llm_latency_ms": mean(durations_ms(llm)),
        })
    return sorted(rows, key=lambda row: (-row["cost_usd"], row["agent_name"]))


def turns_in(db: Seeded, tenant: str, start_ns: int, end_ns: int) -> list[Turn]:
    return [t for t in db.turns if t.tenant == tenant and start_ns <= t.started < end_ns]


def cost_groups(db: Seeded, doc: dict[str, Any], tenant: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(total, groups) of a cost answer, over the range it says it covers."""
    group_by = doc["group_by"]
    if group_by in ("agent", "user"):
        start_ns, end_ns = nanoseconds(doc["start"]), nanoseconds(doc["end"])
        groups: dict[str, list[Turn]] = defaultdict(list)
        for turn in turns_in(db, tenant, start_ns, end_ns):
            groups[turn.agent if group_by == "agent" else turn.user].append(turn)

        def row(members: list[Turn]) -> dict[str, Any]:
            spans = [s for t in members for s in t.spans]
            return {"cost_usd": sum(t.cost for t in members),
                    "input_tokens": sum(s.input_tokens or 0 for s in spans),
                    "output_tokens": sum(s.output_tokens or 0 for s in spans), "cache_read_tokens": None,
                    "total_tokens": sum(t.tokens for t in members), "llm_calls": sum(t.count("LLM") for t in members),
                    "embedding_calls": sum(t.count("EMBEDDING") for t in members),
                    "unpriced_calls": None, "turns": len(members)}
        everything = [t for members in groups.values() for t in members]
    else:
        key: Callable[[SentSpan], str] = {"model": lambda s: s.model, "day": lambda s: s.day.isoformat(),
                                          "tenant": lambda s: s.tenant}[group_by]
        span_groups: dict[str, list[SentSpan]] = defaultdict(list)
        for span in db.of(tenant, seconds(doc["start"]), seconds(doc["end"])):
            span_groups[key(span)].append(span)

        def row(members: list[SentSpan]) -> dict[str, Any]:
            return {"cost_usd": sum(s.cost or 0.0 for s in members),
                    "input_tokens": sum(s.input_tokens or 0 for s in members),
                    "output_tokens": sum(s.output_tokens or 0 for s in members),
                    "cache_read_tokens": sum(s.cache_read_tokens or 0 for s in members),
                    "total_tokens": sum(s.total_tokens for s in members),
                    "llm_calls": sum(s.category == "LLM" for s in members),
                    "embedding_calls": sum(s.category == "EMBEDDING" for s in members),
                    "unpriced_calls": sum(s.unpriced for s in members), "turns": None}
        groups, everything = span_groups, [s for members in span_groups.values() for s in members]
    total = row(everything)
    rows = [{"group": group, "share": ratio(values["cost_usd"], total["cost_usd"]), **values}
            for group, values in ((group, row(members)) for group, members in groups.items())
            if values["cost_usd"] > 0 or values["total_tokens"] > 0 or (values["unpriced_calls"] or 0) > 0]
    return total, sorted(rows, key=lambda r: (-r["cost_usd"], -r["total_tokens"], r["group"]))


def unpriced(db: Seeded, doc: dict[str, Any], tenant: str) -> list[dict[str, Any]]:
    step = 3600 if doc["unpriced_range"]["source"] == "hourly_metrics_rollup" else 86_400
    spans = db.of(tenant, seconds(doc["unpriced_range"]["start"]), seconds(doc["unpriced_range"]["end"]))
    by_model: dict[str, list[SentSpan]] = defaultdict(list)
    for span in spans:
        by_model[span.model].append(span)
    rows = []
    for model, members in by_model.items():
        missing = [s for s in members if s.unpriced]
        if missing:
            buckets = [s.start_ns // 10**9 // step * step for s in missing]
            rows.append({"model": model, "unpriced_calls": len(missing), "calls": len(members),
                         "input_tokens": sum(s.input_tokens or 0 for s in members),
                         "output_tokens": sum(s.output_tokens or 0 for s in members),
                         "first_bucket": iso(min(buckets)), "last_bucket": iso(max(buckets))})
    return sorted(rows, key=lambda r: (-r["unpriced_calls"], r["model"]))


def iso(at_s: int) -> str:
    return datetime.fromtimestamp(at_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- KPIs --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("window", "bucket", "window_s"), [
    ("1h", "minute", 3600), ("15m", "minute", 900), ("3d", "minute", 3 * 86_400), ("4d", "hour", 4 * 86_400),
    ("90m", "minute", 5400), ("3d30m", None, None),
])
def test_kpis_equal_the_sent_spans_of_the_window_and_the_one_before(seeded, window, bucket, window_s):
    if bucket is None:  # not a duration the parameter accepts
        assert seeded.get("/api/v1/metrics/kpi", window=window).json()["error"]["parameter"] == "window"
        return
    doc = seeded.ok("/api/v1/metrics/kpi", window=window)
    assert (doc["window"], doc["bucket"], doc["window_seconds"]) == (window, bucket, window_s)
    current, previous = (seconds(doc[part]["start"]) for part in ("current", "previous"))
    end = seconds(doc["current"]["end"])
    assert end - current == current - previous == window_s and end % (60 if bucket == "minute" else 3600) == 0
    assert end - 3600 <= time.time() <= end  # the running bucket is the window's last
    now_value = kpis(seeded, seeded.of(TENANT, current, end))
    before = kpis(seeded, seeded.of(TENANT, previous, current))
    if window in ("1h", "4d"):
        assert now_value["llm_calls"] > 50 and before["llm_calls"] > 50 and now_value["active_threads"] > 10
    expected = {}
    for name, value in now_value.items():
        change = None if value is None or before[name] is None else value - before[name]
        expected[name] = {"value": value, "previous": before[name], "change": change,
                          "change_pct": change / before[name] * 100 if change is not None and before[name] else None}
    assert_same(expected, doc["kpis"])


def test_kpis_of_an_empty_window_are_zero_or_null(seeded):
    doc = seeded.ok("/api/v1/metrics/kpi", tenant="nobody", window="5m")
    assert doc["kpis"]["llm_calls"] == {"value": 0, "previous": 0, "change": 0, "change_pct": None}
    assert doc["kpis"]["cost_usd"] == {"value": 0.0, "previous": 0.0, "change": 0.0, "change_pct": None}
    assert doc["kpis"]["p95_llm_latency_ms"] == {"value": None, "previous": None, "change": None, "change_pct": None}
    assert doc["kpis"]["error_rate"] == {"value": None, "previous": None, "change": None, "change_pct": None}


# --- time series -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(metrics.MEASURES))
def test_every_measure_per_hour_equals_the_sent_spans(seeded, name):
    doc = seeded.ok("/api/v1/metrics/timeseries", measure=name, bucket="hour", start="-4h")
    assert (doc["measure"], doc["bucket"], doc["bucket_seconds"], doc["group_by"]) == (name, "hour", 3600, None)
    start, end = seconds(doc["start"]), seconds(doc["end"])
    assert doc["buckets"] == [iso(at) for at in range(start, end, 3600)] and len(doc["buckets"]) in (4, 5)
    expected = series(seeded, doc, TENANT, name)
    assert any(value not in (0, None) for value in expected[0]["values"])
    assert_same(expected, doc["series"])


@pytest.mark.parametrize(("query", "filters"), [
    ({"measure": "llm_calls", "bucket": "minute", "group_by": "model", "start": "-2h"}, {}),
    ({"measure": "p95_latency_ms", "bucket": "hour", "group_by": "model", "start": "-3h", "category": "LLM"},
     {"category": "LLM"}),
    ({"measure": "unique_threads", "bucket": "hour", "group_by": "agent", "top": "2", "start": "-3h"}, {}),
    ({"measure": "cost_usd", "bucket": "day", "group_by": "service", "start": "-6d"}, {}),
    ({"measure": "total_tokens", "bucket": "hour", "group_by": "category", "start": "-3h", "service": "support-bot"},
     {"service": "support-bot"}),
    ({"measure": "errors", "bucket": "minute", "group_by": "service", "top": "1", "start": "-150m",
      "model": "gpt-4o"}, {"model": "gpt-4o"}),
    ({"measure": "unique_users", "bucket": "day", "start": "-6d", "agent": "triage", "category": "AGENT"},
     {"agent": "triage", "category": "AGENT"}),
    ({"measure": "p99_latency_ms", "bucket": "day", "group_by": "model", "top": "3", "start": "-6d"}, {}),
])
def test_grouped_and_filtered_series_equal_the_sent_spans(seeded, query, filters):
    doc = seeded.ok("/api/v1/metrics/timeseries", **query)
    assert (doc["group_by"], doc["filters"]) == (query.get("group_by"), filters)
    assert len(doc["buckets"]) == (seconds(doc["end"]) - seconds(doc["start"])) // doc["bucket_seconds"]
    expected = series(seeded, doc, TENANT, query["measure"], query.get("group_by"), int(query.get("top", 10)),
                      **filters)
    assert len(expected) >= (2 if "group_by" in query else 1)
    if "top" in query:
        assert expected[-1]["folded"] > 0, "the seeded data has more groups than the top"
    assert_same(expected, doc["series"])


def test_buckets_without_data_are_zero_for_counts_and_null_for_ratios(seeded):
    counts = seeded.ok("/api/v1/metrics/timeseries", measure="spans", bucket="minute", start="-3h")
    rates = seeded.ok("/api/v1/metrics/timeseries", measure="error_rate", bucket="minute", start="-3h")
    assert len(counts["buckets"]) >= 180 and len(counts["series"]) == 1
    empty = [i for i, value in enumerate(counts["series"][0]["values"]) if value == 0]
    assert len(empty) > 10, "the last ten minutes and the hour before the live data are empty"
    rate_at = dict(zip(rates["buckets"], rates["series"][0]["values"], strict=True))
    assert all(rate_at[counts["buckets"][i]] is None for i in empty if counts["buckets"][i] in rate_at)
    nobody = seeded.ok("/api/v1/metrics/timeseries", tenant="nobody", measure="p95_latency_ms", bucket="hour")
    assert nobody["series"] == [{"group": None, "folded": 0, "total": None, "values": [None] * len(nobody["buckets"])}]
    grouped = seeded.ok("/api/v1/metrics/timeseries", tenant="nobody", measure="spans", group_by="model")
    assert grouped["series"] == []


def test_series_by_agent_count_the_spans_own_agent_unlike_the_agents_endpoint(seeded):
    doc = seeded.ok("/api/v1/metrics/timeseries", measure="llm_calls", group_by="agent", start="-6d", bucket="day")
    by_group = {item["group"]: item["total"] for item in doc["series"]}
    assert by_group[""] > sum(value for group, value in by_group.items() if group), \
        "most LLM calls name no agent"


# --- agents --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hours", [3, 24 * 7])
def test_agents_equal_the_turns_started_in_the_range(seeded, hours):
    end_ns = time.time_ns()
    start_ns = end_ns - hours * HOUR_NS
    doc = seeded.ok("/api/v1/metrics/agents", start=str(start_ns), end=str(end_ns))
    assert (nanoseconds(doc["start"]), nanoseconds(doc["end"]), doc["truncated"]) == (start_ns, end_ns, False)
    turns = turns_in(seeded, TENANT, start_ns, end_ns)
    expected = agent_rows(turns)
    assert len(expected) == 3 and sum(row["turns"] for row in expected) > 50
    assert_same(expected, doc["agents"])
    assert sum(row["llm_calls"] for row in doc["agents"]) == sum(t.count("LLM") for t in turns)


def test_agents_limit_keeps_the_most_expensive(seeded):
    doc = seeded.ok("/api/v1/metrics/agents", start="-7d", limit="2")
    full = seeded.ok("/api/v1/metrics/agents", start=doc["start"], end=doc["end"])
    assert (doc["truncated"], full["truncated"], len(full["agents"])) == (True, False, 3)
    assert_same(full["agents"][:2], doc["agents"])


# --- costs --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("group_by", "start", "source"), [
    ("model", "-3h", "hourly_metrics_rollup"), ("model", "-6d", "hourly_metrics_rollup"),
    ("day", "-6d", "hourly_metrics_rollup"), ("tenant", "-6d", "hourly_metrics_rollup"),
    ("agent", "-6d", "trace_rollup"), ("user", "-3h", "trace_rollup"), ("model", "-120d", "daily_metrics_rollup"),
    ("day", "-120d", "daily_metrics_rollup"),
])
def test_costs_equal_the_sent_spans(seeded, group_by, start, source):
    doc = seeded.ok("/api/v1/costs", group_by=group_by, start=start, limit="1000")
    assert (doc["group_by"], doc["source"], doc["truncated"]) == (group_by, source, False)
    total, groups = cost_groups(seeded, doc, TENANT)
    assert len(groups) >= (1 if group_by == "tenant" else 3)
    assert_same(total, doc["total"])
    assert_same(groups, doc["groups"])
    assert_same(unpriced(seeded, doc, TENANT), doc["unpriced_models"])
    assert [row["model"] for row in doc["unpriced_models"]] == ["house-model-1"]
    if group_by == "tenant":
        assert [row["group"] for row in doc["groups"]] == [TENANT]


def test_costs_limit_truncates_groups_but_not_the_total(seeded):
    doc = seeded.ok("/api/v1/costs", group_by="user", start="-6d", limit="3")
    total, groups = cost_groups(seeded, doc, TENANT)
    assert len(groups) > 3 and doc["truncated"] is True
    assert_same(groups[:3], doc["groups"])
    assert_same(total, doc["total"])


# --- tenants ------------------------------------------------------------------------------------------

def test_a_tenant_sees_its_own_numbers_and_nothing_of_another(seeded):
    for tenant in (OTHER, "nobody"):
        doc = seeded.ok("/api/v1/metrics/kpi", tenant=tenant, window="1h")
        start, end = seconds(doc["current"]["start"]), seconds(doc["current"]["end"])
        assert_same(kpis(seeded, seeded.of(tenant, start, end))["total_tokens"], doc["kpis"]["total_tokens"]["value"])
        assert (doc["kpis"]["spans"]["value"] > 100) is (tenant == OTHER)

        doc = seeded.ok("/api/v1/metrics/timeseries", tenant=tenant, measure="unique_threads", group_by="agent",
                        start="-6d", bucket="day")
        assert_same(series(seeded, doc, tenant, "unique_threads", "agent"), doc["series"])

        end_ns = time.time_ns()
        doc = seeded.ok("/api/v1/metrics/agents", tenant=tenant, start=str(end_ns - 3 * HOUR_NS), end=str(end_ns))
        assert_same(agent_rows(turns_in(seeded, tenant, end_ns - 3 * HOUR_NS, end_ns)), doc["agents"])

        for group_by in costs.GROUP_BY:
            doc = seeded.ok("/api/v1/costs", tenant=tenant, group_by=group_by, start="-6d")
            total, groups = cost_groups(seeded, doc, tenant)
            assert_same(total, doc["total"])
            assert_same(groups, doc["groups"])
            assert_same(unpriced(seeded, doc, tenant), doc["unpriced_models"])
            assert (len(groups) > 0) is (tenant == OTHER)
            if group_by == "tenant":
                assert [row["group"] for row in doc["groups"]] == ([OTHER] if tenant == OTHER else [])


# --- bad parameters -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "query", "parameter"), [
    ("/api/v1/metrics/kpi", {"window": "1m"}, "window"),
    ("/api/v1/metrics/kpi", {"window": "8d"}, "window"),
    ("/api/v1/metrics/kpi", {"window": "90s"}, "window"),
    ("/api/v1/metrics/kpi", {"window": "soon"}, "window"),
    ("/api/v1/metrics/timeseries", {}, "measure"),
    ("/api/v1/metrics/timeseries", {"measure": "latency"}, "measure"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "bucket": "week"}, "bucket"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "group_by": "user"}, "group_by"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "group_by": "model", "top": "0"}, "top"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "top": "many"}, "top"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "bucket": "minute", "start": "-2d"}, "bucket"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "bucket": "hour", "start": "-70d"}, "bucket"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "bucket": "minute", "start": "-8d", "end": "-7d"}, "start"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "bucket": "hour", "start": "-91d", "end": "-90d"}, "start"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "start": "yesterday"}, "start"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "start": "-1h", "end": "-2h"}, "start"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "end": "99999999999"}, "end"),
    ("/api/v1/metrics/timeseries", {"measure": "spans", "agent": "a" * 513}, "agent"),
    ("/api/v1/metrics/agents", {"limit": "0"}, "limit"),
    ("/api/v1/metrics/agents", {"start": "-401d"}, "start"),
    ("/api/v1/metrics/agents", {"end": "99999999999"}, "end"),
    ("/api/v1/costs", {"group_by": "agent", "start": "0", "end": "-1d"}, "start"),
    ("/api/v1/costs", {"group_by": "provider"}, "group_by"),
    ("/api/v1/costs", {"limit": "1001"}, "limit"),
    ("/api/v1/costs", {"start": "-1y"}, "start"),
    ("/api/v1/costs", {"start": "-401d"}, "start"),
    ("/api/v1/metrics/kpi", {"step": "1ns"}, "step"),  # not a parameter of the endpoint: a typo must not pass
    ("/api/v1/metrics/timeseries", {"measure": "spans", "user": "u-1"}, "user"),
    ("/api/v1/metrics/agents", {"window": "1h"}, "window"),
    ("/api/v1/costs", {"group": "model"}, "group"),
    ("/api/v1/metrics/kpi", {"window": ["1h", "2h"]}, "window"),  # given twice: which one was meant?
    ("/api/v1/costs", {"group_by": ["model", "agent"]}, "group_by"),
])
def test_a_bad_parameter_is_400_naming_it(seeded, path, query, parameter):
    response = seeded.get(path, **query)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["parameter"]) == ("invalid_parameter", parameter)
    assert error["message"].startswith(f"{parameter}: ")
    validate(response.json(), metrics.OPENAPI.get(path, costs.OPENAPI.get(path))["get"]["responses"]["400"]
             ["content"]["application/json"]["schema"])


# --- the OpenAPI path items -----------------------------------------------------------------------------

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool), "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def validate(value: Any, schema: dict[str, Any], path: str = "$") -> None:
    """The subset of JSON Schema the path items use; undocumented properties fail too (jsonschema is not installed)."""
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        assert any(_TYPES[kind](value) for kind in kinds), f"{path}: {value!r} is not {kinds}"
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r} not in {schema['enum']}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert value >= schema.get("minimum", value) and value <= schema.get("maximum", value), path
    if isinstance(value, str) and schema.get("format") == "date-time":
        assert _DATE_TIME.match(value), f"{path}: {value!r} is not RFC 3339 UTC"
    if isinstance(value, dict):
        assert set(schema.get("required", ())) <= set(value), f"{path}: missing {set(schema['required']) - set(value)}"
        properties, extra = schema.get("properties", {}), schema.get("additionalProperties")
        for key, item in value.items():
            assert key in properties or isinstance(extra, dict), f"{path}: undocumented property {key!r}"
            validate(item, properties.get(key, extra), f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            validate(item, schema["items"], f"{path}[{index}]")


@pytest.mark.parametrize(("path", "query"), [
    ("/api/v1/metrics/kpi", {"window": "1h"}), ("/api/v1/metrics/kpi", {"window": "5d"}),
    ("/api/v1/metrics/timeseries", {"measure": "p95_latency_ms", "group_by": "model", "top": "2", "start": "-3h"}),
    ("/api/v1/metrics/timeseries", {"measure": "cost_usd", "bucket": "day", "model": "gpt-4o"}),
    ("/api/v1/metrics/agents", {"start": "-7d"}),
    ("/api/v1/costs", {"group_by": "model"}), ("/api/v1/costs", {"group_by": "user", "limit": "2"}),
])
def test_answers_match_their_openapi_schemas(seeded, path, query):
    operation = {**metrics.OPENAPI, **costs.OPENAPI}[path]["get"]
    documented = {parameter["name"] for parameter in operation["parameters"]}
    assert set(query) <= documented
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    for tenant in (TENANT, "nobody"):
        validate(seeded.ok(path, tenant, **query), schema)


def test_the_path_items_cover_the_routes_with_typed_parameters_and_responses():
    paths = {**metrics.OPENAPI, **costs.OPENAPI}
    routes = [route for module in (metrics, costs) for route in module.routes(Reader(None), lambda request: TENANT)]
    assert sorted(paths) == sorted(route.path for route in routes)
    for item in paths.values():
        operation = item["get"]
        assert all(p["in"] == "query" and "type" in p["schema"] and p["description"] for p in operation["parameters"])
        assert set(operation["responses"]) == {"200", "400", "500", "503"}
        for response in operation["responses"].values():
            assert response["content"]["application/json"]["schema"]["type"] == "object"
