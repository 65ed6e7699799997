-- The spans of one trace. The trace's time range from otel_traces_trace_id_ts bounds the scan
-- to its partitions and hours; the primary key then finds the trace id by binary search.
WITH bounds AS
(
    SELECT min(Start) AS first_start, max(End) AS last_end
    FROM otel_traces_trace_id_ts
    WHERE Tenant = {tenant:String} AND TraceId = {trace_id:String}
)
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
  AND Timestamp >= (SELECT first_start FROM bounds)
  AND Timestamp <= (SELECT last_end FROM bounds)
ORDER BY Timestamp, SpanId
LIMIT {max_spans:UInt32}
