-- Spans reference their prompt and completion text in message_content by hash (see 0024):
-- canonical messages in order, and the raw content attributes moved out of SpanAttributes
-- (long values only; short ones, like roles, stay inline). The timeline re-inflates both.
-- InputMessages / OutputMessages keep the text inline when content_store is inline.
ALTER TABLE otel_traces
    ADD COLUMN IF NOT EXISTS InputMessageHashes Array(UInt128) CODEC(ZSTD(1))
        COMMENT 'Input messages, in order, as hashes into message_content (empty when stored inline in InputMessages)',
    ADD COLUMN IF NOT EXISTS OutputMessageHashes Array(UInt128) CODEC(ZSTD(1))
        COMMENT 'Output messages, in order, as hashes into message_content',
    ADD COLUMN IF NOT EXISTS ContentAttributes Map(LowCardinality(String), Array(UInt128)) CODEC(ZSTD(1))
        COMMENT 'Content attributes moved out of SpanAttributes: key -> [hash of the value] or, for a JSON array value, [0, hash of each element] in message_content (the type stays in SpanAttributeTypes)'
