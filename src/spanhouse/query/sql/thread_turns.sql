-- The turns (traces) of one thread in the order they started, after a keyset cursor: the page of
-- the thread timeline (GET /api/v1/threads/{id}), with each turn's span count so the handler can
-- keep a page within its span budget, and its totals for a turn whose spans are gone (raw spans
-- are kept for less time than trace_rollup). thread_traces lists the traces naming the thread,
-- trace_rollup's primary key finds all their partial rows; a trace belongs to the thread its spans
-- resolve it to (greatest id named), as in thread_activity.
SELECT
    turn.trace_id AS trace_id,
    toUnixTimestamp64Nano(turn.started) AS start_ns,
    toUnixTimestamp64Nano(turn.ended) AS end_ns,
    turn.spans AS span_count,
    turn.llm AS llm_calls,
    turn.tool AS tool_calls,
    turn.retrieval AS retrieval_calls,
    turn.embedding AS embedding_calls,
    turn.input_tokens AS input_tokens,
    turn.output_tokens AS output_tokens,
    turn.total_tokens AS total_tokens,
    turn.cost AS cost_usd,
    turn.errors AS error_count
FROM
(
    SELECT
        r.trace_id AS trace_id,
        max(r.trace_thread_id) AS thread,
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
        sum(r.error_count) AS errors
    FROM trace_rollup AS r
    WHERE r.tenant = {tenant:String}
      AND r.trace_id IN
      (
          SELECT named.trace_id
          FROM thread_traces AS named
          WHERE named.tenant = {tenant:String} AND named.thread_id = {thread_id:String}
      )
    GROUP BY r.trace_id
    HAVING thread = {thread_id:String}
) AS turn
WHERE {after:UInt8} = 0 OR (start_ns, trace_id) > ({after_start_ns:Int64}, {after_id:String})
ORDER BY start_ns, trace_id
LIMIT {limit:UInt32}
