-- jaeger_find_traces.sql with tags (keys and values in two arrays of one length), matched on the
-- same span as the other conditions: Jaeger's derived tags against the columns they come from
-- (`error` true/false against the status, `span.kind`, `otel.status_code`, ...), any other key
-- against the span's attributes, then its resource's (Jaeger's process tags), as stored text:
-- `{"http.status_code":"200"}` matches the integer 200. Reads both attribute maps of every span
-- in the window that passes the other conditions.
SELECT TraceId, max(Timestamp) AS Latest
FROM otel_traces
WHERE Tenant = {tenant:String}
  AND Timestamp >= fromUnixTimestamp64Nano({start_ns:Int64})
  AND Timestamp <= fromUnixTimestamp64Nano({end_ns:Int64})
  AND (isNull({service:Nullable(String)}) OR ServiceName = {service:Nullable(String)})
  AND (isNull({operation:Nullable(String)}) OR SpanName = {operation:Nullable(String)})
  AND Duration >= {min_duration_ns:UInt64}
  AND Duration <= {max_duration_ns:UInt64}
  AND arrayAll((key, value) -> multiIf(
        key = 'error' AND value IN ('true', 'false'),
            (StatusCode = 'Error' OR SpanAttributes['error'] = 'true') = (value = 'true'),
        key = 'span.kind', lower(SpanKind) = value,
        key = 'otel.status_code', upper(StatusCode) = value,
        key = 'otel.status_description', StatusMessage = value,
        key = 'otel.scope.name', ScopeName = value,
        key = 'otel.scope.version', ScopeVersion = value,
        key = 'w3c.tracestate', TraceState = value,
        (mapContains(SpanAttributes, key) AND SpanAttributes[key] = value)
            OR (mapContains(ResourceAttributes, key) AND ResourceAttributes[key] = value)),
      {tag_keys:Array(String)}, {tag_values:Array(String)})
GROUP BY TraceId
ORDER BY Latest DESC, TraceId
LIMIT {limit:UInt32}
