"""Retention: every growing table's TTL follows the settings, changes are applied at start-up
with ALTER ... MODIFY TTL, a restart with the same settings alters nothing, and expired spans go."""

from __future__ import annotations

import dataclasses
import time

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from spanhouse.app import migrate_store
from spanhouse.store.retention import TABLE_RETENTION, current_ttl_days
from tests.factories import export_request, make_span


def ttl_days(query) -> dict[str, int | None]:
    rows = query("SELECT name, engine_full FROM system.tables WHERE database = currentDatabase()")
    return {name: current_ttl_days(engine) for name, engine in rows if name in TABLE_RETENTION}


def test_defaults_keep_raw_30_minute_7_hourly_90_daily_400_days(settings, query):
    defaults = dataclasses.replace(settings, retention_raw_days=30, retention_minute_days=7,
                                   retention_hourly_days=90, retention_daily_days=400)
    migrate_store(defaults)[0].close()
    assert ttl_days(query) == {
        "otel_traces": 30, "otel_logs": 30, "otel_traces_trace_id_ts": 30, "message_content": 30,
        "minute_metrics_rollup": 7, "hourly_metrics_rollup": 90, "daily_metrics_rollup": 400,
        "trace_rollup": 400, "thread_traces": 400,
        "anomalies": 400, "anomaly_history": 400, "alert_deliveries": 400,
    }


def test_a_changed_setting_alters_the_ttl_once_and_zero_keeps_forever(settings, query):
    first = dataclasses.replace(settings, retention_raw_days=30, retention_hourly_days=90)
    migrate_store(first)[0].close()

    changed = dataclasses.replace(first, retention_raw_days=14, retention_hourly_days=0)
    client, changes = migrate_store(changed)
    client.close()
    assert sorted(changes) == ["hourly_metrics_rollup: 90 days -> forever", "message_content: 30 days -> 14 days",
                               "otel_logs: 30 days -> 14 days",
                               "otel_traces: 30 days -> 14 days", "otel_traces_trace_id_ts: 30 days -> 14 days"]
    assert ttl_days(query)["otel_traces"] == 14 and ttl_days(query)["hourly_metrics_rollup"] is None

    client, changes = migrate_store(changed)
    client.close()
    assert changes == []


def test_spans_that_age_out_of_the_raw_retention_are_dropped_and_recent_ones_kept(server_factory, query):
    server_factory(retention_raw_days=30)
    now_ns = time.time_ns()
    # Stored when they were recent (the receiver refuses spans already outside the window): two
    # inserts, two parts, two day partitions.
    for trace, start_ns in (("0" * 31 + "1", now_ns - 400 * 86_400 * 10**9), ("0" * 31 + "2", now_ns - 60 * 10**9)):
        query("INSERT INTO otel_traces (Tenant, Timestamp, TraceId, SpanId) "
              "VALUES ('default', fromUnixTimestamp64Nano({start:Int64}), {trace:String}, '0000000000000001')",
              start=start_ns, trace=trace)

    query("OPTIMIZE TABLE otel_traces FINAL")  # TTL is applied by merges; FINAL forces one now
    assert query("SELECT TraceId FROM otel_traces") == [("0" * 31 + "2",)]


def test_a_span_already_outside_the_retention_window_is_refused_naming_it(server_factory, query):
    server = server_factory(retention_raw_days=30)
    now_ns = time.time_ns()
    old = make_span(trace=1, span=1, start_ns=now_ns - 31 * 86_400 * 10**9)
    recent = make_span(trace=2, span=1, start_ns=now_ns - 60 * 10**9)
    answer = httpx.post(server.http_endpoint + "/v1/traces", content=export_request(old, recent).SerializeToString(),
                        headers={"Content-Type": "application/x-protobuf"}, timeout=30)

    assert answer.status_code == 200
    partial = ExportTraceServiceResponse.FromString(answer.content).partial_success
    assert partial.rejected_spans == 1
    assert f"span {old.span_id.hex()} starts " in partial.error_message
    assert "before the 30-day retention window" in partial.error_message
    assert query("SELECT TraceId FROM otel_traces") == [(recent.trace_id.hex(),)]
