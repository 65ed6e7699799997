ALTER TABLE otel_traces MODIFY TTL toDateTime(Timestamp) + toIntervalDay({days:UInt32})
