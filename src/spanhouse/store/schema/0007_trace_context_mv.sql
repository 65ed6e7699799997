CREATE MATERIALIZED VIEW IF NOT EXISTS trace_context_mv
TO trace_context
AS SELECT
    Tenant,
    TraceId,
    max(span.ThreadId) AS ThreadId,
    max(span.UserId) AS UserId,
    min(if(span.AgentName = '', (toDateTime64('2262-04-11 00:00:00', 9, 'UTC'), ''),
           (span.Timestamp, toString(span.AgentName)))) AS FirstAgent
FROM otel_traces AS span
WHERE span.ThreadId != '' OR span.UserId != '' OR span.AgentName != ''
GROUP BY Tenant, TraceId
COMMENT 'Feeds trace_context from every insert into otel_traces (only spans that name a thread, user or agent)'
