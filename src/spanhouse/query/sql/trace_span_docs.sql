-- The spans of some traces (one for the trace timeline, a page of a thread's turns for the thread
-- timeline), as the JSON documents trace_span_docs keeps by trace id (see its migration, 0042):
-- one narrow read found by binary search on the key, with no time range to ask for first.
-- Ties in time are broken by the document, which starts with the start time, trace id and span id,
-- so the order is the same on every read. ClickHouse copies a String's bytes into the document as
-- they are, and text inserted with SQL need not be UTF-8: toValidUTF8 replaces what is not.
SELECT toValidUTF8(Doc) AS Doc
FROM trace_span_docs
WHERE Tenant = {tenant:String}
  AND TraceId IN {trace_ids:Array(String)}
ORDER BY Timestamp, Doc
LIMIT {max_spans:UInt32}
