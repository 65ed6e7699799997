-- Where a timeline holding more than max_spans spans is cut: the start of the last span it keeps
-- (the first max_spans by start time), for trace_spans.sql to read up to. Two narrow columns, so
-- ordering them costs little, unlike ordering the spans query's ~60.
SELECT toUnixTimestamp64Nano(Timestamp) AS start_ns
FROM otel_traces
PREWHERE Tenant = {tenant:String}
  AND TraceId IN {trace_ids:Array(String)}
  AND Timestamp >= fromUnixTimestamp64Nano({start_ns:Int64})
  AND Timestamp <= fromUnixTimestamp64Nano({end_ns:Int64})
ORDER BY Timestamp
LIMIT 1 OFFSET {offset:UInt32}
