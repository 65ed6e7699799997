-- Live KPIs of two adjacent windows (`current`, and `previous` just before it), one row each
-- (a window without data has no row), from a metrics rollup table: minute_metrics_rollup or
-- hourly_metrics_rollup with its bucket column (`time_column`), both from a fixed allow-list.
-- Distinct threads and the p95 are merged from the rollup's states: they cannot be added or
-- averaged across its rows (one per bucket, service, agent, model and category).
WITH toDateTime(r.{time_column:Identifier}, 'UTC') AS bucket
SELECT
    if(bucket >= toDateTime({current_start_s:Int64}, 'UTC'), 'current', 'previous') AS period,
    sum(r.span_count) AS spans,
    sum(r.error_count) AS errors,
    sumIf(r.span_count, r.category = 'LLM') AS llm_calls,
    sumIf(r.error_count, r.category = 'LLM') AS llm_errors,
    sum(r.input_token_sum) AS input_tokens,
    sum(r.output_token_sum) AS output_tokens,
    sum(r.total_token_sum) AS total_tokens,
    sum(r.cost_sum) AS cost_usd,
    sumIf(r.duration_ns_sum, r.category = 'LLM') AS llm_duration_ns,
    quantilesBFloat16MergeIf(0.5, 0.95, 0.99)(r.duration_ms_quantiles, r.category = 'LLM')[2] AS p95_llm_latency_ms,
    uniqIfMerge(r.thread_set) AS active_threads
FROM {table:Identifier} AS r
WHERE r.tenant = {tenant:String}
  AND bucket >= toDateTime({previous_start_s:Int64}, 'UTC')
  AND bucket < toDateTime({end_s:Int64}, 'UTC')
GROUP BY period
