-- Trace id -> time range, so a lookup by trace id reads only the partitions and hours the trace
-- lives in. Rows for one trace are merged by the engine eventually, not at once: always read it
-- with min(Start), max(End) ... GROUP BY (Grafana's ClickHouse data source does exactly that).
CREATE TABLE IF NOT EXISTS otel_traces_trace_id_ts
(
    Tenant LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tenant of the spans',
    TraceId String CODEC(ZSTD(1)) COMMENT 'Trace id, hex',
    Start SimpleAggregateFunction(min, DateTime64(9)) CODEC(Delta, ZSTD(1)) COMMENT 'Earliest span start seen for the trace',
    End SimpleAggregateFunction(max, DateTime64(9)) CODEC(Delta, ZSTD(1)) COMMENT 'Latest span end seen for the trace',
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(Start)
ORDER BY (Tenant, TraceId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
COMMENT 'Time range of every trace, fed by otel_traces_trace_id_ts_mv; read with min(Start)/max(End) GROUP BY'
