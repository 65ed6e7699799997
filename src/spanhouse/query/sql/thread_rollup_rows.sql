-- The trace_rollup rows of every trace that any row names the thread in: one thread's summary is
-- totalled from them in Python (thread_totals.py), as a query once totalled them in SQL.
-- A query with no aggregate on purpose: at 10M spans ClickHouse spent ~22 ms of that query's
-- ~36 ms (p50) analysing and planning its two levels of ~20 aggregates; this one takes ~24 ms in
-- all, and totalling a thread's few dozen rows in Python a fraction of a millisecond.
-- thread_traces lists the traces naming the thread (its key starts with the thread), trace_rollup's
-- primary key finds all partial rows (parts not merged yet) of those traces. Times come as Int64
-- nanoseconds, which DateTime64(9) always fits: compared as datetimes they would be cut to
-- microseconds.
SELECT
    trace_id,
    trace_thread_id AS thread,
    trace_user_id AS user,
    toUnixTimestamp64Nano(tupleElement(trace_first_agent, 'at')) AS agent_at_ns,
    tupleElement(trace_first_agent, 'name') AS agent,
    toUnixTimestamp64Nano(trace_first_seen) AS started_ns,
    toUnixTimestamp64Nano(trace_last_seen) AS ended_ns,
    span_count,
    llm_count,
    tool_count,
    retrieval_count,
    embedding_count,
    input_token_sum,
    output_token_sum,
    total_token_sum,
    cost_sum,
    error_count,
    toUnixTimestamp64Nano(tupleElement(latest_status, 'at')) AS status_at_ns,
    tupleElement(latest_status, 'status') AS status,
    toUnixTimestamp64Nano(tupleElement(latest_model, 'at')) AS model_at_ns,
    tupleElement(latest_model, 'model') AS model,
    llm_duration_ns,
    tool_duration_ns
FROM trace_rollup
WHERE tenant = {tenant:String}
  AND trace_id IN
  (
      SELECT trace_id
      FROM thread_traces
      WHERE tenant = {tenant:String} AND thread_id = {thread_id:String}
  )
