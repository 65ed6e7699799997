-- Cost and tokens per outer agent or user (`group_by`, from a fixed set) of the turns (traces)
-- that started in [start, end), and the total over every group (the row with is_total = 1, first).
-- From trace_rollup: each turn's whole cost goes to the agent of its earliest span naming one and
-- to the user any of its spans names, even when its LLM calls name neither (they seldom do).
-- Partial rows of a trace are aggregated before the range is applied (see metrics_agents.sql).
SELECT
    grouping(turn.group_key) AS is_total,
    turn.group_key AS group_key,
    sum(turn.cost) AS cost_usd,
    sum(turn.input_tokens) AS input_tokens,
    sum(turn.output_tokens) AS output_tokens,
    sum(turn.total_tokens) AS total_tokens,
    sum(turn.llm) AS llm_calls,
    sum(turn.embedding) AS embedding_calls,
    count() AS turns
FROM
(
    SELECT
        if({group_by:String} = 'agent', min(r.trace_first_agent).name, max(r.trace_user_id)) AS group_key,
        min(r.trace_first_seen) AS started,
        sum(r.llm_count) AS llm,
        sum(r.embedding_count) AS embedding,
        sum(r.input_token_sum) AS input_tokens,
        sum(r.output_token_sum) AS output_tokens,
        sum(r.total_token_sum) AS total_tokens,
        sum(r.cost_sum) AS cost
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
GROUP BY GROUPING SETS ((turn.group_key), ())
HAVING is_total = 1 OR cost_usd > 0 OR total_tokens > 0
ORDER BY is_total DESC, cost_usd DESC, total_tokens DESC, group_key
LIMIT {rows:UInt32}
