-- hourly_metrics with the tool dimension of 0037: one row per (tenant, hour, service, agent, model,
-- category, tool); tool_name is set on TOOL rows only, so the other categories keep one row each.
-- Sums across tools give what the view gave before. Replaces the view of 0019 (OR REPLACE:
-- re-running it is harmless). Filter on tenant and hour: the rollup's sort key starts with them.
CREATE OR REPLACE VIEW hourly_metrics
(
    tenant LowCardinality(String) COMMENT 'Tenant',
    hour DateTime('UTC') COMMENT 'UTC hour the spans started in',
    service_name LowCardinality(String) COMMENT 'ServiceName of the spans',
    agent_name LowCardinality(String) COMMENT 'AgentName of the spans; empty when the span names no agent',
    model LowCardinality(String) COMMENT 'RequestModel, else ResponseModel; empty for spans without a model',
    category LowCardinality(String) COMMENT 'AI category (LLM, TOOL, RETRIEVAL, ...); empty for non-AI spans',
    tool_name LowCardinality(String) COMMENT 'ToolName of TOOL spans (one row per tool); empty for other categories and for spans stored before spanhouse kept it',
    spans UInt64 COMMENT 'Spans',
    unique_threads UInt64 COMMENT 'Distinct thread ids the spans name',
    unique_users UInt64 COMMENT 'Distinct user ids the spans name',
    input_tokens UInt64 COMMENT 'Input tokens (cached included)',
    output_tokens UInt64 COMMENT 'Output tokens (reasoning included)',
    cache_read_tokens UInt64 COMMENT 'Input tokens served from the prompt cache',
    total_tokens UInt64 COMMENT 'Total tokens',
    total_cost Float64 COMMENT 'Cost in USD of the spans whose cost is known',
    unpriced_spans UInt64 COMMENT 'Spans with token usage but unknown cost (missing from total_cost; see unpriced_models)',
    avg_duration_ms Float64 COMMENT 'Mean span duration, ms',
    duration_quantiles_ms Array(Float64) COMMENT '[p50, p95, p99] span duration, ms',
    p50_duration_ms Float64 COMMENT 'Median span duration, ms (about 0.4% precision)',
    p95_duration_ms Float64 COMMENT '95th percentile span duration, ms',
    p99_duration_ms Float64 COMMENT '99th percentile span duration, ms',
    error_count UInt64 COMMENT 'Spans with StatusCode Error',
    error_rate Float64 COMMENT 'error_count / spans'
)
AS SELECT
    r.tenant AS tenant,
    r.hour AS hour,
    r.service_name AS service_name,
    r.agent_name AS agent_name,
    r.model AS model,
    r.category AS category,
    r.tool_name AS tool_name,
    sum(r.span_count) AS spans,
    uniqIfMerge(r.thread_set) AS unique_threads,
    uniqIfMerge(r.user_set) AS unique_users,
    sum(r.input_token_sum) AS input_tokens,
    sum(r.output_token_sum) AS output_tokens,
    sum(r.cache_read_token_sum) AS cache_read_tokens,
    sum(r.total_token_sum) AS total_tokens,
    sum(r.cost_sum) AS total_cost,
    sum(r.unpriced_count) AS unpriced_spans,
    sum(r.duration_ns_sum) / sum(r.span_count) / 1e6 AS avg_duration_ms,
    quantilesBFloat16Merge(0.5, 0.95, 0.99)(r.duration_ms_quantiles) AS duration_quantiles_ms,
    duration_quantiles_ms[1] AS p50_duration_ms,
    duration_quantiles_ms[2] AS p95_duration_ms,
    duration_quantiles_ms[3] AS p99_duration_ms,
    sum(r.error_count) AS error_count,
    sum(r.error_count) / sum(r.span_count) AS error_rate
FROM hourly_metrics_rollup AS r
GROUP BY r.tenant, r.hour, r.service_name, r.agent_name, r.model, r.category, r.tool_name
COMMENT 'Hourly span metrics per tenant, service, agent, model, category and tool: spans, unique threads and users, tokens, cost, latency average and p50/p95/p99, errors and error rate'
