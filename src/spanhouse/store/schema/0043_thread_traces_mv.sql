-- Feeds thread_traces (see 0042) with every trace_rollup row that names a thread: a materialized
-- view on trace_rollup runs on the rows trace_rollup_mv inserts, one per trace per insert.
CREATE MATERIALIZED VIEW IF NOT EXISTS thread_traces_mv
TO thread_traces
AS SELECT
    tenant,
    trace_thread_id AS thread_id,
    trace_id,
    trace_last_seen AS last_seen
FROM trace_rollup
WHERE trace_thread_id != ''
COMMENT 'Feeds thread_traces on every insert into trace_rollup'
