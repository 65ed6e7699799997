ALTER TABLE daily_metrics_rollup MODIFY TTL day + toIntervalDay({days:UInt32})
