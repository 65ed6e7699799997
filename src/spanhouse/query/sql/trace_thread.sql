-- The thread a trace belongs to: the greatest thread id its spans name, as thread_activity and the
-- timeline (resolve_trace_context) take it; '' when none does. One primary-key read of
-- trace_rollup, so the trace timeline can ask for the thread's summary while its spans are read.
SELECT max(trace_thread_id) AS thread_id
FROM trace_rollup
WHERE tenant = {tenant:String} AND trace_id = {trace_id:String}
