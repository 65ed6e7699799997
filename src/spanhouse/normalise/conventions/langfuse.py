"""Langfuse SDK attributes (`langfuse.*`), as its OTel endpoint reads them.

Sources: langfuse/langfuse `packages/shared/src/server/otel/attributes.ts`, `ObservationTypeMapper.ts`,
`OtelIngestionProcessor.ts` (reference §5). Observation types map to categories (generation ->
LLM, retriever -> RETRIEVAL, ...; `span` and `event` give none). Usage and cost details are JSON
objects; Langfuse metadata values may be JSON-encoded twice (§9.2). Usage keys are taken as
reported: Langfuse's own model subtracts cached from input tokens, the SDKs report the provider's
counts. `langfuse.observation.completion_start_time` (an ISO time, JSON-encoded by the Python SDK)
minus the span start is the time to first token. The trace name and tags get columns; metadata
(`langfuse.{trace,observation}.metadata.*`) stays in SpanAttributes as sent (see 0041's comment).
"""

from __future__ import annotations

from collections.abc import Mapping

from spanhouse.normalise import messages, values
from spanhouse.normalise.fields import Fields
from spanhouse.normalise.table import Row, SpanView, Table

NAME = "langfuse"

TYPE = "langfuse.observation.type"
MODEL = "langfuse.observation.model.name"
PARAMETERS = "langfuse.observation.model.parameters"
USAGE = "langfuse.observation.usage_details"
COST = "langfuse.observation.cost_details"
LEVEL = "langfuse.observation.level"
STATUS_MESSAGE = "langfuse.observation.status_message"
INPUT = "langfuse.observation.input"
OUTPUT = "langfuse.observation.output"
TRACE_NAME = "langfuse.trace.name"
TRACE_TAGS = "langfuse.trace.tags"
COMPLETION_START = "langfuse.observation.completion_start_time"
TRACE_INPUT = "langfuse.trace.input"
TRACE_OUTPUT = "langfuse.trace.output"

TYPE_CATEGORY = {"generation": "LLM", "embedding": "EMBEDDING", "agent": "AGENT", "tool": "TOOL", "chain": "CHAIN",
                 "retriever": "RETRIEVAL", "guardrail": "GUARDRAIL", "evaluator": "EVALUATOR"}
USAGE_KEYS = (
    ("input_tokens", ("input", "prompt_tokens", "input_tokens", "prompt")),
    ("output_tokens", ("output", "completion_tokens", "output_tokens", "completion")),
    ("total_tokens", ("total", "total_tokens")),
    ("cache_read_tokens", ("cache_read_input_tokens", "input_cached_tokens", "input_cache_read", "cache_read")),
    ("cache_write_tokens", ("cache_creation_input_tokens", "input_cache_creation", "cache_write")),
    ("reasoning_tokens", ("output_reasoning_tokens", "reasoning_tokens", "output_reasoning")),
)
COST_KEYS = (("input_cost", ("input",)), ("output_cost", ("output",)), ("total_cost", ("total",)))

TABLE = Table((
    Row(TYPE, "category", None, "generation -> LLM, embedding, agent, tool, chain, retriever -> RETRIEVAL, "
        "guardrail, evaluator; span/event: none"),
    Row(MODEL, "request_model", values.text),
    Row(PARAMETERS, "temperature", None, "JSON; temperature and max_tokens (\"Infinity\" is dropped)"),
    Row(USAGE, "input_tokens", None, "JSON {input, output, total, cache_read_input_tokens, ...} -> token fields"),
    Row(COST, "total_cost", None, "JSON {input, output, total} USD -> cost fields"),
    Row("langfuse.session.id", "thread_id", values.text, "compat spelling", marker=False),
    Row("session.id", "thread_id", values.text, "what the SDK emits", marker=False),
    Row("langfuse.trace.metadata.langfuse_session_id", "thread_id", values.unjson_text, marker=False),
    Row("langfuse.observation.metadata.langfuse_session_id", "thread_id", values.unjson_text, marker=False),
    Row("langfuse.user.id", "user_id", values.text, "compat spelling", marker=False),
    Row("user.id", "user_id", values.text, marker=False),
    Row("langfuse.trace.metadata.langfuse_user_id", "user_id", values.unjson_text, marker=False),
    Row(LEVEL, "error_message", None, "ERROR: error_message from status_message"),
    Row(STATUS_MESSAGE, "error_message", None, "when level is ERROR"),
    Row(INPUT, "input_messages", None, "JSON or text; tool spans: tool_arguments; retriever: retrieval_query"),
    Row(OUTPUT, "output_messages", None, "JSON or text; tool spans: tool_result"),
    Row(COMPLETION_START, "time_to_first_token_ms", None, "ISO time (or JSON-encoded, once or twice) minus "
        "the span start"),
    Row(TRACE_NAME, "workflow_name", values.text, "the trace's name, on the span where the app set it"),
    Row(TRACE_TAGS, "tags", values.tags, "list of strings (or comma-joined)"),
    Row("langfuse.tags", "tags", values.tags, "older spelling", marker=False),
    Row("langfuse.trace.metadata.langfuse_tags", "tags", values.tags, marker=False),
    Row("langfuse.trace.metadata.*", "", None, "kept in SpanAttributes as sent (values may be JSON-encoded)"),
    Row("langfuse.observation.metadata.*", "", None, "kept in SpanAttributes as sent"),
    Row(TRACE_INPUT, "", None, "trace input", content=True),
    Row(TRACE_OUTPUT, "", None, "trace output", content=True),
))


def extract(span: SpanView) -> Fields | None:
    """Canonical fields from `langfuse.*` attributes, or None when the span has none."""
    if TABLE.markers.isdisjoint(span.keys):
        return None
    attrs = span.attrs
    keys = span.keys
    fields = TABLE.read(span)
    category = TYPE_CATEGORY.get((attrs.get(TYPE) or "").strip().lower())
    if category:
        fields["category"] = category
        # the span name is the agent's or tool's name, unless a GenAI attribute says otherwise
        if category == "AGENT" and span.name and not attrs.get("gen_ai.agent.name"):
            fields["agent_name"] = span.name
        elif category == "TOOL" and span.name and not attrs.get("gen_ai.tool.name"):
            fields["tool_name"] = span.name
    if USAGE in keys:
        values.numbers_from(values.mapping(attrs[USAGE]), USAGE_KEYS, values.count, fields)
    if COST in keys:
        values.numbers_from(values.mapping(attrs[COST]), COST_KEYS, values.amount, fields)
        if "total_cost" in fields or "input_cost" in fields:
            fields["cost_source"] = "span:" + COST
    if PARAMETERS in keys:
        parameters = values.mapping(attrs[PARAMETERS])
        values.numbers_from(parameters, (("temperature", ("temperature",)),), values.amount, fields)
        values.numbers_from(parameters, (("max_tokens", ("max_tokens", "max_completion_tokens")),), values.count,
                            fields)
    if COMPLETION_START in keys and span.start_ns:
        first_token_ns = values.timestamp_ns(attrs[COMPLETION_START])
        if first_token_ns is not None and first_token_ns >= span.start_ns:
            fields["time_to_first_token_ms"] = (first_token_ns - span.start_ns) / 1e6
    if (attrs.get(LEVEL) or "").upper() == "ERROR":
        fields["error_message"] = attrs.get(STATUS_MESSAGE) or ""
    if span.content:
        _content(attrs, category, fields)
    return fields


def _content(attrs: Mapping[str, str], category: str | None, fields: Fields) -> None:
    raw_input = attrs.get(INPUT)
    raw_output = attrs.get(OUTPUT)
    if category == "TOOL":
        if raw_input:
            fields["tool_arguments"] = raw_input
        if raw_output:
            fields["tool_result"] = raw_output
        return
    if category == "RETRIEVAL" and raw_input:
        query = values.json_or_text(raw_input)
        if isinstance(query, Mapping):
            query = query.get("query")
        if isinstance(query, str) and query:
            fields["retrieval_query"] = query
        return
    for field, raw, role in (("input_messages", raw_input, "user"), ("output_messages", raw_output, "assistant")):
        if raw:
            found = messages.coerce(values.json_or_text(raw), role) or [messages.text_message(role, raw)]
            fields[field] = found
