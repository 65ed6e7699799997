-- Conversation threads (GET /api/v1/threads): the thread_activity view's columns, computed as that
-- view computes them (tests/query/test_threads.py checks every row against it), for the threads
-- whose last activity (last_seen: the latest span end of any turn) falls in [start, end), filtered,
-- sorted and cut after a keyset cursor. One thread's summary by id: thread_totals.py.
-- A thread's totals always cover all of its turns, also those before the window.
--
-- Why not `SELECT ... FROM thread_activity WHERE last_seen ...`: the view aggregates every
-- trace_rollup row of the tenant into turns and every turn into threads before the filter on
-- last_seen can apply. Filtering trace_rollup rows by time before that aggregation would be
-- wrong (a turn's partial rows and a thread's older turns would be lost), so this goes in two
-- steps instead: the turns with a partial row ending at or after `start` (reading two narrow
-- columns of the tenant's rollup), the threads those turns resolve to, then all the turns of just
-- those threads (bloom filter on trace_thread_id, then the primary key) aggregated in full. A
-- thread whose last activity is in the window has such a turn, so none is missed; a turn naming
-- a thread it does not resolve to adds nothing (its thread is filtered out or complete).
-- Measured on 3M spans / 430k traces / 86k threads over 30 days, a 24 h window, p50 on a loaded
-- 2-core machine (python -m benchmarks.search): 0.36 s, against 4 s for the view (on a quieter
-- machine, with the tuples below compared as strings: 96 ms, 7 days 228 ms, the view 850 ms).
-- Both still read the tenant's whole trace_rollup (two columns of it here), which is ordered by
-- trace id: at much larger sizes a thread-level rollup keyed by last activity would be the next step.
--
-- The "latest"/"earliest" values (status, model, outer agent) are (time, text) tuples taken with
-- max/min, as thread_activity takes them. ClickHouse compares tuples generically, value by value,
-- which took more than half of this query (at 10M spans and a 24 h window holding all of them,
-- 2.7-4.0 s against 1.4-2.1 s): each tuple is compared here as one string instead, the time as 19
-- zero-padded digits of its ns (times are never negative: spans start after 1970) followed by the
-- text, which orders exactly as the tuple does, ties included; the text is cut back out after.
--
-- Sort keys are Int64 so that the keyset comparison is exact, made as search_traces.sql makes them
-- (tokens saturated at 2^63-1; cost as the bits of its Float64, rounded to nano-dollars first).
WITH
    -- turns with a partial row ending at or after the window's start: a superset of the turns
    -- ending in it
    recent AS
    (
        SELECT r.trace_id
        FROM trace_rollup AS r
        WHERE r.tenant = {tenant:String}
          AND r.trace_last_seen >= fromUnixTimestamp64Nano({start_ns:Int64})
    ),
    -- the threads those turns belong to
    candidates AS
    (
        SELECT max(r.trace_thread_id) AS thread
        FROM trace_rollup AS r
        WHERE r.tenant = {tenant:String} AND r.trace_id IN recent
        GROUP BY r.trace_id
        HAVING thread != ''
    )
SELECT
    thread.thread_id AS thread_id,
    toUnixTimestamp64Nano(thread.first_seen) AS first_seen_ns,
    toUnixTimestamp64Nano(thread.last_seen) AS last_seen_ns,
    thread.duration_ms AS duration_ms,
    thread.traces AS traces,
    thread.spans AS spans,
    thread.llm_calls AS llm_calls,
    thread.tool_calls AS tool_calls,
    thread.retrieval_calls AS retrieval_calls,
    thread.embedding_calls AS embedding_calls,
    thread.input_tokens AS input_tokens,
    thread.output_tokens AS output_tokens,
    thread.total_tokens AS total_tokens,
    thread.total_cost AS total_cost,
    thread.error_count AS error_count,
    thread.success_count AS success_count,
    thread.latest_status AS latest_status,
    thread.latest_model AS latest_model,
    thread.agent_name AS agent_name,
    thread.user_id AS user_id,
    thread.avg_llm_latency_ms AS avg_llm_latency_ms,
    thread.avg_tool_latency_ms AS avg_tool_latency_ms,
    multiIf({sort:String} = 'duration', toInt64(thread.duration_ms),
            {sort:String} = 'tokens', toInt64(least(thread.total_tokens, 9223372036854775807)),
            {sort:String} = 'cost', reinterpretAsInt64(if(thread.total_cost < 1e15, round(thread.total_cost, 9),
                                                          thread.total_cost)),
            {sort:String} = 'errors', toInt64(thread.error_count),
            last_seen_ns) AS sort_key
FROM
(
    SELECT
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
        substring(max(turn.status), 20) AS latest_status,
        substring(max(turn.model), 20) AS latest_model,
        substring(min(turn.agent), 20) AS agent_name,
        max(turn.user) AS user_id,
        if(sum(turn.llm) = 0, NULL, sum(turn.llm_ns) / sum(turn.llm) / 1e6) AS avg_llm_latency_ms,
        if(sum(turn.tool) = 0, NULL, sum(turn.tool_ns) / sum(turn.tool) / 1e6) AS avg_tool_latency_ms
    FROM
    (
        SELECT
            r.trace_id AS trace,
            max(r.trace_thread_id) AS thread,
            max(r.trace_user_id) AS user,
            min(concat(leftPad(toString(toUnixTimestamp64Nano(r.trace_first_agent.at)), 19, '0'),
                       r.trace_first_agent.name)) AS agent,
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
            max(concat(leftPad(toString(toUnixTimestamp64Nano(r.latest_status.at)), 19, '0'),
                       r.latest_status.status)) AS status,
            max(concat(leftPad(toString(toUnixTimestamp64Nano(r.latest_model.at)), 19, '0'),
                       r.latest_model.model)) AS model,
            sum(r.llm_duration_ns) AS llm_ns,
            sum(r.tool_duration_ns) AS tool_ns
        FROM trace_rollup AS r
        WHERE r.tenant = {tenant:String}
          AND r.trace_id IN
          (
              SELECT named.trace_id
              FROM trace_rollup AS named
              WHERE named.tenant = {tenant:String}
                AND named.trace_thread_id IN candidates
          )
        GROUP BY r.trace_id
    ) AS turn
    WHERE turn.thread != ''
    GROUP BY turn.thread
) AS thread
WHERE thread.last_seen >= fromUnixTimestamp64Nano({start_ns:Int64})
  AND thread.last_seen < fromUnixTimestamp64Nano({end_ns:Int64})
  AND ({agent:String} = '' OR thread.agent_name = {agent:String})
  AND ({user:String} = '' OR thread.user_id = {user:String})
  AND ({model:String} = '' OR thread.latest_model = {model:String})
  AND thread.duration_ms >= {min_duration_ms:Float64}
  AND thread.total_tokens >= {min_tokens:UInt64}
  AND thread.total_cost >= {min_cost:Float64}
  AND ({has_errors:String} = '' OR ({has_errors:String} = 'true') = (thread.error_count > 0))
  AND ({after:UInt8} = 0
       OR if({descending:UInt8} = 1,
             (sort_key, thread_id) < ({after_key:Int64}, {after_id:String}),
             (sort_key, thread_id) > ({after_key:Int64}, {after_id:String})))
-- ORDER BY cannot take its direction from a parameter: each direction gets its own keys, the
-- other direction's keys being constants.
ORDER BY
    if({descending:UInt8} = 1, 0, sort_key) ASC,
    if({descending:UInt8} = 1, sort_key, 0) DESC,
    if({descending:UInt8} = 1, '', thread_id) ASC,
    if({descending:UInt8} = 1, thread_id, '') DESC
LIMIT {limit:UInt32}
