ALTER TABLE hourly_metrics_rollup MODIFY TTL toDate(hour) + toIntervalDay({days:UInt32})
