-- Every alert the detector tried to send, and what became of it: append-only. Webhook URLs can
-- hold secrets (Slack's do), so a delivery names its route, never the URL.
CREATE TABLE IF NOT EXISTS alert_deliveries
(
    tenant LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tenant of the anomaly alerted about',
    id String CODEC(ZSTD(1)) COMMENT 'Delivery id, 32 hex characters',
    at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)) COMMENT 'When the delivery finished (or was throttled)',
    route LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Name of the alert route',
    format LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Payload format: json or slack',
    anomaly_id String CODEC(ZSTD(1)) COMMENT 'Anomaly alerted about; empty for a test message',
    event LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'What happened to the anomaly: opened, escalated, resolved, or test',
    outcome LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'sent, failed, or throttled (cooldown or hourly cap: not sent)',
    attempts UInt8 CODEC(ZSTD(1)) COMMENT 'HTTP attempts made (0 when throttled)',
    http_status UInt16 CODEC(ZSTD(1)) COMMENT 'Status of the last answer; 0 when none came',
    detail String CODEC(ZSTD(1)) COMMENT 'Why it failed or was throttled; empty when sent'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (tenant, at)
TTL toDateTime(at) + toIntervalDay(400)
SETTINGS index_granularity = 1024
COMMENT 'Alert deliveries (sent, failed, throttled) per route and anomaly; append-only'
