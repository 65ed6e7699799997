-- Cost and tokens per model, tenant or UTC day (`group_by`, from a fixed set) over whole buckets
-- of a metrics rollup table (hourly or daily, with its bucket column, from a fixed allow-list),
-- and the total over every group (the row with is_total = 1, first). A span counts in the bucket
-- it started in. Groups with neither tokens nor cost are left out (spans without a model, say).
WITH
    toDateTime(r.{time_column:Identifier}, 'UTC') AS bucket_time,
    multiIf({group_by:String} = 'model', toString(r.model),
            {group_by:String} = 'day', toString(toDate(bucket_time, 'UTC')),
            toString(r.tenant)) AS group_key
SELECT
    grouping(group_key) AS is_total,
    group_key,
    sum(r.cost_sum) AS cost_usd,
    sum(r.input_token_sum) AS input_tokens,
    sum(r.output_token_sum) AS output_tokens,
    sum(r.cache_read_token_sum) AS cache_read_tokens,
    sum(r.total_token_sum) AS total_tokens,
    sumIf(r.span_count, r.category = 'LLM') AS llm_calls,
    sumIf(r.span_count, r.category = 'EMBEDDING') AS embedding_calls,
    sum(r.unpriced_count) AS unpriced_calls
FROM {table:Identifier} AS r
WHERE r.tenant = {tenant:String}
  AND bucket_time >= toDateTime({start_s:Int64}, 'UTC')
  AND bucket_time < toDateTime({end_s:Int64}, 'UTC')
GROUP BY GROUPING SETS ((group_key), ())
HAVING is_total = 1 OR cost_usd > 0 OR total_tokens > 0 OR unpriced_calls > 0
ORDER BY is_total DESC, cost_usd DESC, total_tokens DESC, group_key
LIMIT {rows:UInt32}
