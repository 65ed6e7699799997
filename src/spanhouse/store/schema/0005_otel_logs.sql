-- Raw log records. Column names and types follow the OpenTelemetry Collector's ClickHouse
-- exporter (so its SQL and Grafana's logs view work), plus what keeps a record lossless: the
-- tenant, the observed time, EventName (where GenAI instrumentations name their events:
-- gen_ai.user.message, gen_ai.choice, gen_ai.client.inference.operation.details, ...), the OTLP
-- type of a non-string body and of non-string attributes, and dropped counts.
--
-- Layout: ORDER BY (Tenant, ServiceName, TimestampTime) like the exporter's, for "this
-- service's logs over this window"; the trace timeline reads a trace's records inside the
-- trace's time range, where the bloom filter on TraceId skips the other granules.
CREATE TABLE IF NOT EXISTS otel_logs
(
    Tenant LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tenant that sent the record',
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)) COMMENT 'Record time (its observed time when the record has none), ns, UTC',
    TimestampTime DateTime DEFAULT toDateTime(Timestamp) COMMENT 'Timestamp to the second, for the primary key',
    ObservedTimestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)) COMMENT 'When the SDK observed the record',
    TraceId String CODEC(ZSTD(1)) COMMENT 'Trace of the span the record was emitted in, hex; empty without trace context',
    SpanId String CODEC(ZSTD(1)) COMMENT 'Span the record was emitted in, hex; empty without trace context',
    TraceFlags UInt32 CODEC(ZSTD(1)) COMMENT 'OTLP LogRecord.flags (W3C trace flags)',
    SeverityText LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Severity as the source wrote it',
    SeverityNumber UInt8 COMMENT 'OTLP severity number, 1 (TRACE) to 24 (FATAL4); 0 when unset',
    ServiceName LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Resource attribute service.name',
    EventName LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'OTLP LogRecord.event_name, e.g. gen_ai.choice; empty for plain logs',
    Body String CODEC(ZSTD(3)) COMMENT 'Record body as text; key-value lists and arrays as JSON',
    BodyType LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'OTLP type of a body that was not a string: int, double, bool, bytes, array, kvlist, empty',
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'ResourceLogs.schema_url',
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)) COMMENT 'Resource attributes as text',
    ResourceAttributeTypes Map(LowCardinality(String), LowCardinality(String)) CODEC(ZSTD(1)) COMMENT 'OTLP type of each resource attribute that was not a string',
    ResourceDroppedAttributesCount UInt32 CODEC(ZSTD(1)) COMMENT 'Resource attributes the SDK dropped',
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'ScopeLogs.schema_url',
    ScopeName String CODEC(ZSTD(1)) COMMENT 'Instrumentation scope name',
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Instrumentation scope version',
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)) COMMENT 'Instrumentation scope attributes',
    ScopeDroppedAttributesCount UInt32 CODEC(ZSTD(1)) COMMENT 'Scope attributes the SDK dropped',
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)) COMMENT 'Record attributes as text (arrays and maps as JSON)',
    LogAttributeTypes Map(LowCardinality(String), LowCardinality(String)) CODEC(ZSTD(1)) COMMENT 'OTLP type of each record attribute that was not a string',
    DroppedAttributesCount UInt32 CODEC(ZSTD(1)) COMMENT 'Record attributes the SDK dropped',
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_event_name EventName TYPE set(100) GRANULARITY 4,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toDate(TimestampTime)
ORDER BY (Tenant, ServiceName, TimestampTime)
SETTINGS index_granularity = 8192, index_granularity_bytes = 1048576, ttl_only_drop_parts = 1
COMMENT 'One row per OTLP log record; GenAI content events are attached to their spans by the query API'
