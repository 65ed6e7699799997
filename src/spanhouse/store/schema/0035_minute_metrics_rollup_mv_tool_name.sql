-- minute_metrics_rollup_mv fills the tool_name column added by the migration before this one
-- (see it for what the column holds). MODIFY QUERY swaps the view's query in place, so no insert
-- goes unaggregated as it would between a DROP and a CREATE; re-running it changes nothing.
ALTER TABLE minute_metrics_rollup_mv MODIFY QUERY
SELECT
    span.Tenant AS tenant,
    toStartOfMinute(span.Timestamp, 'UTC') AS minute,
    span.ServiceName AS service_name,
    span.AgentName AS agent_name,
    if(span.RequestModel != '', span.RequestModel, span.ResponseModel) AS model,
    span.Category AS category,
    if(span.Category = 'TOOL', span.ToolName, '') AS tool_name,
    count() AS span_count,
    uniqIfState(span.ThreadId, span.ThreadId != '') AS thread_set,
    uniqIfState(span.UserId, span.UserId != '') AS user_set,
    sum(ifNull(span.InputTokens, 0)) AS input_token_sum,
    sum(ifNull(span.OutputTokens, 0)) AS output_token_sum,
    sum(ifNull(span.CacheReadTokens, 0)) AS cache_read_token_sum,
    sum(ifNull(span.TotalTokens, 0)) AS total_token_sum,
    sum(ifNull(span.TotalCost, 0)) AS cost_sum,
    countIf(span.TotalCost IS NULL AND (span.InputTokens IS NOT NULL OR span.OutputTokens IS NOT NULL)) AS unpriced_count,
    sum(span.Duration) AS duration_ns_sum,
    quantilesBFloat16State(0.5, 0.95, 0.99)(span.Duration / 1e6) AS duration_ms_quantiles,
    countIf(span.StatusCode = 'Error') AS error_count
FROM otel_traces AS span
GROUP BY tenant, minute, service_name, agent_name, model, category, tool_name
