-- Start-up reloads the span keys received in the last dedup window: a minmax index lets that
-- read skip every granule received earlier instead of scanning the whole ReceivedAt column.
ALTER TABLE otel_traces
    ADD INDEX IF NOT EXISTS idx_received_at ReceivedAt TYPE minmax GRANULARITY 1
