-- store/nesting.py: the keys (store/dedup.py: span_keys of TraceId and ParentSpanId) of the
-- parents of the model calls stored in the last {seconds} seconds, per tenant, so a parent that
-- arrives after a restart is still rolled up. A model call is a span of a model category that
-- carries usage or was itself rolled up. The arithmetic is recent_span_keys.sql's.
SELECT
    span.Tenant AS tenant,
    groupArray(bitXor(bitXor(
        reinterpretAsUInt64(reverse(unhex(span.ParentSpanId))),
        reinterpretAsUInt64(reverse(unhex(substring(span.TraceId, 1, 16)))) * toUInt64(11400714819323198485)),
        reinterpretAsUInt64(reverse(unhex(substring(span.TraceId, 17, 16)))) * toUInt64(14029467366897019727))) AS keys
FROM otel_traces AS span
WHERE span.ReceivedAt >= now() - toIntervalSecond({seconds:UInt32})
    AND span.Category IN {categories:Array(String)}
    AND (span.TotalTokens IS NOT NULL OR span.CostSource = {rolled_up:String})
    AND span.ParentSpanId != ''
GROUP BY tenant
