-- The same tool called again and again in one thread (or, for a trace without a thread, in one
-- trace) within the window: an agent stuck in a loop. Reads the window's raw tool spans (time
-- pruned by the table's key) and resolves each trace's thread and agent through trace_rollup.
WITH
    toDateTime64({now:DateTime64(3, 'UTC')}, 9, 'UTC') AS t_end,
    t_end - toIntervalSecond({window_s:UInt32}) AS t_start
SELECT
    calls.tenant AS tenant,
    any(if(calls.agent != '', calls.agent, ctx.agent)) AS agent_name,
    '' AS model,
    calls.tool AS tool_name,
    any(ctx.thread) AS thread_id,
    if(any(ctx.thread) = '', any(calls.trace_id), '') AS trace_id,
    toFloat64(sum(calls.n)) AS observed,
    sum(calls.n) AS samples,
    0. AS mean, 0. AS std, 0. AS previous, toUInt64(0) AS baseline_points,
    arrayFilter(x -> x != '', [any(ctx.thread)]) AS evidence_threads,
    arraySlice(groupUniqArray(calls.trace_id), 1, 10) AS evidence_traces
FROM
(
    SELECT Tenant AS tenant, TraceId AS trace_id, ToolName AS tool, max(toString(AgentName)) AS agent, count() AS n
    FROM otel_traces
    WHERE Timestamp >= t_start AND Timestamp < t_end AND Category = 'TOOL' AND ToolName != ''
    GROUP BY tenant, trace_id, tool
) AS calls
LEFT JOIN
(
    SELECT r.tenant AS tenant, r.trace_id AS trace_id, max(r.trace_thread_id) AS thread,
           min(r.trace_first_agent).name AS agent
    FROM trace_rollup AS r
    WHERE r.trace_id IN (SELECT TraceId FROM otel_traces WHERE Timestamp >= t_start AND Timestamp < t_end
                         AND Category = 'TOOL')
    GROUP BY tenant, trace_id
) AS ctx ON calls.tenant = ctx.tenant AND calls.trace_id = ctx.trace_id
GROUP BY calls.tenant, calls.tool, if(ctx.thread != '', ctx.thread, calls.trace_id)
HAVING observed >= {min_calls:UInt32}
