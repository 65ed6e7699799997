-- CostSource gains a value: `rollup:children` on a model-call span whose usage is counted on its
-- model-call children (normalise/nesting.py). The comment lists every value.
ALTER TABLE otel_traces
    COMMENT COLUMN CostSource 'Where the cost columns came from: span:<attribute> when the instrumentation reported it (span:llm.cost.total, span:gen_ai.usage.cost, span:operation.cost, span:mlflow.llm.cost, span:langfuse.observation.cost_details); price:<model> when computed from the price table; rollup:children when this LLM/EMBEDDING span wraps model-call spans that carry the same usage, so its tokens and cost are NULL here and counted on them; empty when there is no cost'
