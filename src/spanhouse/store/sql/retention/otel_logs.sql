ALTER TABLE otel_logs MODIFY TTL toDateTime(Timestamp) + toIntervalDay({days:UInt32})
