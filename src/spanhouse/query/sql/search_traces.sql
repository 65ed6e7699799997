-- Trace search (GET /api/v1/traces): the traces whose first span starts in [start, end),
-- filtered, sorted and cut after a keyset cursor; ids and sort keys only, the page's details come
-- from sql/trace_details.sql.
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
--     thread, user and outer agent resolved over all the trace's spans as trace_rollup does.
--     Only what the sort and the filters given need is aggregated: each filter is written
--     `if(<not given>, 1, <condition>)`, which ClickHouse folds away with the aggregates and
--     columns it reads (`<not given> OR <condition>` is not folded). Measured over a week of
--     synthetic spans (700k), aggregating everything the page shows took 1.1-1.4 s, this
--     0.45 s; the page's ~50 rows are then detailed by sql/trace_details.sql.
--  3. Span filters (service, model, category, attr.*) hold when some span of the trace matches
--     each of them, not necessarily the same span; trace filters apply to the trace's totals and
--     resolved thread, user and agent.
-- Sort keys are Int64 so that the keyset comparison is exact (a Float64 cursor key would go
-- through text twice): ns for start and duration; tokens, saturated at 2^63-1 as the API shows
-- them; cost as the bits of its Float64, which order as the value does for costs (never
-- negative), up to an overflowed sum (inf) and without the overflow of an integer conversion
-- (a span of 1e300 USD), rounded to nano-dollars first where that is exact, since a float sum's
-- last bits depend on summation order.
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
    multiIf({sort:String} = 'duration', end_ns - start_ns,
            {sort:String} = 'tokens', toInt64(least(turn.total_tokens, 9223372036854775807)),
            {sort:String} = 'cost', reinterpretAsInt64(if(turn.cost < 1e15, round(turn.cost, 9), turn.cost)),
            start_ns) AS sort_key
FROM
(
    SELECT
        s.TraceId AS trace_id,
        min(s.Timestamp) AS started,
        max(s.Timestamp + toIntervalNanosecond(s.Duration)) AS ended,
        sum(ifNull(s.TotalTokens, 0)) AS total_tokens,
        sum(ifNull(s.TotalCost, 0)) AS cost
    FROM otel_traces AS s
    WHERE s.Tenant = {tenant:String}
      AND s.Timestamp >= fromUnixTimestamp64Nano({start_ns:Int64})
      AND s.Timestamp <= (SELECT max(last_end) FROM extent)
      AND s.TraceId IN (SELECT trace_id FROM extent)
    GROUP BY s.TraceId
    HAVING toUnixTimestamp64Nano(ended) - toUnixTimestamp64Nano(started) >= {min_duration_ns:Int64}
       AND total_tokens >= {min_tokens:UInt64}
       AND cost >= {min_cost:Float64}
       AND if({status:String} = '', 1, ({status:String} = 'error') = (countIf(s.StatusCode = 'Error') > 0))
       AND if({thread:String} = '', 1, max(s.ThreadId) = {thread:String})
       AND if({user:String} = '', 1, max(s.UserId) = {user:String})
       AND if({agent:String} = '', 1,
              min(if(s.AgentName = '', (toDateTime64('2262-04-11 00:00:00', 9), ''),
                     (s.Timestamp, toString(s.AgentName)))).2 = {agent:String})
       AND if({service:String} = '', 1, countIf(s.ServiceName = {service:String}) > 0)
       AND if({model:String} = '', 1,
              countIf(s.RequestModel = {model:String} OR s.ResponseModel = {model:String}) > 0)
       AND if({category:String} = '', 1, countIf(s.Category = {category:String}) > 0)
       -- attr.<key>=<value>: per span, which of the pairs it has; per trace, each pair by some span
       AND if(length({attr_keys:Array(String)}) = 0, 1, arrayAll(hits -> hits > 0, sumForEach(arrayMap(
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
