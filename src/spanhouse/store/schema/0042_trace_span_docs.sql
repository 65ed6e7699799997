-- Every span a second time, as one JSON document in trace-id order: what a trace lookup reads.
--
-- Why a copy: a lookup in otel_traces names ~60 columns, and ClickHouse's fixed work per query
-- grows with the columns it reads (analysis, planning, a file and a read buffer per column
-- stream: ~190 of them), not with the rows. Measured at 10M spans on the 2-core machine: the
-- timeline's spans query on otel_traces p50 40-53 ms, of which ~20 ms planning; the same spans as
-- one String column keyed by trace id p50 6-7 ms. Jaeger's ClickHouse plugin and SigNoz keep
-- spans the same way (a serialized span per row, ordered by trace id) for the same reason.
-- The price, measured on `make bench`'s AI spans: ~10 us of insert CPU and ~30 bytes on disk
-- per span (ZSTD over documents sorted by trace id).
--
-- Layout:
--  * ORDER BY (Tenant, TraceId, Timestamp): the trace id is found by binary search in every
--    part, with no time range to look up first; a trace's spans lie together.
--  * index_granularity 1024: a lookup decompresses whole granules, and a document is ~1-2 KB.
--  * PARTITION BY day, as otel_traces: retention drops whole days (ttl_only_drop_parts).
--  * Doc is JSON (JSONEachRow), keyed by column name: a later migration can add a field for new
--    spans, and the reader gives older documents a default for it (query/span_docs.py).
-- Analysts query otel_traces: this table serves the API's lookups only.
CREATE TABLE IF NOT EXISTS trace_span_docs
(
    Tenant LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tenant that sent the span',
    TraceId String CODEC(ZSTD(1)) COMMENT 'Trace id, 32 lower-case hex characters',
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)) COMMENT 'Span start time (orders a trace''s spans; partitions and expires the table)',
    Doc String CODEC(ZSTD(3)) COMMENT 'The span as a JSON object: the otel_traces columns the trace timeline reads, keyed by column name; UInt128 hashes as decimal strings'
)
ENGINE = MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (Tenant, TraceId, Timestamp)
SETTINGS index_granularity = 1024, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000
COMMENT 'Spans as JSON documents by trace id, fed by trace_span_docs_mv: what GET /api/v1/traces/{id} reads'
