ALTER TABLE thread_traces MODIFY TTL toDateTime(last_seen) + toIntervalDay({days:UInt32})
