-- Prompt and completion text, out of the span table: one row per distinct message (or large raw
-- content attribute value) per tenant, keyed by a 128-bit hash of its text. Every LLM call of a
-- conversation re-sends the whole history, so storing messages inline grows with the square of
-- the conversation's length and puts that text in every scan of otel_traces; here each message
-- is stored once and spans hold its hash, in order (InputMessageHashes, OutputMessageHashes,
-- ContentAttributes). Only a trace or thread lookup reads this table, by primary key.
--
-- ReplacingMergeTree: the same message is inserted again by every call that re-sends it (the
-- writer does not read before writing); merges keep one copy. Rows with one key are identical,
-- so readers take any(content) ... GROUP BY hash and never need FINAL. ZSTD(3): text compresses
-- well and is read rarely.
CREATE TABLE IF NOT EXISTS message_content
(
    tenant LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tenant that sent the content',
    hash UInt128 CODEC(ZSTD(1)) COMMENT '128-bit BLAKE2b of the UTF-8 content (normalise/content_store.py)',
    content String CODEC(ZSTD(3)) COMMENT 'One canonical message as JSON, or one raw content attribute value, after redaction and capping',
    stored_at DateTime('UTC') DEFAULT now() CODEC(Delta, ZSTD(1)) COMMENT 'When the latest copy was stored (merges keep the latest insert); retention counts from it'
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant, hash)
SETTINGS index_granularity = 1024
COMMENT 'Distinct prompt and completion text per tenant by content hash; spans reference it from InputMessageHashes, OutputMessageHashes and ContentAttributes'
