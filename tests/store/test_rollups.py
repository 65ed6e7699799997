"""The rollups (thread_activity, daily / hourly / minute metrics) equal the same numbers computed
from the raw spans with plain SQL: for a varied workload, after late-arriving roots, after
OPTIMIZE ... FINAL and after reopening the store."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from spanhouse.app import INSERT_COLUMNS, normalisation, open_store
from spanhouse.receive.ingest import Ingest
from spanhouse.receive.pools import ThreadEncodePool
from spanhouse.settings import Settings
from spanhouse.store.dedup import SpanDedup
from spanhouse.store.native import TableLayout
from spanhouse.store.writer import BatchWriter
from tests.workload import workload

Rows = list[tuple[Any, ...]]

# thread_activity from raw spans: a span belongs to the thread any span of its trace names.
RAW_THREADS = """
WITH turn AS (SELECT Tenant, TraceId, max(ThreadId) AS thread, max(UserId) AS user,
                     min(if(AgentName = '', (toDateTime64('2262-04-11 00:00:00', 9), ''),
                            (Timestamp, toString(AgentName)))) AS agent
              FROM otel_traces GROUP BY Tenant, TraceId)
SELECT s.Tenant, turn.thread, min(s.Timestamp), max(s.Timestamp + toIntervalNanosecond(s.Duration)),
       uniqExact(s.TraceId), count(), countIf(s.Category = 'LLM'), countIf(s.Category = 'TOOL'),
       countIf(s.Category = 'RETRIEVAL'), countIf(s.Category = 'EMBEDDING'),
       sum(ifNull(s.InputTokens, 0)), sum(ifNull(s.OutputTokens, 0)), sum(ifNull(s.TotalTokens, 0)),
       sum(ifNull(s.TotalCost, 0)), countIf(s.StatusCode = 'Error'), countIf(s.StatusCode != 'Error'),
       max((s.Timestamp + toIntervalNanosecond(s.Duration), toString(s.StatusCode))).2,
       max(if(s.Category = 'LLM', (s.Timestamp + toIntervalNanosecond(s.Duration),
              toString(if(s.RequestModel != '', s.RequestModel, s.ResponseModel))),
              (toDateTime64(0, 9), ''))).2,
       min(turn.agent).2, max(turn.user),
       avgIfOrNull(s.Duration, s.Category = 'LLM') / 1e6, avgIfOrNull(s.Duration, s.Category = 'TOOL') / 1e6
FROM otel_traces AS s JOIN turn ON s.Tenant = turn.Tenant AND s.TraceId = turn.TraceId
WHERE turn.thread != ''
GROUP BY s.Tenant, turn.thread
ORDER BY 1, 2
"""

VIEW_THREADS = """
SELECT tenant, thread_id, first_seen, last_seen, traces, spans, llm_calls, tool_calls, retrieval_calls,
       embedding_calls, input_tokens, output_tokens, total_tokens, total_cost, error_count, success_count,
       latest_status, latest_model, agent_name, user_id, avg_llm_latency_ms, avg_tool_latency_ms
FROM thread_activity ORDER BY 1, 2
"""

BUCKETS = {"daily_metrics": ("day", "toDate(Timestamp, 'UTC')"),
           "hourly_metrics": ("hour", "toStartOfHour(Timestamp, 'UTC')"),
           "minute_metrics": ("minute", "toStartOfMinute(Timestamp, 'UTC')")}

RAW_METRICS = """
SELECT Tenant, {bucket}, ServiceName, AgentName, if(RequestModel != '', RequestModel, ResponseModel), Category,
       count(), uniqIf(ThreadId, ThreadId != ''), uniqIf(UserId, UserId != ''),
       sum(ifNull(InputTokens, 0)), sum(ifNull(OutputTokens, 0)), sum(ifNull(CacheReadTokens, 0)),
       sum(ifNull(TotalTokens, 0)), sum(ifNull(TotalCost, 0)),
       countIf(TotalCost IS NULL AND (InputTokens IS NOT NULL OR OutputTokens IS NOT NULL)),
       avg(Duration) / 1e6, quantilesBFloat16(0.5, 0.95, 0.99)(Duration / 1e6),
       countIf(StatusCode = 'Error'), countIf(StatusCode = 'Error') / count()
FROM otel_traces
GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
"""

VIEW_METRICS = """
SELECT tenant, {column}, service_name, agent_name, model, category, spans, unique_threads, unique_users,
       input_tokens, output_tokens, cache_read_tokens, total_tokens, total_cost, unpriced_spans,
       avg_duration_ms, [p50_duration_ms, p95_duration_ms, p99_duration_ms], error_count, error_rate
FROM {view} ORDER BY 1, 2, 3, 4, 5, 6
"""


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def assert_same(expected: Rows, actual: Rows, what: str) -> None:
    """Row-for-row equality, floats to 1e-9 relative (sums of floats depend on merge order)."""
    assert len(expected) == len(actual), f"{what}: {len(expected)} rows from raw spans, {len(actual)} in the view"
    for want, got in zip(expected, actual, strict=True):
        wrong = [(index, w, g) for index, (w, g) in enumerate(zip(want, got, strict=True)) if not _equal(w, g)]
        assert not wrong, f"{what}: row {got[:6]}: (column, raw, view) {wrong}"


@pytest.fixture
def ingest(store) -> Iterator[Ingest]:
    layout = TableLayout.read(store, "otel_traces", INSERT_COLUMNS)
    with BatchWriter(store, layout, flush_interval_s=0.005) as writer:
        # with the shipped prices, so the cost columns are compared on real values
        pool = ThreadEncodePool({"traces": layout}, normalisation(Settings(content_dedup=False)))
        yield Ingest({"traces": writer}, pool, write_timeout_s=30, dedup=SpanDedup(900))


def send_workload(ingest: Ingest, **options: Any) -> None:
    exports = list(workload(**options))

    async def send(batch: list) -> None:
        await asyncio.gather(*(ingest.export("traces", export.request.SerializeToString(), "protobuf", export.tenant)
                               for export in batch))

    asyncio.run(send([e for e in exports if not e.late]))
    asyncio.run(send([e for e in exports if e.late]))


def assert_rollups_match_raw(query: Callable[..., Rows]) -> None:
    threads = query(VIEW_THREADS)
    assert len(threads) > 40
    assert_same(query(RAW_THREADS), threads, "thread_activity")
    for view, (column, bucket) in BUCKETS.items():
        rows = query(VIEW_METRICS.format(view=view, column=column))
        assert len(rows) > 100, view
        assert_same(query(RAW_METRICS.format(bucket=bucket)), rows, view)


def test_every_rollup_row_equals_the_raw_spans_aggregated_with_plain_sql(ingest, query):
    send_workload(ingest)

    assert query("SELECT uniqExact(Tenant), uniqExact(toDate(Timestamp)) >= 4, countIf(StatusCode = 'Error') > 50, "
                 "count() > 2000, countIf(TotalCost > 0) > 500, countIf(Category = 'LLM' AND TotalCost IS NULL) > 50 "
                 "FROM otel_traces") == [(3, 1, 1, 1, 1, 1)]
    assert_rollups_match_raw(query)


def test_spans_count_in_their_thread_when_the_root_naming_it_arrives_last(ingest, query):
    send_workload(ingest, traces=60)

    late_only = query("SELECT count() FROM otel_traces WHERE ThreadId = '' AND TraceId IN "
                      "(SELECT TraceId FROM otel_traces WHERE ThreadId != '')")[0][0]
    in_threads = query("SELECT sum(spans) FROM thread_activity")[0][0]
    named = query("SELECT count() FROM otel_traces WHERE TraceId IN "
                  "(SELECT TraceId FROM otel_traces WHERE ThreadId != '')")[0][0]
    assert late_only > 100
    assert in_threads == named


def test_rollups_stay_exact_after_optimize_final_and_reopening_the_store(ingest, query, settings):
    send_workload(ingest, traces=150)
    for table in ("trace_rollup", "daily_metrics_rollup", "hourly_metrics_rollup", "minute_metrics_rollup"):
        query(f"OPTIMIZE TABLE {table} FINAL")
    assert query("SELECT count() = uniqExact(tenant, trace_id) FROM trace_rollup") == [(1,)]
    assert_rollups_match_raw(query)

    open_store(settings).close()  # what a restart does to the schema: nothing changes, nothing is lost
    assert_rollups_match_raw(query)
