-- One row per trace of a page of the trace search: its root span, totals (the same sums as
-- trace_rollup) and the thread, user and outer agent resolved over all its spans (as
-- trace_rollup resolves them). The handler passes the page's trace ids and the time range
-- their spans lie in, so the scan reads those hours, and of them the granules the primary key
-- and the bloom filter on TraceId point to.
SELECT
    s.TraceId AS trace_id,
    toUnixTimestamp64Nano(min(s.Timestamp)) AS start_ns,
    toUnixTimestamp64Nano(max(s.Timestamp + toIntervalNanosecond(s.Duration))) AS end_ns,
    -- the root: a span without a parent, else (its root not arrived yet) the earliest span
    argMin((s.SpanId, toString(s.SpanName), toString(s.ServiceName)),
           (s.ParentSpanId != '', s.Timestamp, s.SpanId)) AS root,
    count() AS span_count,
    countIf(s.Category = 'LLM') AS llm_calls,
    countIf(s.Category = 'TOOL') AS tool_calls,
    countIf(s.Category = 'RETRIEVAL') AS retrieval_calls,
    countIf(s.Category = 'EMBEDDING') AS embedding_calls,
    sum(ifNull(s.InputTokens, 0)) AS input_tokens,
    sum(ifNull(s.OutputTokens, 0)) AS output_tokens,
    sum(ifNull(s.TotalTokens, 0)) AS total_tokens,
    sum(ifNull(s.TotalCost, 0)) AS cost_usd,
    countIf(s.StatusCode = 'Error') AS error_count,
    max(s.ThreadId) AS thread_id,
    max(s.UserId) AS user_id,
    min(if(s.AgentName = '', (toDateTime64('2262-04-11 00:00:00', 9), ''),
           (s.Timestamp, toString(s.AgentName)))).2 AS agent_name
FROM otel_traces AS s
WHERE s.Tenant = {tenant:String}
  AND s.TraceId IN {trace_ids:Array(String)}
  AND s.Timestamp >= fromUnixTimestamp64Nano({start_ns:Int64})
  AND s.Timestamp <= fromUnixTimestamp64Nano({end_ns:Int64})
GROUP BY s.TraceId
