-- The spans of some traces (one for the trace timeline, a page of a thread's turns for the
-- thread timeline), given the traces' time range [start_ns, end_ns] (first span start to last span
-- end): it bounds the scan to their partitions and hours, then the primary key finds the trace ids
-- by binary search. The caller has the range already (trace_context.sql, the thread's turns) or
-- reads it (trace_bounds.sql): passed as parameters, it spares this query a scalar subquery on
-- otel_traces_trace_id_ts, measured at 10M spans as 21.4 -> 15.4 ms p50 (CPU 22.8 -> 15.7 ms).
--
-- In no order: the caller sorts the rows by start. Sorting these ~60 columns cost ~2.5 ms of the
-- query's ~16 (10M spans) for a handful of rows. So LIMIT takes any max_spans rows: the caller
-- asks for one more than it lists, and only when there are more than it lists does it read where
-- to cut (trace_spans_cutoff.sql, the start of the last span kept) and pass that start as end_ns.
--
-- One read of one table, on purpose: each further table a lookup joins or asks costs a few ms of
-- fixed work in ClickHouse whatever its size. So the trace's thread, user and outer agent are
-- not joined in from trace_rollup: they are resolved over the rows returned (timeline.py,
-- `resolve_trace_context`), the same max/min trace_rollup takes, and only a trace cut at
-- max_spans asks trace_rollup (trace_totals.sql). The explicit PREWHERE reads the key columns
-- first and the other ~60 only for the granules holding the trace; written out, it also spares
-- the optimizer weighing every column to choose one.
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
  AND Timestamp >= fromUnixTimestamp64Nano({start_ns:Int64})
  AND Timestamp <= fromUnixTimestamp64Nano({end_ns:Int64})
LIMIT {max_spans:UInt32}
