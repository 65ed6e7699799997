-- Prompt and completion text of a trace's spans, by hash (InputMessageHashes, OutputMessageHashes,
-- ContentAttributes). Copies of one hash are identical, so any() and no FINAL.
SELECT hash, any(content) AS content
FROM message_content
WHERE tenant = {tenant:String}
  AND hash IN {hashes:Array(UInt128)}
GROUP BY hash
