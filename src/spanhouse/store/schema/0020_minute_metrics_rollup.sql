-- Short windows for the anomaly detector: one row per (tenant, minute, service, agent, model, category) once merged, fed by
-- minute_metrics_rollup_mv; read it through the minute_metrics view, which finalises the states.
--
-- Dimensions are the span's own columns: `model` is the requested model when the call named one,
-- else the model that answered (dated versions of one request group together); an LLM span
-- counts under the agent only when the instrumentation put the agent's name on it. Unique
-- threads and users count the ids named by the spans of the group (uniq: exact below 65,536).
-- Latency quantiles are quantilesBFloat16 states: merging them is exact (the same result as
-- over the raw spans), at about 0.4% relative precision, and they stay small.
CREATE TABLE IF NOT EXISTS minute_metrics_rollup
(
    tenant LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tenant',
    minute DateTime('UTC') CODEC(Delta, ZSTD(1)) COMMENT 'UTC minute the spans started in',
    service_name LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'ServiceName of the spans',
    agent_name LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'AgentName of the spans (empty when the span names none)',
    model LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'RequestModel, else ResponseModel; empty for spans without a model',
    category LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'AI category (LLM, TOOL, ...); empty for non-AI spans',
    span_count SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Spans',
    thread_set AggregateFunction(uniqIf, String, UInt8) COMMENT 'uniq state of the thread ids the spans name',
    user_set AggregateFunction(uniqIf, String, UInt8) COMMENT 'uniq state of the user ids the spans name',
    input_token_sum SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Input tokens (NULL counted as 0)',
    output_token_sum SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Output tokens',
    cache_read_token_sum SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Input tokens served from the prompt cache',
    total_token_sum SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Total tokens',
    cost_sum SimpleAggregateFunction(sum, Float64) CODEC(ZSTD(1)) COMMENT 'Cost in USD of the spans whose cost is known',
    unpriced_count SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Spans with token usage but no known cost (their cost is missing from cost_sum)',
    duration_ns_sum SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Summed span duration, ns',
    duration_ms_quantiles AggregateFunction(quantilesBFloat16(0.5, 0.95, 0.99), Float64) COMMENT 'p50/p95/p99 state of the span duration in ms',
    error_count SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Spans with StatusCode Error'
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(minute)
ORDER BY (tenant, minute, service_name, agent_name, model, category)
TTL toDate(minute) + toIntervalDay(7)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
COMMENT 'Short windows for the anomaly detector: minute span metrics per tenant, service, agent, model and category (aggregate states; read the minute_metrics view)'
