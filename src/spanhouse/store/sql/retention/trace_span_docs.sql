ALTER TABLE trace_span_docs MODIFY TTL toDateTime(Timestamp) + toIntervalDay({days:UInt32})
