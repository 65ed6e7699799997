-- Health check: the store answers and spanhouse's table is there.
SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'otel_traces'
