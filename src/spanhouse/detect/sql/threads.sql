-- Threads active in the window (a trace of theirs ended in it), with their whole activity so far,
-- against the agent's threads that ended during the baseline before the window: `mean` is the p95
-- of those threads (so `ratio` reads "k x p95"), `std` their standard deviation.
-- {metric:String}: duration_ms (wall time from first span to last) or total_tokens.
WITH
    toDateTime64({now:DateTime64(3, 'UTC')}, 9, 'UTC') AS t_end,
    t_end - toIntervalSecond({window_s:UInt32}) AS t_start,
    t_end - toIntervalSecond({baseline_s:UInt32}) AS b_start,
    thread AS
    (
        SELECT
            tenant, thread_id,
            min(agent).name AS agent_name,
            min(started) AS first_seen, max(ended) AS last_seen,
            if({metric:String} = 'duration_ms',
               toFloat64(greatest(toUnixTimestamp64Milli(max(ended)) - toUnixTimestamp64Milli(min(started)), 0)),
               toFloat64(sum(tokens))) AS value,
            argMax(trace_id, ended) AS last_trace
        FROM
        (
            SELECT r.tenant AS tenant, r.trace_id AS trace_id, max(r.trace_thread_id) AS thread_id,
                   min(r.trace_first_agent) AS agent, min(r.trace_first_seen) AS started,
                   max(r.trace_last_seen) AS ended, sum(r.total_token_sum) AS tokens
            FROM trace_rollup AS r
            WHERE r.trace_last_seen >= b_start - INTERVAL 1 DAY AND r.trace_first_seen < t_end
            GROUP BY r.tenant, r.trace_id
        )
        WHERE thread_id != '' AND started < t_end
        GROUP BY tenant, thread_id
    ),
    baseline AS
    (
        SELECT tenant, agent_name, quantileExact(0.95)(value) AS p95, stddevPop(value) AS sd, count() AS n
        FROM thread
        WHERE last_seen >= b_start AND last_seen < t_start
        GROUP BY tenant, agent_name
    )
SELECT
    a.tenant AS tenant, a.agent_name AS agent_name, '' AS model, '' AS tool_name, a.thread_id AS thread_id,
    '' AS trace_id,
    a.value AS observed,
    toUInt64(1) AS samples,
    b.p95 AS mean,
    b.sd AS std,
    0. AS previous,
    b.n AS baseline_points,
    [a.thread_id] AS evidence_threads,
    [a.last_trace] AS evidence_traces
FROM thread AS a
INNER JOIN baseline AS b ON a.tenant = b.tenant AND a.agent_name = b.agent_name
WHERE a.last_seen >= t_start
