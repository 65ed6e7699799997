-- Per-trace totals from trace_rollup, for traces whose timeline lists only part of their spans,
-- with the thread, user and outer agent the trace resolves to (which the listed spans alone may
-- not name).
-- The primary key (tenant, trace_id) finds the rows; a trace's partial rows are summed here
-- because the engine merges them eventually, not at once.
SELECT
    r.trace_id AS trace_id,
    toUnixTimestamp64Nano(min(r.trace_first_seen)) AS start_ns,
    toUnixTimestamp64Nano(max(r.trace_last_seen)) AS end_ns,
    sum(r.span_count) AS span_count,
    sum(r.llm_count) AS llm_calls,
    sum(r.tool_count) AS tool_calls,
    sum(r.retrieval_count) AS retrieval_calls,
    sum(r.embedding_count) AS embedding_calls,
    sum(r.input_token_sum) AS input_tokens,
    sum(r.output_token_sum) AS output_tokens,
    sum(r.total_token_sum) AS total_tokens,
    sum(r.cost_sum) AS cost_usd,
    sum(r.error_count) AS error_count,
    max(r.trace_thread_id) AS thread_id,
    max(r.trace_user_id) AS user_id,
    min(r.trace_first_agent).name AS agent_name
FROM trace_rollup AS r
WHERE r.tenant = {tenant:String}
  AND r.trace_id IN {trace_ids:Array(String)}
GROUP BY r.trace_id
