-- What the trace timeline needs before it reads a trace's spans: the thread it belongs to (the
-- greatest thread id its spans name, as thread_activity and the timeline's resolve_trace_context
-- take it), its time range (first span start, last span end), how many spans and model calls it has. One primary-key read of
-- trace_rollup; the caller takes max/min over the rows, and no row means trace_rollup has no
-- spans of the trace. The trace's partial rows (parts not merged yet) come as they are, without
-- max(): an aggregate costs ClickHouse ~5 ms of planning here (8.3 against 3.2 ms at 10M spans).
-- With the range in hand, trace_spans.sql takes it as parameters instead of reading
-- otel_traces_trace_id_ts in a subquery, and the thread's summary is read beside the spans.
SELECT
    trace_thread_id AS thread_id,
    toUnixTimestamp64Nano(trace_first_seen) AS start_ns,
    toUnixTimestamp64Nano(trace_last_seen) AS end_ns,
    span_count,
    llm_count
FROM trace_rollup
WHERE tenant = {tenant:String} AND trace_id = {trace_id:String}
