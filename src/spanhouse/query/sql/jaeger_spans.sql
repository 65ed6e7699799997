-- The spans of one or more traces, with every column Jaeger's trace model and OTLP JSON need
-- (the fields the exporter's schema drops included: flags, dropped counts, schema URLs, scope
-- attributes, link state). As in trace_spans.sql, otel_traces_trace_id_ts bounds the scan to the
-- traces' time range, computed once as a scalar; the bloom filter on TraceId does the rest.
-- At most `max_spans_per_trace` spans of each trace, earliest first.
--
-- Only attributes are shown, as sent, so only ContentAttributes (raw content attributes moved to
-- message_content) is re-inflated: the canonical message hashes are read as empty lists so that
-- the timeline's content helpers fetch no text Jaeger does not show.
WITH (
    SELECT (min(Start), max(End))
    FROM otel_traces_trace_id_ts
    WHERE Tenant = {tenant:String} AND TraceId IN {trace_ids:Array(String)}
) AS bounds
SELECT
    TraceId,
    toUnixTimestamp64Nano(Timestamp) AS StartNs,
    SpanId,
    ParentSpanId,
    TraceState,
    TraceFlags,
    SpanName,
    SpanKind,
    ServiceName,
    ResourceAttributes,
    ResourceAttributeTypes,
    ResourceSchemaUrl,
    ResourceDroppedAttributesCount,
    ScopeName,
    ScopeVersion,
    ScopeAttributes,
    ScopeSchemaUrl,
    ScopeDroppedAttributesCount,
    SpanAttributes,
    SpanAttributeTypes,
    DroppedAttributesCount,
    Duration,
    StatusCode,
    StatusMessage,
    arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp) AS EventTimesNs,
    Events.Name AS EventNames,
    Events.Attributes AS EventAttributes,
    Events.DroppedAttributesCount AS EventDroppedAttributesCounts,
    DroppedEventsCount,
    Links.TraceId AS LinkTraceIds,
    Links.SpanId AS LinkSpanIds,
    Links.TraceState AS LinkTraceStates,
    Links.Attributes AS LinkAttributes,
    Links.Flags AS LinkFlags,
    Links.DroppedAttributesCount AS LinkDroppedAttributesCounts,
    DroppedLinksCount,
    ContentAttributes,
    CAST([], 'Array(UInt128)') AS InputMessageHashes,
    CAST([], 'Array(UInt128)') AS OutputMessageHashes
FROM otel_traces
WHERE Tenant = {tenant:String}
  AND TraceId IN {trace_ids:Array(String)}
  AND Timestamp >= bounds.1
  AND Timestamp <= bounds.2
ORDER BY TraceId, Timestamp, SpanId
LIMIT {max_spans_per_trace:UInt32} BY TraceId
