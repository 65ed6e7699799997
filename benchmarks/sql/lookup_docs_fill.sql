-- Every stored span, grouped by trace into lookup_docs_prototype: the columns are the select list
-- of src/spanhouse/query/sql/trace_spans.sql, put in place of the marker by lookup_floor.py.
INSERT INTO lookup_docs_prototype
SELECT
    Tenant,
    TraceId,
    toDate(min(Timestamp)),
    count(),
    arrayStringConcat(groupArray(formatRowNoNewline('JSONCompactEachRow', /*trace_spans columns*/)), '\n')
FROM otel_traces
GROUP BY Tenant, TraceId
