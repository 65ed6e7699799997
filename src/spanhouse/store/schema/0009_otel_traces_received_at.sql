-- When spanhouse stored the span (server clock, second precision), filled by ClickHouse's
-- default: the writer never sends it. Retried exports are recognised by (trace id, span id)
-- within a window of this time, also across a restart (store/dedup.py reloads the keys of the
-- spans received in the window); analysts read ingest lag from it (ReceivedAt - Timestamp).
ALTER TABLE otel_traces
    ADD COLUMN IF NOT EXISTS ReceivedAt DateTime('UTC') DEFAULT now() CODEC(Delta, ZSTD(1))
    COMMENT 'When spanhouse stored the span (UTC, seconds); the ingest-lag and retry-dedup clock'
