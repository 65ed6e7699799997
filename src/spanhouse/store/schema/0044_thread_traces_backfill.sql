-- The traces trace_rollup held before thread_traces_mv existed, listed once under each thread
-- they name. The view is created first (0043), so a trace inserted meanwhile can be listed twice,
-- never missed (readers list each trace once); an interrupted run is run again whole.
INSERT INTO thread_traces (tenant, thread_id, trace_id, last_seen)
SELECT tenant, trace_thread_id, trace_id, max(trace_last_seen)
FROM trace_rollup
WHERE trace_thread_id != ''
GROUP BY tenant, trace_thread_id, trace_id
