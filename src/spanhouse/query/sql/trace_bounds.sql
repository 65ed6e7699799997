-- The time range of some traces (one for the trace timeline, a page of a thread's turns for the
-- thread timeline), read before their spans (trace_spans.sql takes it as values). As a scalar
-- subquery inside trace_spans.sql, ClickHouse ran it while planning the wide query; apart, the two
-- took p50 37 against 40 ms and p99 49 against 71 ms at 10M spans, and a trace id nobody sent is
-- answered here without reading otel_traces. `traces` counts partial rows: 0 means none is known.
SELECT
    count() AS traces,
    toUnixTimestamp64Nano(min(Start)) AS start_ns,
    toUnixTimestamp64Nano(max(End)) AS end_ns
FROM otel_traces_trace_id_ts
WHERE Tenant = {tenant:String} AND TraceId IN {trace_ids:Array(String)}
