-- The time range of some traces, for a caller that has no trace_rollup row to take it from
-- (trace_context.sql found none: the trace is unknown, or its rollup rows were dropped while its
-- spans remain). No row when none of the traces has a span. otel_traces_trace_id_ts is always read
-- with min()/max(): its parts hold partial ranges until merged.
SELECT
    toUnixTimestamp64Nano(min(Start)) AS start_ns,
    toUnixTimestamp64Nano(max(End)) AS end_ns
FROM otel_traces_trace_id_ts
WHERE Tenant = {tenant:String} AND TraceId IN {trace_ids:Array(String)}
HAVING count() > 0
