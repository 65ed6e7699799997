-- GenAI content events of some traces that arrived as OTLP log records (gen_ai.user.message,
-- gen_ai.choice, gen_ai.client.inference.operation.details, ...), for the timeline to attach to
-- their spans whichever arrived first. Bounded by the traces' time range, which the caller has
-- from their spans (records can be stamped a little before their span starts or observed after
-- it ends: a minute / an hour of slack), then by the bloom filter on TraceId.
SELECT
    TraceId,
    SpanId,
    if(EventName != '', toString(EventName), LogAttributes['event.name']) AS Name,
    Body,
    BodyType,
    LogAttributes,
    LogAttributeTypes
FROM otel_logs
WHERE Tenant = {tenant:String}
  AND TraceId IN {trace_ids:Array(String)}
  AND TimestampTime >= toDateTime(fromUnixTimestamp64Nano({start_ns:Int64})) - INTERVAL 1 MINUTE
  AND TimestampTime <= toDateTime(fromUnixTimestamp64Nano({end_ns:Int64})) + INTERVAL 1 HOUR
  AND (EventName LIKE 'gen\_ai.%' OR LogAttributes['event.name'] LIKE 'gen\_ai.%')
ORDER BY Timestamp
LIMIT {max_events:UInt32}
