ALTER TABLE anomalies MODIFY TTL toDateTime(last_seen) + toIntervalDay({days:UInt32})
