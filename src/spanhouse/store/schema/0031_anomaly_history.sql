-- Every status change of an anomaly, with who made it, when and why: append-only, never updated.
CREATE TABLE IF NOT EXISTS anomaly_history
(
    tenant LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tenant of the anomaly',
    anomaly_id String CODEC(ZSTD(1)) COMMENT 'Id of the anomaly (anomalies.id)',
    at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)) COMMENT 'When the change was made',
    actor String CODEC(ZSTD(1)) COMMENT 'Who made it: "detector", or the name the person gave',
    from_status LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Status before the change; empty when the anomaly was opened',
    to_status LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Status after the change',
    note String CODEC(ZSTD(1)) COMMENT 'Why, in the actor''s words'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (tenant, anomaly_id, at)
TTL toDateTime(at) + toIntervalDay(400)
SETTINGS index_granularity = 1024
COMMENT 'Status changes of anomalies (OPEN, ACKNOWLEDGED, RESOLVED, FALSE_POSITIVE) with actor, time and note; append-only'
