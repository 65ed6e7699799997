-- The tool dimension, for error-rate baselines per tool (the anomaly detector's error_rate rule)
-- and tool charts without raw spans. `tool_name` is the ToolName of TOOL spans and empty for every other
-- category, so LLM, agent and retrieval rows do not multiply: only tool spans split, one row per
-- tool. Added last to the sort key (ClickHouse allows a new column to join the end of ORDER BY in
-- the ALTER that adds it; the primary key stays as it was). Rows written before this migration
-- read tool_name '' (their tool spans count under no tool). Re-running it changes nothing.
ALTER TABLE hourly_metrics_rollup
    ADD COLUMN IF NOT EXISTS tool_name LowCardinality(String) CODEC(ZSTD(1))
        COMMENT 'ToolName of TOOL spans; empty for other categories (and for rows written before the column existed)'
        AFTER category,
    MODIFY ORDER BY (tenant, hour, service_name, agent_name, model, category, tool_name),
    MODIFY COMMENT 'Charts of the last few days: hourly span metrics per tenant, service, agent, model, category and tool (aggregate states; read the hourly_metrics view)'
