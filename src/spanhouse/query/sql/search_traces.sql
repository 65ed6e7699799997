-- Trace search (GET /api/v1/traces): one row per trace whose first span starts in [start, end),
-- with its totals, filtered, sorted and cut after a keyset cursor.
--
-- What is read, and why not trace_rollup: trace_rollup is ordered by trace id, so the traces of
-- a time window are spread over all of its granules and a search would read the tenant's whole
-- rollup (every day of its retention) whatever the window. Raw spans are ordered by hour, so a
-- window reads only its own hours. So:
--  1. `extent`: each trace with a partial row in otel_traces_trace_id_ts from a day before the
--     window on (partition pruning by day), its first start and last end; the traces whose first
--     start falls in the window are the window's traces. (A trace running for more than a day
--     before the window, with spans in it, would be taken as starting in it.)
--  2. Their spans, read from the window's start to the last end among them (all spans of those
--     traces lie in that range), aggregated per trace: the same sums as trace_rollup, and the
--     thread, user and outer agent resolved over all the trace's spans as trace_context does.
--  3. Span filters (service, model, category, attr.*) hold when some span of the trace matches
--     each of them, not necessarily the same span; trace filters apply to the trace's totals and
--     resolved thread, user and agent.
-- Filters left empty are neutral parameters, which ClickHouse folds away (an empty attribute
-- list does not even read SpanAttributes).
--
-- Sort keys are Int64 so that the keyset comparison is exact: ns for start and duration, tokens,
-- and cost in nano-dollars (a float sum's last bits depend on summation order).
WITH
    extent AS
    (
        SELECT b.TraceId AS trace_id, min(b.Start) AS first_start, max(b.End) AS last_end
        FROM otel_traces_trace_id_ts AS b
        WHERE b.Tenant = {tenant:String}
          AND b.Start >= fromUnixTimestamp64Nano({start_ns:Int64}) - INTERVAL 1 DAY
        GROUP BY b.TraceId
        HAVING first_start >= fromUnixTimestamp64Nano({start_ns:Int64})
           AND first_start < fromUnixTimestamp64Nano({end_ns:Int64})
    )
SELECT
    turn.trace_id AS trace_id,
    toUnixTimestamp64Nano(turn.started) AS start_ns,
    toUnixTimestamp64Nano(turn.ended) AS end_ns,
    turn.root.1 AS root_span_id,
    turn.root.2 AS root_name,
    turn.root.3 AS root_service,
    turn.spans AS span_count,
    turn.llm AS llm_calls,
    turn.tool AS tool_calls,
    turn.retrieval AS retrieval_calls,
    turn.embedding AS embedding_calls,
    turn.input_tokens AS input_tokens,
    turn.output_tokens AS output_tokens,
    turn.total_tokens AS total_tokens,
    turn.cost AS cost_usd,
    turn.errors AS error_count,
    turn.thread AS thread_id,
    turn.user AS user_id,
    turn.agent AS agent_name,
    multiIf({sort:String} = 'duration', end_ns - start_ns,
            {sort:String} = 'tokens', toInt64(turn.total_tokens),
            {sort:String} = 'cost', toInt64(round(turn.cost * 1e9)),
            start_ns) AS sort_key
FROM
(
    SELECT
        s.TraceId AS trace_id,
        min(s.Timestamp) AS started,
        max(s.Timestamp + toIntervalNanosecond(s.Duration)) AS ended,
        -- the root: a span without a parent, else (its root not arrived yet) the earliest span
        argMin((s.SpanId, toString(s.SpanName), toString(s.ServiceName)),
               (s.ParentSpanId != '', s.Timestamp, s.SpanId)) AS root,
        count() AS spans,
        countIf(s.Category = 'LLM') AS llm,
        countIf(s.Category = 'TOOL') AS tool,
        countIf(s.Category = 'RETRIEVAL') AS retrieval,
        countIf(s.Category = 'EMBEDDING') AS embedding,
        sum(ifNull(s.InputTokens, 0)) AS input_tokens,
        sum(ifNull(s.OutputTokens, 0)) AS output_tokens,
        sum(ifNull(s.TotalTokens, 0)) AS total_tokens,
        sum(ifNull(s.TotalCost, 0)) AS cost,
        countIf(s.StatusCode = 'Error') AS errors,
        max(s.ThreadId) AS thread,
        max(s.UserId) AS user,
        min(if(s.AgentName = '', (toDateTime64('2262-04-11 00:00:00', 9), ''),
               (s.Timestamp, toString(s.AgentName)))).2 AS agent
    FROM otel_traces AS s
    WHERE s.Tenant = {tenant:String}
      AND s.Timestamp >= fromUnixTimestamp64Nano({start_ns:Int64})
      AND s.Timestamp <= (SELECT max(last_end) FROM extent)
      AND s.TraceId IN (SELECT trace_id FROM extent)
    GROUP BY s.TraceId
    HAVING ({status:String} = '' OR ({status:String} = 'error') = (errors > 0))
       AND toUnixTimestamp64Nano(ended) - toUnixTimestamp64Nano(started) >= {min_duration_ns:Int64}
       AND total_tokens >= {min_tokens:UInt64}
       AND cost >= {min_cost:Float64}
       AND ({thread:String} = '' OR thread = {thread:String})
       AND ({user:String} = '' OR user = {user:String})
       AND ({agent:String} = '' OR agent = {agent:String})
       AND ({service:String} = '' OR countIf(s.ServiceName = {service:String}) > 0)
       AND ({model:String} = '' OR countIf(s.RequestModel = {model:String} OR s.ResponseModel = {model:String}) > 0)
       AND ({category:String} = '' OR countIf(s.Category = {category:String}) > 0)
       -- attr.<key>=<value>: per span, which of the pairs it has; per trace, each pair by some span
       AND arrayAll(hits -> hits > 0, sumForEach(if(length({attr_keys:Array(String)}) = 0, [], arrayMap(
               (key, value) -> toUInt64(mapContains(s.SpanAttributes, key) AND s.SpanAttributes[key] = value),
               {attr_keys:Array(String)}, {attr_values:Array(String)}))))
) AS turn
WHERE {after:UInt8} = 0
   OR if({descending:UInt8} = 1,
         (sort_key, trace_id) < ({after_key:Int64}, {after_id:String}),
         (sort_key, trace_id) > ({after_key:Int64}, {after_id:String}))
-- ORDER BY cannot take its direction from a parameter: each direction gets its own keys, the
-- other direction's keys being constants.
ORDER BY
    if({descending:UInt8} = 1, 0, sort_key) ASC,
    if({descending:UInt8} = 1, sort_key, 0) DESC,
    if({descending:UInt8} = 1, '', trace_id) ASC,
    if({descending:UInt8} = 1, trace_id, '') DESC
LIMIT {limit:UInt32}
