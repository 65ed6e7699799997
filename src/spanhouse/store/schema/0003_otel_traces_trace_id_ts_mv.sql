CREATE MATERIALIZED VIEW IF NOT EXISTS otel_traces_trace_id_ts_mv
TO otel_traces_trace_id_ts
AS SELECT
    Tenant,
    TraceId,
    min(Timestamp) AS Start,
    max(addNanoseconds(Timestamp, Duration)) AS End
FROM otel_traces
GROUP BY Tenant, TraceId
COMMENT 'Feeds otel_traces_trace_id_ts on every insert into otel_traces'
