ALTER TABLE otel_traces_trace_id_ts MODIFY TTL toDateTime(Start) + toIntervalDay({days:UInt32})
