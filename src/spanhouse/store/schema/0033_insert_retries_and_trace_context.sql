-- Three changes that share this migration's number; each statement is idempotent, and the runner
-- applies a file's statements in order.
--
-- 1. A retried insert is stored once. The writer gives every insert an insert_deduplication_token,
--    the same on each retry of the same blocks (store/writer.py). A plain MergeTree ignores
--    tokens unless it keeps a deduplication window, so every table a retry can reach gets one:
--    the tables the writers insert into and the targets of the materialized views fed by them
--    (ClickHouse >= 24 deduplicates a view's target by itself, from a token derived from the
--    insert's, so a target without a window would count a deduplicated retry again). 1000 is
--    ClickHouse's own default for Replicated tables (the cluster schema's, which need nothing
--    here); a retry follows its failed try at once, well inside it. message_content is left
--    out: a second copy of a text is the same row under the same hash, read with any().
--    Side effect, harmless here: a token-less insert of exactly the same block as a recent one
--    is dropped too.
ALTER TABLE otel_traces MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE otel_logs MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE otel_traces_trace_id_ts MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE trace_rollup MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE minute_metrics_rollup MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE hourly_metrics_rollup MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE daily_metrics_rollup MODIFY SETTING non_replicated_deduplication_window = 1000;
--
-- 2. trace_rollup's columns are compressed with LZ4 instead of ZSTD(1). A thread's summary (the
--    trace and thread timelines show one) reads the rows of the thread's traces, which the
--    (tenant, trace_id) order scatters over a granule per trace and part, so most of its time
--    went to decompressing whole blocks for a few rows; the thread list scans the table. Measured
--    on 10M spans / 1.4M traces: a thread summary 50 -> 36 ms, the 1 h thread list -20%, for
--    ~18 bytes more per trace on disk (+32% of this small table). Parts written from now on
--    (inserts and merges) use it; existing parts keep ZSTD until merged.
ALTER TABLE trace_rollup
    MODIFY COLUMN tenant CODEC(LZ4),
    MODIFY COLUMN trace_id CODEC(LZ4),
    MODIFY COLUMN trace_thread_id CODEC(LZ4),
    MODIFY COLUMN trace_user_id CODEC(LZ4),
    MODIFY COLUMN trace_first_seen CODEC(LZ4),
    MODIFY COLUMN trace_last_seen CODEC(LZ4),
    MODIFY COLUMN span_count CODEC(LZ4),
    MODIFY COLUMN llm_count CODEC(LZ4),
    MODIFY COLUMN tool_count CODEC(LZ4),
    MODIFY COLUMN retrieval_count CODEC(LZ4),
    MODIFY COLUMN embedding_count CODEC(LZ4),
    MODIFY COLUMN input_token_sum CODEC(LZ4),
    MODIFY COLUMN output_token_sum CODEC(LZ4),
    MODIFY COLUMN total_token_sum CODEC(LZ4),
    MODIFY COLUMN cost_sum CODEC(LZ4),
    MODIFY COLUMN error_count CODEC(LZ4),
    MODIFY COLUMN llm_duration_ns CODEC(LZ4),
    MODIFY COLUMN tool_duration_ns CODEC(LZ4);
--
-- 3. trace_context goes: trace_rollup holds the same thread, user and first agent per trace (with
--    the same max/min), every reader now asks trace_rollup (or, for a whole trace, its own spans:
--    query/trace_docs.py), and trace_context cost a part on every insert and had no TTL. Its
--    view first, so no insert feeds a table being dropped.
DROP TABLE IF EXISTS trace_context_mv;
DROP TABLE IF EXISTS trace_context;
