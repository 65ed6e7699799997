-- Every rollup measure per (bucket, group), and per group over the whole range (rows with
-- is_total = 1), from one metrics rollup table (minute / hourly / daily, with its bucket column)
-- chosen from a fixed allow-list, as is the dimension column `dimension` (`tenant`, constant
-- under the tenant filter, when the caller groups by nothing).
--
-- Filters are exact matches, NULL meaning "any". With fold = 1, groups not in `keep` are folded
-- into one row (folded = 1), whose distinct counts and percentiles are merged from the states
-- of all the folded groups. Percentiles and distinct counts are merged from the states because
-- they cannot be added or averaged across rollup rows.
WITH
    toDateTime(r.{time_column:Identifier}, 'UTC') AS bucket_time,
    toString(r.{dimension:Identifier}) AS dimension_value,
    {fold:UInt8} = 1 AND NOT has({keep:Array(String)}, dimension_value) AS is_folded
SELECT
    grouping(bucket) AS is_total,
    toUnixTimestamp(bucket_time) AS bucket,
    if(is_folded, '', dimension_value) AS group_key,
    is_folded AS folded,
    uniqExact(dimension_value) AS groups,
    sum(r.span_count) AS spans,
    sumIf(r.span_count, r.category = 'LLM') AS llm_calls,
    sum(r.error_count) AS errors,
    sum(r.input_token_sum) AS input_tokens,
    sum(r.output_token_sum) AS output_tokens,
    sum(r.cache_read_token_sum) AS cache_read_tokens,
    sum(r.total_token_sum) AS total_tokens,
    sum(r.cost_sum) AS cost_usd,
    sum(r.unpriced_count) AS unpriced_spans,
    sum(r.duration_ns_sum) AS duration_ns,
    quantilesBFloat16Merge(0.5, 0.95, 0.99)(r.duration_ms_quantiles) AS duration_quantiles_ms,
    uniqIfMerge(r.thread_set) AS unique_threads,
    uniqIfMerge(r.user_set) AS unique_users
FROM {table:Identifier} AS r
WHERE r.tenant = {tenant:String}
  AND bucket_time >= toDateTime({start_s:Int64}, 'UTC')
  AND bucket_time < toDateTime({end_s:Int64}, 'UTC')
  AND ({service:Nullable(String)} IS NULL OR r.service_name = {service:Nullable(String)})
  AND ({agent:Nullable(String)} IS NULL OR r.agent_name = {agent:Nullable(String)})
  AND ({model:Nullable(String)} IS NULL OR r.model = {model:Nullable(String)})
  AND ({category:Nullable(String)} IS NULL OR r.category = {category:Nullable(String)})
GROUP BY GROUPING SETS ((bucket, group_key, folded), (group_key, folded))
HAVING {totals_only:UInt8} = 0 OR is_total = 1
ORDER BY is_total, bucket, group_key, folded
