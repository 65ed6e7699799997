"""The rollups (thread_activity, daily / hourly / minute metrics) equal the same numbers computed
from the raw spans with plain SQL: for a varied workload, after late-arriving roots, after
OPTIMIZE ... FINAL and after reopening the store. The hourly and minute metrics have a tool
dimension (tool_name, set on TOOL spans only)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from spanhouse.app import INSERT_COLUMNS, normalisation, open_store
from spanhouse.receive.ingest import Ingest
from spanhouse.receive.pools import ThreadEncodePool
from spanhouse.settings import Settings
from spanhouse.store import migrations
from spanhouse.store.client import connect
from spanhouse.store.dedup import SpanDedup
from spanhouse.store.native import TableLayout
from spanhouse.store.writer import BatchWriter
from tests.workload import TOOLS, workload

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

# view -> (its time column, that bucket over raw spans, whether it has the tool dimension)
BUCKETS = {"daily_metrics": ("day", "toDate(Timestamp, 'UTC')", False),
           "hourly_metrics": ("hour", "toStartOfHour(Timestamp, 'UTC')", True),
           "minute_metrics": ("minute", "toStartOfMinute(Timestamp, 'UTC')", True)}
RAW_TOOL = "if(Category = 'TOOL', ToolName, '')"  # non-tool spans never split by a tool they may name

RAW_METRICS = """
SELECT Tenant, {bucket}, ServiceName, AgentName, if(RequestModel != '', RequestModel, ResponseModel), Category,
       {tool}, count(), uniqIf(ThreadId, ThreadId != ''), uniqIf(UserId, UserId != ''),
       sum(ifNull(InputTokens, 0)), sum(ifNull(OutputTokens, 0)), sum(ifNull(CacheReadTokens, 0)),
       sum(ifNull(TotalTokens, 0)), sum(ifNull(TotalCost, 0)),
       countIf(TotalCost IS NULL AND (InputTokens IS NOT NULL OR OutputTokens IS NOT NULL)),
       avg(Duration) / 1e6, quantilesBFloat16(0.5, 0.95, 0.99)(Duration / 1e6),
       countIf(StatusCode = 'Error'), countIf(StatusCode = 'Error') / count()
FROM otel_traces
GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
"""

VIEW_METRICS = """
SELECT tenant, {column}, service_name, agent_name, model, category, {tool}, spans, unique_threads, unique_users,
       input_tokens, output_tokens, cache_read_tokens, total_tokens, total_cost, unpriced_spans,
       avg_duration_ms, [p50_duration_ms, p95_duration_ms, p99_duration_ms], error_count, error_rate
FROM {view} ORDER BY 1, 2, 3, 4, 5, 6, 7
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
        pool = ThreadEncodePool({"traces": layout}, normalisation(Settings(content_dedup=False, retention_raw_days=0)))
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
    for view, (column, bucket, by_tool) in BUCKETS.items():
        rows = query(VIEW_METRICS.format(view=view, column=column, tool="tool_name" if by_tool else "''"))
        assert len(rows) > 100, view
        assert_same(query(RAW_METRICS.format(bucket=bucket, tool=RAW_TOOL if by_tool else "''")), rows, view)
        if by_tool:
            assert {row[6] for row in rows if row[5] == "TOOL"} == set(TOOLS), view
            assert {row[6] for row in rows if row[5] != "TOOL"} == {""}, view


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


UPGRADE_COLUMNS = ["Tenant", "Timestamp", "TraceId", "SpanId", "Category", "ToolName", "AgentName", "StatusCode",
                   "Duration"]
TOOL_DIMENSION = ("0034_minute_metrics_rollup_tool_name.sql", "0035_minute_metrics_rollup_mv_tool_name.sql",
                  "0036_minute_metrics_tool_name.sql", "0037_hourly_metrics_rollup_tool_name.sql",
                  "0038_hourly_metrics_rollup_mv_tool_name.sql", "0039_hourly_metrics_tool_name.sql")


def test_a_store_upgraded_to_the_tool_dimension_keeps_its_rows_under_no_tool_and_splits_new_tool_spans(
    unmigrated_settings,
):
    bootstrap = connect(unmigrated_settings.clickhouse_dsn)
    migrations.create_database(bootstrap, unmigrated_settings.clickhouse_database)
    bootstrap.close()
    client = connect(unmigrated_settings.clickhouse_dsn, unmigrated_settings.clickhouse_database)
    migrations.migrate(client, [m for m in migrations.load_migrations() if m.name < TOOL_DIMENSION[0]])
    at = datetime.now(UTC).replace(minute=10, second=0, microsecond=0) - timedelta(hours=1)

    def spans(prefix: str) -> list[list[Any]]:
        # a failed tool call, and an LLM call naming the tool it asked for (it must not split by it)
        return [["default", at, "t1", f"{prefix}1", "TOOL", "search", "agent-a", "Error", 10**6],
                ["default", at, "t1", f"{prefix}2", "LLM", "search", "agent-a", "Unset", 10**6]]

    client.insert("otel_traces", spans("a"), column_names=UPGRADE_COLUMNS)
    assert [name for name in migrations.migrate(client) if name in TOOL_DIMENSION] == list(TOOL_DIMENSION)
    client.insert("otel_traces", spans("b"), column_names=UPGRADE_COLUMNS)

    for view in ("minute_metrics", "hourly_metrics"):
        rows = client.query(f"SELECT category, tool_name, spans, error_count FROM {view} ORDER BY ALL").result_rows
        assert rows == [("LLM", "", 2, 0), ("TOOL", "", 1, 1), ("TOOL", "search", 1, 1)], view
    assert client.query("SELECT category, spans, error_count FROM daily_metrics ORDER BY ALL").result_rows == [
        ("LLM", 2, 0), ("TOOL", 2, 2)]
    client.close()
