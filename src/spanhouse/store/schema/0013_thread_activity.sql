-- One row per (tenant, thread), final values: analysts query it like a table. A span counts in
-- a thread when its trace belongs to the thread (any span of the trace named it), whatever the
-- order the spans arrived in. Counts are spans except `traces` (turns). The model of a thread is
-- the requested model when the call named one, else the model that answered (as in the
-- *_metrics views). Filter on tenant and time (last_seen) to keep it cheap: it aggregates
-- trace_rollup, one row per trace.
CREATE VIEW IF NOT EXISTS thread_activity
(
    tenant LowCardinality(String) COMMENT 'Tenant',
    thread_id String COMMENT 'Conversation id (gen_ai.conversation.id, session.id, ...)',
    first_seen DateTime64(9, 'UTC') COMMENT 'Start of the earliest span of the thread',
    last_seen DateTime64(9, 'UTC') COMMENT 'End of the latest span of the thread',
    duration_ms UInt64 COMMENT 'last_seen - first_seen, ms',
    traces UInt64 COMMENT 'Traces (turns) in the thread',
    spans UInt64 COMMENT 'Spans in the thread',
    llm_calls UInt64 COMMENT 'Spans of category LLM',
    tool_calls UInt64 COMMENT 'Spans of category TOOL',
    retrieval_calls UInt64 COMMENT 'Spans of category RETRIEVAL',
    embedding_calls UInt64 COMMENT 'Spans of category EMBEDDING',
    input_tokens UInt64 COMMENT 'Input tokens',
    output_tokens UInt64 COMMENT 'Output tokens',
    total_tokens UInt64 COMMENT 'Total tokens',
    total_cost Float64 COMMENT 'Cost in USD of the spans whose cost is known',
    error_count UInt64 COMMENT 'Spans with StatusCode Error',
    success_count UInt64 COMMENT 'Spans without an error status (Ok or Unset)',
    latest_status String COMMENT 'StatusCode of the span that ended last',
    latest_model String COMMENT 'Model of the LLM call that ended last (requested, else answering model)',
    agent_name String COMMENT 'Agent of the earliest agent span of the thread (the outer agent)',
    user_id String COMMENT 'End user named by the thread''s spans',
    avg_llm_latency_ms Nullable(Float64) COMMENT 'Mean LLM call duration, ms; NULL without LLM calls',
    avg_tool_latency_ms Nullable(Float64) COMMENT 'Mean tool call duration, ms; NULL without tool calls'
)
AS SELECT
    turn.tenant AS tenant,
    turn.thread AS thread_id,
    min(turn.started) AS first_seen,
    max(turn.ended) AS last_seen,
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
        r.tenant AS tenant,
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
    GROUP BY r.tenant, r.trace_id
) AS turn
WHERE turn.thread != ''
GROUP BY turn.tenant, turn.thread
COMMENT 'One row per conversation thread: activity span, turns, calls, tokens, cost, errors, latest status and model, agent, user, average LLM and tool latency'
