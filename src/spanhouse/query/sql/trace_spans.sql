-- The spans of some traces (one for the trace timeline, a page of a thread's turns for the
-- thread timeline). The traces' time range from otel_traces_trace_id_ts bounds the scan to their
-- partitions and hours; the primary key then finds the trace ids by binary search.
-- The range is a scalar (a tuple) so it is computed once: a `WITH bounds AS (subquery)` CTE is
-- inlined at each use and ran the aggregate twice (measured: p50 35 -> 26 ms at 1.4M spans).
--
-- One read of one table, on purpose: each further table a lookup joins or asks costs a few ms of
-- fixed work in ClickHouse whatever its size. So the trace's thread, user and outer agent are
-- not joined in from trace_rollup: they are resolved over the rows returned (timeline.py,
-- `resolve_trace_context`), the same max/min trace_rollup takes, and only a trace cut at
-- max_spans asks trace_rollup (trace_totals.sql). The explicit PREWHERE reads the key columns
-- first and the other ~60 only for the granules holding the trace; written out, it also spares
-- the optimizer weighing every column to choose one.
WITH (
    SELECT (min(Start), max(End))
    FROM otel_traces_trace_id_ts
    WHERE Tenant = {tenant:String} AND TraceId IN {trace_ids:Array(String)}
) AS bounds
SELECT
    toUnixTimestamp64Nano(Timestamp) AS StartNs,
    TraceId,
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
    RetrievalQuery,
    DocumentCount,
    ResponseId,
    Framework,
    Streaming,
    TimeToFirstTokenMs,
    ErrorMessage,
    CostSource,
    ToolArguments,
    ToolResult,
    InputMessages,
    OutputMessages,
    InputMessageHashes,
    OutputMessageHashes,
    ContentAttributes,
    Convention
FROM otel_traces
PREWHERE Tenant = {tenant:String}
  AND TraceId IN {trace_ids:Array(String)}
  AND Timestamp >= bounds.1
  AND Timestamp <= bounds.2
ORDER BY Timestamp, SpanId
LIMIT {max_spans:UInt32}
