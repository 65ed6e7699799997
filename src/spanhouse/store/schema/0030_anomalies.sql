-- Anomalies found by spanhouse.detect: one row per version of an anomaly; the row with the
-- greatest `version` of an id is its current state.
--
-- Mutability: an anomaly changes (last_seen moves while its condition lasts, a person
-- acknowledges it, the detector resolves it), so every change inserts a whole new row with a
-- higher version, and ReplacingMergeTree(version) drops the old ones at merge time. Merges are
-- eventual, so readers never trust a single row: they take the latest version per id
-- (ORDER BY version DESC LIMIT 1 BY id), never FINAL. first_seen never changes for an id, so
-- every version of an anomaly sits in the same partition (replacing works within one).
-- What changed, by whom and why is kept apart, append-only, in anomaly_history.
CREATE TABLE IF NOT EXISTS anomalies
(
    tenant LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tenant whose data shows the anomaly',
    id String CODEC(ZSTD(1)) COMMENT 'Anomaly id, 32 hex characters; stable across versions',
    version UInt64 CODEC(ZSTD(1)) COMMENT 'Version of this row: the greatest one per id is the current state',
    fingerprint String CODEC(ZSTD(1)) COMMENT 'Rule and scope of the condition: the same ongoing condition updates one anomaly',
    rule LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Name of the rule that found it',
    type LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'error_rate, latency_regression, cost_spike, budget, token_spike, runaway_loop, slow_thread or traffic_drop',
    severity LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'info, warning or critical',
    status LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'OPEN, ACKNOWLEDGED, RESOLVED or FALSE_POSITIVE',
    condition_active Bool CODEC(ZSTD(1)) COMMENT 'Whether the detector still saw the condition at its latest run (findings update this anomaly while true)',
    agent_name String CODEC(ZSTD(1)) COMMENT 'Agent in scope; empty when the rule is not per agent',
    model String CODEC(ZSTD(1)) COMMENT 'Model in scope; empty when the rule is not per model',
    tool_name String CODEC(ZSTD(1)) COMMENT 'Tool in scope; empty when the rule is not per tool',
    thread_id String CODEC(ZSTD(1)) COMMENT 'Thread in scope (thread rules); empty otherwise',
    trace_id String CODEC(ZSTD(1)) COMMENT 'Trace in scope (trace rules); empty otherwise',
    metric LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'What was measured: error_rate, p95_latency_ms, cost_usd, total_tokens, ...',
    method LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'How it was judged: threshold, zscore, ratio or rate_of_change',
    observed Float64 CODEC(ZSTD(1)) COMMENT 'Value observed in the window (latest run)',
    expected Float64 CODEC(ZSTD(1)) COMMENT 'Value expected from the baseline (or the configured limit)',
    deviation Float64 CODEC(ZSTD(1)) COMMENT 'How far observed is from expected in the method''s unit (z-score, ratio, relative change, or observed / threshold)',
    samples UInt64 CODEC(ZSTD(1)) COMMENT 'Observations behind the observed value (spans, threads, calls)',
    window_start DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)) COMMENT 'Start of the window observed at the latest run',
    window_end DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)) COMMENT 'End of the window observed at the latest run',
    evidence_thread_ids Array(String) CODEC(ZSTD(1)) COMMENT 'Threads that show the anomaly (a few, not all)',
    evidence_trace_ids Array(String) CODEC(ZSTD(1)) COMMENT 'Traces that show the anomaly (a few, not all)',
    summary String CODEC(ZSTD(1)) COMMENT 'One line for people: what, where, how far off',
    first_seen DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)) COMMENT 'Detector run that first found the condition',
    last_seen DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)) COMMENT 'Latest detector run that found the condition',
    updated_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)) COMMENT 'When this version was written'
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(first_seen)
ORDER BY (tenant, id)
TTL toDateTime(last_seen) + toIntervalDay(400)
SETTINGS index_granularity = 1024
COMMENT 'Anomalies found by the detector, one row per version (read the latest version per id; history in anomaly_history)'
