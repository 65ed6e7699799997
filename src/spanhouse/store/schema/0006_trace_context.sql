-- Trace id -> the conversation, user and agent it belongs to. Instrumentations name the thread
-- (gen_ai.conversation.id, session.id, ...), the user or the agent on some spans of a trace
-- only (often the root, which arrives last), yet every span of the trace belongs to them.
--
-- Where that resolution happens, and why here: spans are immutable rows, and the span that
-- names the thread may arrive in a later request than its siblings (a root span ends, and is
-- exported, after its children), so filling ThreadId on every row at ingest would need either
-- a cache that forgets on restart or rewriting stored rows. Instead this small table, keyed by
-- trace and fed by a materialized view, holds what any span of the trace said; queries (the
-- timeline, thread views, the rollups) look it up by trace id. Order of arrival does not matter.
--
-- Merged eventually, not at once: read it with max(ThreadId), max(UserId), min(FirstAgent) ...
-- GROUP BY Tenant, TraceId. `max` of a string ignores the empty ones (they sort first); when
-- spans of one trace name two different threads, the greatest id wins (deterministic).
CREATE TABLE IF NOT EXISTS trace_context
(
    Tenant LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tenant of the trace',
    TraceId String CODEC(ZSTD(1)) COMMENT 'Trace id, hex',
    ThreadId SimpleAggregateFunction(max, String) CODEC(ZSTD(1)) COMMENT 'Conversation the trace belongs to: ThreadId of any of its spans (empty when none names one)',
    UserId SimpleAggregateFunction(max, String) CODEC(ZSTD(1)) COMMENT 'End user of the trace: UserId of any of its spans',
    FirstAgent SimpleAggregateFunction(min, Tuple(at DateTime64(9), name String)) COMMENT 'The earliest-starting span that names an agent, and that agent (the outer agent of a multi-agent trace); far future when none does',
    INDEX idx_thread_id ThreadId TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = AggregatingMergeTree
ORDER BY (Tenant, TraceId)
SETTINGS index_granularity = 8192
COMMENT 'Thread, user and agent of every trace, whichever span named them; fed by trace_context_mv, read with max()/min() GROUP BY'
