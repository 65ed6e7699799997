-- Per outer agent, for the turns (traces) that started in [start, end): turns, threads, users,
-- calls, tokens, cost, errors, and turn duration. From trace_rollup: a turn belongs to the agent
-- of its earliest span naming one, and every span of the turn counts for it (in the metrics
-- rollups an LLM call counts under an agent only when its instrumentation named the agent).
--
-- trace_rollup's partial rows of one trace are merged eventually, so each trace is aggregated
-- (GROUP BY trace_id) before its start is compared with the range. The IN list narrows that to
-- traces with a partial row starting in the range, a superset of those that truly do: the partial
-- row holding a trace's earliest start is among them.
SELECT
    turn.agent_name AS agent_name,
    count() AS turns,
    uniqExactIf(turn.thread_id, turn.thread_id != '') AS threads,
    uniqExactIf(turn.user_id, turn.user_id != '') AS users,
    sum(turn.spans) AS spans,
    sum(turn.llm) AS llm_calls,
    sum(turn.tool) AS tool_calls,
    sum(turn.input_tokens) AS input_tokens,
    sum(turn.output_tokens) AS output_tokens,
    sum(turn.total_tokens) AS total_tokens,
    sum(turn.cost) AS cost_usd,
    sum(turn.errors) AS errors,
    countIf(turn.errors > 0) AS turns_with_errors,
    sum(turn.llm_duration_ns) AS llm_duration_ns,
    avg(turn.duration_ms) AS avg_turn_ms,
    quantileExact(0.95)(turn.duration_ms) AS p95_turn_ms
FROM
(
    SELECT
        min(r.trace_first_agent).name AS agent_name,
        max(r.trace_thread_id) AS thread_id,
        max(r.trace_user_id) AS user_id,
        min(r.trace_first_seen) AS started,
        (toUnixTimestamp64Nano(max(r.trace_last_seen)) - toUnixTimestamp64Nano(started)) / 1e6 AS duration_ms,
        sum(r.span_count) AS spans,
        sum(r.llm_count) AS llm,
        sum(r.tool_count) AS tool,
        sum(r.input_token_sum) AS input_tokens,
        sum(r.output_token_sum) AS output_tokens,
        sum(r.total_token_sum) AS total_tokens,
        sum(r.cost_sum) AS cost,
        sum(r.error_count) AS errors,
        sum(r.llm_duration_ns) AS llm_duration_ns
    FROM trace_rollup AS r
    WHERE r.tenant = {tenant:String}
      AND r.trace_id IN (
          SELECT p.trace_id FROM trace_rollup AS p
          WHERE p.tenant = {tenant:String}
            AND p.trace_first_seen >= fromUnixTimestamp64Nano({start_ns:Int64}, 'UTC')
            AND p.trace_first_seen < fromUnixTimestamp64Nano({end_ns:Int64}, 'UTC'))
    GROUP BY r.trace_id
    HAVING started >= fromUnixTimestamp64Nano({start_ns:Int64}, 'UTC')
       AND started < fromUnixTimestamp64Nano({end_ns:Int64}, 'UTC')
) AS turn
GROUP BY turn.agent_name
ORDER BY cost_usd DESC, agent_name
LIMIT {limit:UInt32}
