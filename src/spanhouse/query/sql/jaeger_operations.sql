-- Span names (Jaeger's operations) and kinds of a tenant's service, for the Jaeger endpoints.
-- No rollup holds span names, so this reads the span table, bounded to the recent window
-- (`since_ns`): the primary key (Tenant, hour, ...) limits the scan to those hours, and only the
-- three LowCardinality columns are read. A NULL service or kind means any.
SELECT SpanName, SpanKind
FROM otel_traces
WHERE Tenant = {tenant:String}
  AND Timestamp >= fromUnixTimestamp64Nano({since_ns:Int64})
  AND (isNull({service:Nullable(String)}) OR ServiceName = {service:Nullable(String)})
  AND (isNull({span_kind:Nullable(String)}) OR SpanKind = {span_kind:Nullable(String)})
GROUP BY SpanName, SpanKind
ORDER BY SpanName, SpanKind
LIMIT {max_operations:UInt32}
