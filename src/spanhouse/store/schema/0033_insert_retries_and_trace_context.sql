-- Two changes that share this migration's number; each statement is idempotent, and the runner
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
