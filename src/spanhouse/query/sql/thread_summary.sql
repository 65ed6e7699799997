-- One thread's row of the thread list (sql/threads.sql; the thread_activity view's columns) by its
-- id: the summary the trace timeline and the thread timeline show. The same aggregation as
-- threads.sql without its list machinery (window CTEs, filters, sort keys, keyset), which cost a
-- lookup ~40% more analysis and sets for nothing when threads.sql served both (measured on 10M
-- spans / 1.4M traces: 66 -> 42 ms). The bloom filter on trace_thread_id finds the rollup rows naming the
-- thread, the primary key all partial rows of those traces; a trace belongs to the thread its
-- spans resolve it to (greatest id named), as in thread_activity. No row when none does.
SELECT
    turn.thread AS thread_id,
    toUnixTimestamp64Nano(min(turn.started)) AS first_seen_ns,
    toUnixTimestamp64Nano(max(turn.ended)) AS last_seen_ns,
    toUInt64(greatest(toUnixTimestamp64Milli(max(turn.ended)) - toUnixTimestamp64Milli(min(turn.started)), 0)) AS duration_ms,
    count() AS traces,
    sum(turn.spans) AS spans,
    sum(turn.llm) AS llm_calls,
    sum(turn.tool) AS tool_calls,
    sum(turn.retrieval) AS retrieval_calls,
    sum(turn.embedding) AS embedding_calls,
    sum(turn.input_tokens) AS input_tokens,
    sum(turn.output_tokens) AS output_tokens,
    sum(turn.total_tokens) AS total_tokens,
    sum(turn.cost) AS total_cost,
    sum(turn.errors) AS error_count,
    sum(turn.spans) - sum(turn.errors) AS success_count,
    max(turn.status).status AS latest_status,
    max(turn.model).model AS latest_model,
    min(turn.agent).name AS agent_name,
    max(turn.user) AS user_id,
    if(sum(turn.llm) = 0, NULL, sum(turn.llm_ns) / sum(turn.llm) / 1e6) AS avg_llm_latency_ms,
    if(sum(turn.tool) = 0, NULL, sum(turn.tool_ns) / sum(turn.tool) / 1e6) AS avg_tool_latency_ms
FROM
(
    SELECT
        r.trace_id AS trace,
        max(r.trace_thread_id) AS thread,
        max(r.trace_user_id) AS user,
        min(r.trace_first_agent) AS agent,
        min(r.trace_first_seen) AS started,
        max(r.trace_last_seen) AS ended,
        sum(r.span_count) AS spans,
        sum(r.llm_count) AS llm,
        sum(r.tool_count) AS tool,
        sum(r.retrieval_count) AS retrieval,
        sum(r.embedding_count) AS embedding,
        sum(r.input_token_sum) AS input_tokens,
        sum(r.output_token_sum) AS output_tokens,
        sum(r.total_token_sum) AS total_tokens,
        sum(r.cost_sum) AS cost,
        sum(r.error_count) AS errors,
        max(r.latest_status) AS status,
        max(r.latest_model) AS model,
        sum(r.llm_duration_ns) AS llm_ns,
        sum(r.tool_duration_ns) AS tool_ns
    FROM trace_rollup AS r
    WHERE r.tenant = {tenant:String}
      AND r.trace_id IN
      (
          SELECT named.trace_id
          FROM trace_rollup AS named
          WHERE named.tenant = {tenant:String} AND named.trace_thread_id = {thread_id:String}
      )
    GROUP BY r.trace_id
    HAVING thread = {thread_id:String}
) AS turn
GROUP BY turn.thread
