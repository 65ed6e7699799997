-- The workflow (Langfuse trace name, OpenLLMetry workflow) a span belongs to and the tags the
-- application gave it, as columns to filter and group on. Metadata maps (langfuse.*.metadata.*,
-- langsmith.metadata.*, traceloop.association.properties.*) stay in SpanAttributes, where they
-- already are: a copy would double their bytes for no new query.
ALTER TABLE otel_traces
    ADD COLUMN IF NOT EXISTS WorkflowName LowCardinality(String) CODEC(ZSTD(1))
        COMMENT 'Workflow or trace name the instrumentation gave this span (langfuse.trace.name, traceloop.workflow.name), as sent on this span; empty when none. Langfuse sets it on the span where the app named the trace, so group a trace by max(WorkflowName)',
    ADD COLUMN IF NOT EXISTS Tags Array(String) CODEC(ZSTD(1))
        COMMENT 'Tags the application gave the span or its trace (langfuse.trace.tags, OpenInference tag.tags, langsmith.span.tags), in order, without duplicates; empty when none'
