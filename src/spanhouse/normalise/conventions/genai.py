"""OpenTelemetry GenAI semantic conventions (`gen_ai.*`), current names and the deprecated ones.

Sources: open-telemetry/semantic-conventions-genai `model/gen-ai/registry.yaml` (current names),
open-telemetry/semantic-conventions `model/gen-ai/deprecated/registry-deprecated.yaml` (renames:
`gen_ai.system` -> `gen_ai.provider.name` in v1.37, `gen_ai.usage.prompt_tokens` ->
`input_tokens` in v1.27). Where both spellings are present the current one wins (row order).
Content comes from `gen_ai.system_instructions` + `gen_ai.input.messages` /
`gen_ai.output.messages` (JSON strings on spans) and from content span events (see events.py).
The Vercel AI SDK's ai@7 OpenTelemetry integration and Pydantic AI use these names too: their
`invoke_agent` spans sum their children's usage, so AGENT spans are roll-ups (spans.py).
Nested LLM-in-LLM spans (LlamaIndex) need the trace and are not resolved here.
"""

from __future__ import annotations

from spanhouse.normalise import messages, providers, values
from spanhouse.normalise.events import CONTENT_EVENTS, messages_from_event
from spanhouse.normalise.fields import Fields
from spanhouse.normalise.table import Row, SpanView, Table

NAME = "otel_genai"

OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
SYSTEM_DEPRECATED = "gen_ai.system"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
PROMPT_TOKENS_DEPRECATED = "gen_ai.usage.prompt_tokens"
COMPLETION_TOKENS_DEPRECATED = "gen_ai.usage.completion_tokens"
TOTAL_TOKENS = "gen_ai.usage.total_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_WRITE_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
CACHE_WRITE_TOKENS_MLFLOW = "gen_ai.usage.cache_write.input_tokens"
REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
CONVERSATION_ID = "gen_ai.conversation.id"
SESSION_ID = "session.id"
USER_ID = "user.id"
ENDUSER_ID = "enduser.id"
AGENT_NAME = "gen_ai.agent.name"
AGENT_ID = "gen_ai.agent.id"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"
RETRIEVAL_QUERY = "gen_ai.retrieval.query.text"
RETRIEVAL_DOCUMENTS = "gen_ai.retrieval.documents"
RESPONSE_ID = "gen_ai.response.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
TEMPERATURE = "gen_ai.request.temperature"
MAX_TOKENS = "gen_ai.request.max_tokens"
STREAM = "gen_ai.request.stream"
TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
CLIENT_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
PROMPT_DEPRECATED = "gen_ai.prompt"
COMPLETION_DEPRECATED = "gen_ai.completion"
ERROR_TYPE = "error.type"

# gen_ai.operation.name (lower-cased) -> category: registry well-known values, then values seen
# in the wild (reference §8 step 5: OpenLLMetry custom operations, OpenLIT's, MLflow's upper-case
# span types, Vercel ai@7 `agent_step`).
OPERATION_CATEGORY = {
    "chat": "LLM", "generate_content": "LLM", "text_completion": "LLM", "fetch_response": "LLM",
    "response": "LLM", "generate": "LLM", "completion": "LLM", "llm_request": "LLM", "model_request": "LLM",
    "chat_model": "LLM", "llm": "LLM",
    "embeddings": "EMBEDDING", "embedding": "EMBEDDING",
    "retrieval": "RETRIEVAL", "retriever": "RETRIEVAL", "vector_db_retrieve": "RETRIEVAL", "vectordb": "RETRIEVAL",
    "search_memory": "RETRIEVAL",
    "execute_tool": "TOOL", "tool": "TOOL",
    "invoke_agent": "AGENT", "create_agent": "AGENT", "agent": "AGENT",
    "invoke_workflow": "CHAIN", "plan": "CHAIN", "execute_task": "CHAIN", "agent_step": "CHAIN", "chain": "CHAIN",
    "workflow": "CHAIN", "task": "CHAIN",
    "apply_guardrail": "GUARDRAIL", "guardrail": "GUARDRAIL",
    "rerank": "RERANKER", "reranker": "RERANKER",
    "create_memory": "MEMORY", "update_memory": "MEMORY", "upsert_memory": "MEMORY", "delete_memory": "MEMORY",
    "create_memory_store": "MEMORY", "delete_memory_store": "MEMORY", "memory": "MEMORY",
    "evaluator": "EVALUATOR",
}

TABLE = Table((
    Row(OPERATION, "operation", values.lower, "lower-cased; also decides the category (OPERATION_CATEGORY)"),
    Row(PROVIDER, "provider", providers.provider, "framework names (langchain, ...) go to framework instead"),
    Row(SYSTEM_DEPRECATED, "provider", providers.provider, "deprecated in v1.37; `openai.chat` (Vercel) -> openai"),
    Row(REQUEST_MODEL, "request_model", values.text),
    Row(RESPONSE_MODEL, "response_model", values.text),
    Row(INPUT_TOKENS, "input_tokens", values.count, "includes cached tokens"),
    Row(PROMPT_TOKENS_DEPRECATED, "input_tokens", values.count, "deprecated in v1.27"),
    Row(OUTPUT_TOKENS, "output_tokens", values.count, "includes reasoning tokens"),
    Row(COMPLETION_TOKENS_DEPRECATED, "output_tokens", values.count, "deprecated in v1.27"),
    Row(TOTAL_TOKENS, "total_tokens", values.count, "not in the spec; OpenLLMetry and LangSmith emit it"),
    Row(CACHE_READ_TOKENS, "cache_read_tokens", values.count),
    Row(CACHE_WRITE_TOKENS, "cache_write_tokens", values.count),
    Row(CACHE_WRITE_TOKENS_MLFLOW, "cache_write_tokens", values.count, "the name MLflow's translator reads"),
    Row(REASONING_TOKENS, "reasoning_tokens", values.count),
    Row(CONVERSATION_ID, "thread_id", values.text),
    Row(SESSION_ID, "thread_id", values.text, "general registry; read only on GenAI spans", marker=False),
    Row(USER_ID, "user_id", values.text, "general registry", marker=False),
    Row(ENDUSER_ID, "user_id", values.text, "general registry", marker=False),
    Row(AGENT_NAME, "agent_name", values.text),
    Row(AGENT_ID, "agent_id", values.text),
    Row(TOOL_NAME, "tool_name", values.text),
    Row(TOOL_CALL_ID, "tool_call_id", values.text),
    Row(TOOL_ARGUMENTS, "tool_arguments", values.text, "JSON string on spans"),
    Row(TOOL_RESULT, "tool_result", values.text, "JSON string on spans"),
    Row(RETRIEVAL_QUERY, "retrieval_query", values.text),
    Row(RETRIEVAL_DOCUMENTS, "document_count", None, "length of the JSON array", content=True),
    Row(RESPONSE_ID, "response_id", values.text),
    Row(FINISH_REASONS, "finish_reasons", None, "string array; tool-calls/tool_call -> tool_calls"),
    Row(TEMPERATURE, "temperature", values.amount),
    Row(MAX_TOKENS, "max_tokens", values.count),
    Row(STREAM, "streaming", values.flag),
    Row(TIME_TO_FIRST_CHUNK, "time_to_first_token_ms", values.seconds_to_ms, "seconds -> ms"),
    Row(CLIENT_TIME_TO_FIRST_CHUNK, "time_to_first_token_ms", values.seconds_to_ms,
        "a metric name used as a span attribute (Vercel ai@7, pydantic-ai); seconds -> ms"),
    Row(SYSTEM_INSTRUCTIONS, "input_messages", None, "JSON parts; prepended as a system message"),
    Row(INPUT_MESSAGES, "input_messages", None, "JSON, OTel parts schema (a non-JSON string: one user message)"),
    Row(OUTPUT_MESSAGES, "output_messages", None, "JSON, OTel parts schema; its messages' finish_reason fill "
        "finish_reasons when gen_ai.response.finish_reasons is absent (util-genai streaming)"),
    Row(PROMPT_DEPRECATED, "", None, "removed in v1.28; LangSmith's JSON form is read by langsmith", content=True),
    Row(COMPLETION_DEPRECATED, "", None, "removed in v1.28; see langsmith", content=True),
    Row(ERROR_TYPE, "error_type", values.text, "read only on GenAI spans", marker=False),
))


_CONTENT_KEYS = frozenset({SYSTEM_INSTRUCTIONS, INPUT_MESSAGES, OUTPUT_MESSAGES})
_SPECIAL_KEYS = frozenset({PROVIDER, SYSTEM_DEPRECATED, FINISH_REASONS, RETRIEVAL_DOCUMENTS})


def extract(span: SpanView) -> Fields | None:
    """Canonical fields from a span's `gen_ai.*` attributes and content events, or None when it has none."""
    keys = span.keys
    if TABLE.markers.isdisjoint(keys):
        return None
    fields = TABLE.read(span)
    operation = fields.get("operation")
    if operation:
        category = OPERATION_CATEGORY.get(operation)
        if category:
            fields["category"] = category
    if not _SPECIAL_KEYS.isdisjoint(keys):
        _special(span, fields)
    if OUTPUT_MESSAGES in keys and FINISH_REASONS not in keys:
        reasons = _finish_reasons(values.loads(span.attrs[OUTPUT_MESSAGES]))
        if reasons:
            fields["finish_reasons"] = reasons
    if span.content and (span.events or not _CONTENT_KEYS.isdisjoint(keys)):
        _content(span, fields)
    return fields


def _special(span: SpanView, fields: Fields) -> None:
    attrs = span.attrs
    keys = span.keys
    if "provider" not in fields:
        framework = providers.framework_of_provider(attrs.get(PROVIDER) or attrs.get(SYSTEM_DEPRECATED))
        if framework:
            fields["framework"] = framework
    if FINISH_REASONS in keys:
        reasons = values.string_list(attrs[FINISH_REASONS])
        if reasons:
            fields["finish_reasons"] = tuple(messages.finish_reason(reason) for reason in reasons)
    if RETRIEVAL_DOCUMENTS in keys:
        documents = values.loads(attrs[RETRIEVAL_DOCUMENTS])
        if isinstance(documents, list):
            fields["document_count"] = len(documents)


def _finish_reasons(output: object) -> tuple[str, ...]:
    """The finish_reason of each output message (the OTel output messages schema carries one per choice)."""
    if not isinstance(output, list):
        return ()
    return tuple(messages.finish_reason(message["finish_reason"]) for message in output
                 if isinstance(message, dict) and isinstance(message.get("finish_reason"), str)
                 and message["finish_reason"])


def _content(span: SpanView, fields: Fields) -> None:
    attrs = span.attrs
    keys = span.keys
    if not span.events and SYSTEM_INSTRUCTIONS not in keys:
        # one source per column: keep canonical JSON as sent (the common case, and the cheap one)
        if INPUT_MESSAGES in keys:
            fields["input_messages"] = messages.parse_rendered(attrs[INPUT_MESSAGES], "user")
        if OUTPUT_MESSAGES in keys:
            fields["output_messages"] = messages.parse_rendered(attrs[OUTPUT_MESSAGES], "assistant")
        return
    inputs: list[messages.Message] = []
    outputs: list[messages.Message] = []
    if SYSTEM_INSTRUCTIONS in keys:
        system = messages.system_message(values.json_or_text(attrs[SYSTEM_INSTRUCTIONS]))
        if system is not None:
            inputs.append(system)
    if INPUT_MESSAGES in keys:
        inputs += messages.parse(attrs[INPUT_MESSAGES], "user")
    if OUTPUT_MESSAGES in keys:
        outputs += messages.parse(attrs[OUTPUT_MESSAGES], "assistant")
    for name, event_attrs in span.events:
        if name in CONTENT_EVENTS:
            event_in, event_out = messages_from_event(name, event_attrs)
            inputs += event_in
            outputs += event_out
    if inputs:
        fields["input_messages"] = inputs
    if outputs:
        fields["output_messages"] = outputs
