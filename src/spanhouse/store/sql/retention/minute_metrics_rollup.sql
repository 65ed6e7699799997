ALTER TABLE minute_metrics_rollup MODIFY TTL toDate(minute) + toIntervalDay({days:UInt32})
