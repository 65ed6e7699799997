-- Trace search for the Jaeger endpoints: the ids of the traces having at least one span that
-- started in the window and matches every condition (Jaeger matches conditions per span), most
-- recent first. The window bounds the scan to the tenant's hours in it (primary key); NULL
-- service / operation mean any. Searches with tags use jaeger_find_traces_tagged.sql: this one
-- reads no attribute map, which is most of the bytes of a span (measured on 2.1M synthetic AI
-- spans with prompt text inline: 0.1-0.15 s without tags, 1.2 s with one).
SELECT TraceId, max(Timestamp) AS Latest
FROM otel_traces
WHERE Tenant = {tenant:String}
  AND Timestamp >= fromUnixTimestamp64Nano({start_ns:Int64})
  AND Timestamp <= fromUnixTimestamp64Nano({end_ns:Int64})
  AND (isNull({service:Nullable(String)}) OR ServiceName = {service:Nullable(String)})
  AND (isNull({operation:Nullable(String)}) OR SpanName = {operation:Nullable(String)})
  AND Duration >= {min_duration_ns:UInt64}
  AND Duration <= {max_duration_ns:UInt64}
GROUP BY TraceId
ORDER BY Latest DESC, TraceId
LIMIT {limit:UInt32}
