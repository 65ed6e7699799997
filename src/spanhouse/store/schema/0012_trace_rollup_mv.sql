CREATE MATERIALIZED VIEW IF NOT EXISTS trace_rollup_mv
TO trace_rollup
AS SELECT
    span.Tenant AS tenant,
    span.TraceId AS trace_id,
    max(span.ThreadId) AS trace_thread_id,
    max(span.UserId) AS trace_user_id,
    min(if(span.AgentName = '', (toDateTime64('2262-04-11 00:00:00', 9, 'UTC'), ''),
           (toDateTime64(span.Timestamp, 9, 'UTC'), toString(span.AgentName)))) AS trace_first_agent,
    min(toDateTime64(span.Timestamp, 9, 'UTC')) AS trace_first_seen,
    max(toDateTime64(span.Timestamp, 9, 'UTC') + toIntervalNanosecond(span.Duration)) AS trace_last_seen,
    count() AS span_count,
    countIf(span.Category = 'LLM') AS llm_count,
    countIf(span.Category = 'TOOL') AS tool_count,
    countIf(span.Category = 'RETRIEVAL') AS retrieval_count,
    countIf(span.Category = 'EMBEDDING') AS embedding_count,
    sum(ifNull(span.InputTokens, 0)) AS input_token_sum,
    sum(ifNull(span.OutputTokens, 0)) AS output_token_sum,
    sum(ifNull(span.TotalTokens, 0)) AS total_token_sum,
    sum(ifNull(span.TotalCost, 0)) AS cost_sum,
    countIf(span.StatusCode = 'Error') AS error_count,
    max((toDateTime64(span.Timestamp, 9, 'UTC') + toIntervalNanosecond(span.Duration), toString(span.StatusCode))) AS latest_status,
    max(if(span.Category = 'LLM',
           (toDateTime64(span.Timestamp, 9, 'UTC') + toIntervalNanosecond(span.Duration),
            toString(if(span.RequestModel != '', span.RequestModel, span.ResponseModel))),
           (toDateTime64(0, 9, 'UTC'), ''))) AS latest_model,
    sumIf(span.Duration, span.Category = 'LLM') AS llm_duration_ns,
    sumIf(span.Duration, span.Category = 'TOOL') AS tool_duration_ns
FROM otel_traces AS span
GROUP BY tenant, trace_id
COMMENT 'Feeds trace_rollup from every insert into otel_traces'
