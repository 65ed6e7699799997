-- Service names of a tenant for the Jaeger endpoints, from the daily rollup (a few rows per service
-- and day) rather than the span table. `since_ns` bounds it to recent days: a service that sent
-- nothing since then is not listed (its older traces stay searchable by name).
SELECT DISTINCT service_name AS ServiceName
FROM daily_metrics_rollup
WHERE tenant = {tenant:String}
  AND day >= toDate(fromUnixTimestamp64Nano({since_ns:Int64}), 'UTC')
ORDER BY ServiceName
LIMIT {max_services:UInt32}
