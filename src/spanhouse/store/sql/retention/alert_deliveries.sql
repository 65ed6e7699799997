ALTER TABLE alert_deliveries MODIFY TTL toDateTime(at) + toIntervalDay({days:UInt32})
