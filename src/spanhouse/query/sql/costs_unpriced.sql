-- Models with spans that reported tokens but have no price, over whole buckets of a metrics rollup
-- table (hourly or daily, with its bucket column, from a fixed allow-list): their cost is missing
-- from every cost_usd. Tokens are those of all the model's spans in the range. Read from the
-- rollups' unpriced_count rather than the unpriced_models view, which scans every raw span.
WITH toDateTime(r.{time_column:Identifier}, 'UTC') AS bucket_time
SELECT
    toString(r.model) AS model,
    sum(r.unpriced_count) AS unpriced_calls,
    sum(r.span_count) AS calls,
    sum(r.input_token_sum) AS input_tokens,
    sum(r.output_token_sum) AS output_tokens,
    toUnixTimestamp(minIf(bucket_time, r.unpriced_count > 0)) AS first_bucket,
    toUnixTimestamp(maxIf(bucket_time, r.unpriced_count > 0)) AS last_bucket
FROM {table:Identifier} AS r
WHERE r.tenant = {tenant:String}
  AND bucket_time >= toDateTime({start_s:Int64}, 'UTC')
  AND bucket_time < toDateTime({end_s:Int64}, 'UTC')
GROUP BY model
HAVING unpriced_calls > 0
ORDER BY unpriced_calls DESC, model
LIMIT 1000
