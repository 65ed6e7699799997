-- The spans of one trace. The trace's time range from otel_traces_trace_id_ts bounds the scan
-- to its partitions and hours; the primary key then finds the trace id by binary search.
-- The range is a scalar (a tuple) so it is computed once: a `WITH bounds AS (subquery)` CTE is
-- inlined at each use and ran the aggregate twice (measured: p50 35 -> 26 ms at 1.4M spans).
WITH (
    SELECT (min(Start), max(End))
    FROM otel_traces_trace_id_ts
    WHERE Tenant = {tenant:String} AND TraceId = {trace_id:String}
) AS bounds
SELECT
    toUnixTimestamp64Nano(Timestamp) AS StartNs,
    SpanId,
    ParentSpanId,
    TraceState,
    SpanName,
    SpanKind,
    ServiceName,
    ScopeName,
    ScopeVersion,
    Duration,
    StatusCode,
    StatusMessage,
    SpanAttributes,
    SpanAttributeTypes,
    ResourceAttributes,
    ResourceAttributeTypes,
    arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp) AS EventTimesNs,
    Events.Name AS EventNames,
    Events.Attributes AS EventAttributes,
    Links.TraceId AS LinkTraceIds,
    Links.SpanId AS LinkSpanIds,
    Links.Attributes AS LinkAttributes,
    Category,
    Operation,
    Provider,
    RequestModel,
    ResponseModel,
    InputTokens,
    OutputTokens,
    TotalTokens,
    CacheReadTokens,
    CacheWriteTokens,
    ReasoningTokens,
    InputCost,
    OutputCost,
    TotalCost,
    ThreadId,
    UserId,
    AgentName,
    AgentId,
    ToolName,
    ToolCallId,
    FinishReasons,
    ErrorType,
    Temperature,
    MaxTokens,
    Convention
FROM otel_traces
WHERE Tenant = {tenant:String}
  AND TraceId = {trace_id:String}
  AND Timestamp >= bounds.1
  AND Timestamp <= bounds.2
ORDER BY Timestamp, SpanId
LIMIT {max_spans:UInt32}
