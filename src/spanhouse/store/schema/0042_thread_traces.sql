-- Thread id -> the traces whose spans name it: how a thread's summary and turns find their traces.
-- Before, they were found with the bloom filter on trace_rollup.trace_thread_id, which ClickHouse
-- checks granule by granule over the whole table: ~10 ms at 1.4M traces (10M spans), growing with
-- the store. Here the thread is a prefix of the key, found by binary search whatever the size.
-- Fed from trace_rollup's inserts (thread_traces_mv), so it names the same traces thread_activity
-- counts. A trace whose spans name two threads is listed under both; readers keep it under the one
-- it resolves to (the greatest id), as thread_activity does. Rows of one trace merge eventually,
-- not at once: readers list each trace id once.
CREATE TABLE IF NOT EXISTS thread_traces
(
    tenant LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tenant of the trace',
    thread_id String CODEC(ZSTD(1)) COMMENT 'A thread some span of the trace names',
    trace_id String CODEC(ZSTD(1)) COMMENT 'Trace id, hex',
    last_seen SimpleAggregateFunction(max, DateTime64(9, 'UTC')) CODEC(Delta, ZSTD(1)) COMMENT 'Latest span end of the trace seen (expires the row with trace_rollup)'
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant, thread_id, trace_id)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000
COMMENT 'The traces of each thread, fed by thread_traces_mv from trace_rollup; list each trace_id once'
