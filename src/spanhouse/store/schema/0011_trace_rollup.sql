-- One row per (tenant, trace) once merged: what thread_activity is computed from.
--
-- Why per trace and not per thread: a span belongs to a thread through its trace (see
-- trace_context), and the span naming the thread often arrives after its siblings, so an
-- insert-time view cannot know the thread of most spans. Aggregating per trace is exact
-- whatever the arrival order; the thread_activity view then groups the (few, compact) trace
-- rows by the thread their trace resolved to. Cost scales with traces, not spans.
--
-- Column types are SimpleAggregateFunction so partial rows of one trace merge in the
-- background; readers must still aggregate (max/min/sum ... GROUP BY tenant, trace_id) because
-- merges are eventual. Tuples (time, value) with max/min give "latest" / "earliest" values.
CREATE TABLE IF NOT EXISTS trace_rollup
(
    tenant LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tenant of the trace',
    trace_id String CODEC(ZSTD(1)) COMMENT 'Trace id, hex',
    trace_thread_id SimpleAggregateFunction(max, String) CODEC(ZSTD(1)) COMMENT 'Thread named by any span of the trace (greatest wins; empty when none)',
    trace_user_id SimpleAggregateFunction(max, String) CODEC(ZSTD(1)) COMMENT 'User named by any span of the trace',
    trace_first_agent SimpleAggregateFunction(min, Tuple(at DateTime64(9, 'UTC'), name String)) COMMENT 'Earliest-starting span naming an agent, and that agent; far future when none',
    trace_first_seen SimpleAggregateFunction(min, DateTime64(9, 'UTC')) CODEC(ZSTD(1)) COMMENT 'Earliest span start',
    trace_last_seen SimpleAggregateFunction(max, DateTime64(9, 'UTC')) CODEC(ZSTD(1)) COMMENT 'Latest span end',
    span_count SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Spans',
    llm_count SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Spans of category LLM',
    tool_count SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Spans of category TOOL',
    retrieval_count SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Spans of category RETRIEVAL',
    embedding_count SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Spans of category EMBEDDING',
    input_token_sum SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Input tokens (NULL counted as 0)',
    output_token_sum SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Output tokens',
    total_token_sum SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Total tokens',
    cost_sum SimpleAggregateFunction(sum, Float64) CODEC(ZSTD(1)) COMMENT 'Cost in USD of the spans whose cost is known',
    error_count SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Spans with StatusCode Error',
    latest_status SimpleAggregateFunction(max, Tuple(at DateTime64(9, 'UTC'), status String)) COMMENT 'StatusCode of the span that ended last, with its end time',
    latest_model SimpleAggregateFunction(max, Tuple(at DateTime64(9, 'UTC'), model String)) COMMENT 'Model of the LLM span that ended last, with its end time (epoch when none)',
    llm_duration_ns SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Summed duration of LLM spans, ns',
    tool_duration_ns SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)) COMMENT 'Summed duration of TOOL spans, ns',
    INDEX idx_thread trace_thread_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant, trace_id)
TTL toDateTime(trace_last_seen) + toIntervalDay(400)
SETTINGS index_granularity = 8192
COMMENT 'Per-trace totals fed by trace_rollup_mv; thread_activity groups them by thread. Read with sum/min/max GROUP BY tenant, trace_id'
