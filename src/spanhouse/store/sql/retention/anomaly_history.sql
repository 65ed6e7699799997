ALTER TABLE anomaly_history MODIFY TTL toDateTime(at) + toIntervalDay({days:UInt32})
