SELECT SpanCount, Rows
FROM lookup_docs_prototype
WHERE Tenant = {tenant:String} AND TraceId = {trace_id:String}
