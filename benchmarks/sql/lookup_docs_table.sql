-- Prototype for benchmarks/lookup_floor.py, not part of the schema: one row per trace (per
-- compaction run) holding its spans as JSONCompactEachRow lines, keyed for a primary-key read.
CREATE TABLE lookup_docs_prototype
(
    Tenant LowCardinality(String),
    TraceId String,
    Day Date,
    SpanCount UInt32,
    Rows String CODEC(ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY Day
ORDER BY (Tenant, TraceId)
SETTINGS index_granularity = 1024
