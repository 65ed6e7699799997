-- The dedup keys (store/dedup.py: span_keys) of the spans stored in the last {seconds} seconds,
-- per tenant, computed here so a restart does not pull millions of ids into Python. The
-- arithmetic must match span_keys exactly (UInt64 products wrap in both); a test checks it.
SELECT
    span.Tenant AS tenant,
    groupArray(bitXor(bitXor(
        reinterpretAsUInt64(reverse(unhex(span.SpanId))),
        reinterpretAsUInt64(reverse(unhex(substring(span.TraceId, 1, 16)))) * toUInt64(11400714819323198485)),
        reinterpretAsUInt64(reverse(unhex(substring(span.TraceId, 17, 16)))) * toUInt64(14029467366897019727))) AS keys
FROM otel_traces AS span
WHERE span.ReceivedAt >= now() - toIntervalSecond({seconds:UInt32})
GROUP BY tenant
