ALTER TABLE trace_rollup MODIFY TTL toDateTime(trace_last_seen) + toIntervalDay({days:UInt32})
