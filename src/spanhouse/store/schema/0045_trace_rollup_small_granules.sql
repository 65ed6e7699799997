-- trace_rollup again, with 1024-row granules in blocks compressed from 4 KB instead of 8192 rows in
-- blocks of 64 KB and more. A thread's summary (on every trace and thread timeline) reads the rows of
-- the thread's traces, which the (tenant, trace_id) order scatters one granule per trace and part:
-- ClickHouse decompresses each column's whole block around each for a row or two. Measured on 10M
-- spans / 1.4M traces (benchmarks.lookup_breakdown's store, threads of five traces), the thread
-- summary's rows query took p50 ~15 ms / 18.5 ms CPU, and ~10 ms / 11 ms CPU here; full scans of
-- the table (thread_activity over every trace, token sums by thread) the same within +-10%; ~8%
-- more bytes on disk (115 against 107 MB). index_granularity cannot be altered, so the rows
-- are copied into a new table that then takes the old one's place (EXCHANGE TABLES swaps the names
-- atomically; trace_rollup_mv and thread_traces_mv name their tables, so they follow), and the old
-- one is dropped. The columns are as 0011 made them, with the LZ4 codec 0033 gave them and the
-- deduplication window 0033 set.
--
-- spanhouse applies migrations before it receives anything, so nothing is inserted meanwhile. On
-- a cluster, pause ingest while this file is applied: rows inserted between the copy and the swap
-- would go with the old table. An interrupted run can be run again whole: the copy starts empty.
-- A server TTL set by hand on trace_rollup is reset to this one; spanhouse sets its own again at
-- start (retention).
CREATE TABLE IF NOT EXISTS trace_rollup_rebuild
(
    tenant LowCardinality(String) CODEC(LZ4) COMMENT 'Tenant of the trace',
    trace_id String CODEC(LZ4) COMMENT 'Trace id, hex',
    trace_thread_id SimpleAggregateFunction(max, String) CODEC(LZ4) COMMENT 'Thread named by any span of the trace (greatest wins; empty when none)',
    trace_user_id SimpleAggregateFunction(max, String) CODEC(LZ4) COMMENT 'User named by any span of the trace',
    trace_first_agent SimpleAggregateFunction(min, Tuple(at DateTime64(9, 'UTC'), name String)) COMMENT 'Earliest-starting span naming an agent, and that agent; far future when none',
    trace_first_seen SimpleAggregateFunction(min, DateTime64(9, 'UTC')) CODEC(LZ4) COMMENT 'Earliest span start',
    trace_last_seen SimpleAggregateFunction(max, DateTime64(9, 'UTC')) CODEC(LZ4) COMMENT 'Latest span end',
    span_count SimpleAggregateFunction(sum, UInt64) CODEC(LZ4) COMMENT 'Spans',
    llm_count SimpleAggregateFunction(sum, UInt64) CODEC(LZ4) COMMENT 'Spans of category LLM',
    tool_count SimpleAggregateFunction(sum, UInt64) CODEC(LZ4) COMMENT 'Spans of category TOOL',
    retrieval_count SimpleAggregateFunction(sum, UInt64) CODEC(LZ4) COMMENT 'Spans of category RETRIEVAL',
    embedding_count SimpleAggregateFunction(sum, UInt64) CODEC(LZ4) COMMENT 'Spans of category EMBEDDING',
    input_token_sum SimpleAggregateFunction(sum, UInt64) CODEC(LZ4) COMMENT 'Input tokens (NULL counted as 0)',
    output_token_sum SimpleAggregateFunction(sum, UInt64) CODEC(LZ4) COMMENT 'Output tokens',
    total_token_sum SimpleAggregateFunction(sum, UInt64) CODEC(LZ4) COMMENT 'Total tokens',
    cost_sum SimpleAggregateFunction(sum, Float64) CODEC(LZ4) COMMENT 'Cost in USD of the spans whose cost is known',
    error_count SimpleAggregateFunction(sum, UInt64) CODEC(LZ4) COMMENT 'Spans with StatusCode Error',
    latest_status SimpleAggregateFunction(max, Tuple(at DateTime64(9, 'UTC'), status String)) COMMENT 'StatusCode of the span that ended last, with its end time',
    latest_model SimpleAggregateFunction(max, Tuple(at DateTime64(9, 'UTC'), model String)) COMMENT 'Model of the LLM span that ended last, with its end time (epoch when none)',
    llm_duration_ns SimpleAggregateFunction(sum, UInt64) CODEC(LZ4) COMMENT 'Summed duration of LLM spans, ns',
    tool_duration_ns SimpleAggregateFunction(sum, UInt64) CODEC(LZ4) COMMENT 'Summed duration of TOOL spans, ns',
    INDEX idx_thread trace_thread_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant, trace_id)
TTL toDateTime(trace_last_seen) + toIntervalDay(400)
SETTINGS index_granularity = 1024, min_compress_block_size = 4096, max_compress_block_size = 65536,
    non_replicated_deduplication_window = 1000
COMMENT 'Per-trace totals fed by trace_rollup_mv; thread_activity groups them by thread. Read with sum/min/max GROUP BY tenant, trace_id';
TRUNCATE TABLE IF EXISTS trace_rollup_rebuild;
INSERT INTO trace_rollup_rebuild SETTINGS distributed_foreground_insert = 1
SELECT * FROM trace_rollup;
EXCHANGE TABLES trace_rollup AND trace_rollup_rebuild;
DROP TABLE IF EXISTS trace_rollup_rebuild SYNC
