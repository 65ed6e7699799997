-- Error rate per agent, model and tool over the short window (minute rollup) against the same
-- scope's own rate over the baseline before it (hourly rollup). An LLM call's scope is its agent
-- and model (tool ''), a tool call's its agent and tool (model ''); agent, retrieval and embedding
-- spans count under their agent and model with no tool. `std` is the standard error of a
-- proportion at the baseline rate for the window's sample size, so (observed - mean) / std is the
-- significance of the difference (a one-sided two-proportion test, baseline taken as known).
-- Tool spans rolled up before the rollups had a tool dimension sit under tool '': a tool's
-- baseline starts when that dimension did.
WITH
    toDateTime({now:DateTime64(3, 'UTC')}, 'UTC') AS t_end,
    t_end - toIntervalSecond({window_s:UInt32}) AS t_start,
    t_end - toIntervalSecond({baseline_s:UInt32}) AS b_start
SELECT
    w.tenant AS tenant, w.agent_name AS agent_name, w.model AS model, w.tool_name AS tool_name, '' AS thread_id,
    '' AS trace_id,
    w.errors / w.spans AS observed,
    w.spans AS samples,
    ifNull(b.errors / nullIf(b.spans, 0), 0) AS mean,
    sqrt(greatest(mean, 0.001) * (1 - least(mean, 0.999)) / w.spans) AS std,
    0. AS previous,
    ifNull(b.spans, 0) AS baseline_points,
    CAST([] AS Array(String)) AS evidence_threads,
    CAST([] AS Array(String)) AS evidence_traces
FROM
(
    SELECT tenant, agent_name, model, tool_name, sum(span_count) AS spans, sum(error_count) AS errors
    FROM minute_metrics_rollup
    WHERE minute >= t_start AND minute < t_end AND category IN ('LLM', 'TOOL', 'AGENT', 'RETRIEVAL', 'EMBEDDING')
    GROUP BY tenant, agent_name, model, tool_name
) AS w
LEFT JOIN
(
    SELECT tenant, agent_name, model, tool_name, sum(span_count) AS spans, sum(error_count) AS errors
    FROM hourly_metrics_rollup
    WHERE hour >= toStartOfHour(b_start) AND hour < toStartOfHour(t_start)
      AND category IN ('LLM', 'TOOL', 'AGENT', 'RETRIEVAL', 'EMBEDDING')
    GROUP BY tenant, agent_name, model, tool_name
) AS b USING (tenant, agent_name, model, tool_name)
SETTINGS join_use_nulls = 1
