-- Evidence for the findings of a rollup rule: for each breached scope (tenant, agent, model, tool),
-- the threads that show it best, at most {limit:UInt32} per scope, each with its most telling
-- trace; a trace without a thread stands for itself. Reads the raw spans of the finding's window
-- and scopes only (the sort key prunes to the tenants and hours), and runs only when a rule found
-- something. {kind:String} says which spans show it and how threads rank:
--   errors     failing spans, the thread with the most recent failure first (error_rate)
--   slowest    LLM calls, the thread with the slowest call first (latency_regression)
--   costliest  spans with a cost, the thread that cost the most in the window first (cost_spike)
--   recent     any span, the most recent first: the last activity before calls dropped (traffic_drop)
-- {match_model:UInt8} / {match_tool:UInt8} = 0 when the rule's scope has no model / tool (every
-- model / tool of the agent counts: the scope's value is then ''). A span's tool is its ToolName on
-- TOOL spans and '' otherwise, as in the rollups.
WITH
    toDateTime64({start:DateTime64(3, 'UTC')}, 9, 'UTC') AS t_start,
    toDateTime64({end:DateTime64(3, 'UTC')}, 9, 'UTC') AS t_end
SELECT
    s.tenant AS tenant, s.agent_name AS agent_name, s.model AS model, s.tool_name AS tool_name,
    if(ctx.thread != '', ctx.thread, s.trace_id) AS evidence_key,
    any(ctx.thread) AS thread_id,
    argMax(s.trace_id, s.score) AS trace_id,
    if({kind:String} = 'costliest', sum(s.score), max(s.score)) AS rank
FROM
(
    SELECT
        Tenant AS tenant, AgentName AS agent_name,
        if({match_model:UInt8}, if(RequestModel != '', RequestModel, ResponseModel), '') AS model,
        if({match_tool:UInt8} AND Category = 'TOOL', ToolName, '') AS tool_name,
        TraceId AS trace_id,
        multiIf({kind:String} = 'slowest', toFloat64(max(Duration)),
                {kind:String} = 'costliest', sum(ifNull(TotalCost, 0)),
                toFloat64(toUnixTimestamp64Milli(max(Timestamp)))) AS score
    FROM otel_traces
    WHERE Tenant IN {tenants:Array(String)} AND Timestamp >= t_start AND Timestamp < t_end
      AND (tenant, agent_name, model, tool_name) IN {scopes:Array(Tuple(String, String, String, String))}
      AND multiIf({kind:String} = 'errors',
                  StatusCode = 'Error' AND Category IN ('LLM', 'TOOL', 'AGENT', 'RETRIEVAL', 'EMBEDDING'),
                  {kind:String} = 'slowest', Category = 'LLM',
                  {kind:String} = 'costliest', TotalCost > 0,
                  1)
    GROUP BY tenant, agent_name, model, tool_name, trace_id
) AS s
LEFT JOIN
(
    SELECT r.tenant AS tenant, r.trace_id AS trace_id, max(r.trace_thread_id) AS thread
    FROM trace_rollup AS r
    WHERE r.tenant IN {tenants:Array(String)}
      AND r.trace_id IN (SELECT TraceId FROM otel_traces
                      WHERE Tenant IN {tenants:Array(String)} AND Timestamp >= t_start AND Timestamp < t_end
                        AND AgentName IN {agents:Array(String)})
    GROUP BY tenant, trace_id
) AS ctx ON s.tenant = ctx.tenant AND s.trace_id = ctx.trace_id
GROUP BY tenant, agent_name, model, tool_name, evidence_key
ORDER BY rank DESC, evidence_key
LIMIT {limit:UInt32} BY tenant, agent_name, model, tool_name
