"""OpenLLMetry / Traceloop: `traceloop.*`, and the pre-0.5 `llm.*` / `gen_ai.prompt.N.*` layout.

Sources: traceloop/openllmetry `packages/opentelemetry-semantic-conventions-ai/.../semconv_ai/__init__.py`
and its MIGRATION.md (semconv-ai 0.5 moved to OTel names, read by genai.py; reference §3).
Category: `traceloop.span.kind` beats `gen_ai.operation.name` when the operation is an agent or
workflow one, because the LangChain instrumentation labels every top-level chain `invoke_agent`
(reference §8 step 5, §9.8); it does not override model, tool or retrieval operations
(`vector_db_retrieve` task spans are retrievals, §10). The legacy `llm.request.type` decides only
when there is no `gen_ai.operation.name` (§8 step 8). `traceloop.association.properties.*`
exist only with traceloop-sdk (§9.16) and are copied to every span, so they mark nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from spanhouse.normalise import messages, providers, values
from spanhouse.normalise.conventions.genai import OPERATION, OPERATION_CATEGORY
from spanhouse.normalise.fields import Fields
from spanhouse.normalise.table import Row, SpanView, Table

NAME = "openllmetry"

SPAN_KIND = "traceloop.span.kind"
WORKFLOW_NAME = "traceloop.workflow.name"
ENTITY_NAME = "traceloop.entity.name"
ENTITY_INPUT = "traceloop.entity.input"
ENTITY_OUTPUT = "traceloop.entity.output"
PROPERTIES = "traceloop.association.properties."
REQUEST_TYPE = "llm.request.type"
TOTAL_TOKENS = "llm.usage.total_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read_input_tokens"
CACHE_WRITE_TOKENS = "gen_ai.usage.cache_creation_input_tokens"
REASONING_TOKENS = "gen_ai.usage.reasoning_tokens"
REASONING_TOKENS_LEGACY = "llm.usage.reasoning_tokens"
STREAMING = "gen_ai.is_streaming"
STREAMING_LEGACY = "llm.is_streaming"
USER = "gen_ai.user"
USER_LEGACY = "llm.user"
AGENT_NAME = "gen_ai.agent.name"
TOOL_NAME = "gen_ai.tool.name"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
FINISH_REASONS = "gen_ai.response.finish_reasons"
PROMPTS = "gen_ai.prompt."
COMPLETIONS = "gen_ai.completion."

KIND_CATEGORY = {"workflow": "CHAIN", "task": "CHAIN", "agent": "AGENT", "tool": "TOOL"}
REQUEST_TYPES = {"chat": ("LLM", "chat"), "completion": ("LLM", "text_completion"),
                 "embedding": ("EMBEDDING", "embeddings"), "rerank": ("RERANKER", "rerank")}

TABLE = Table((
    Row(SPAN_KIND, "category", None, "workflow/task -> CHAIN, agent -> AGENT, tool -> TOOL; beats an "
        "agent/workflow gen_ai.operation.name"),
    Row(WORKFLOW_NAME, "workflow_name", values.text, "set by traceloop-sdk's @workflow on the spans under it"),
    Row(ENTITY_NAME, "tool_name", None, "tool_name on tool spans, agent_name on agent spans"),
    Row(ENTITY_INPUT, "tool_arguments", None, "JSON envelope; tool spans only", content=True),
    Row(ENTITY_OUTPUT, "tool_result", None, "JSON envelope; tool spans only", content=True),
    Row(PROPERTIES + "session_id", "thread_id", values.text, "traceloop-sdk association property", marker=False),
    Row(PROPERTIES + "thread_id", "thread_id", values.text, marker=False),
    Row(PROPERTIES + "conversation_id", "thread_id", values.text, marker=False),
    Row(PROPERTIES + "user_id", "user_id", values.text, marker=False),
    Row(PROPERTIES + "lc_agent_name", "agent_name", values.text, "LangChain run metadata", marker=False),
    Row(PROPERTIES + "ls_provider", "provider", providers.provider, "LangChain run metadata", marker=False),
    Row(REQUEST_TYPE, "category", None, "legacy: chat/completion -> LLM, embedding -> EMBEDDING, rerank -> "
        "RERANKER; only without gen_ai.operation.name"),
    Row(TOTAL_TOKENS, "total_tokens", values.count, "legacy"),
    Row(CACHE_READ_TOKENS, "cache_read_tokens", values.count, "underscore spelling"),
    Row(CACHE_WRITE_TOKENS, "cache_write_tokens", values.count, "underscore spelling"),
    Row(REASONING_TOKENS, "reasoning_tokens", values.count),
    Row(REASONING_TOKENS_LEGACY, "reasoning_tokens", values.count, "legacy"),
    Row(STREAMING, "streaming", values.flag),
    Row(STREAMING_LEGACY, "streaming", values.flag, "legacy"),
    Row(USER, "user_id", values.text, "OpenAI `user` request parameter"),
    Row(USER_LEGACY, "user_id", values.text, "legacy"),
    Row("gen_ai.prompt.{N}.*", "input_messages", None, "legacy: role, content, tool_call_id, "
        "tool_calls.M.{id,name,arguments}"),
    Row("gen_ai.completion.{N}.*", "output_messages", None, "legacy: role, content, finish_reason, "
        "tool_calls.M.*; finish_reason also fills finish_reasons"),
    Row("llm.request.functions.{N}.*", "", None, "legacy tool definitions"),
))


def extract(span: SpanView) -> Fields | None:
    """Canonical fields from Traceloop attributes (both layouts), or None when the span has none."""
    if TABLE.markers.isdisjoint(span.keys):
        return None
    attrs = span.attrs
    fields = TABLE.read(span)
    operation = (attrs.get(OPERATION) or "").strip().lower()
    operation_category = OPERATION_CATEGORY.get(operation)
    kind_category = KIND_CATEGORY.get((attrs.get(SPAN_KIND) or "").strip().lower())
    if kind_category and operation_category in (None, "AGENT", "CHAIN"):
        fields["category"] = kind_category
    elif not operation:
        request_type = REQUEST_TYPES.get((attrs.get(REQUEST_TYPE) or "").strip().lower())
        if request_type:
            fields["category"], fields["operation"] = request_type
    entity = values.text(attrs.get(ENTITY_NAME))
    if entity and kind_category == "TOOL" and not attrs.get(TOOL_NAME):
        fields["tool_name"] = entity
    if entity and kind_category == "AGENT" and not attrs.get(AGENT_NAME):
        fields.setdefault("agent_name", entity)
    if span.content:
        if kind_category == "TOOL" and not attrs.get(TOOL_ARGUMENTS):
            for field, key in (("tool_arguments", ENTITY_INPUT), ("tool_result", ENTITY_OUTPUT)):
                value = values.text(attrs.get(key))
                if value:
                    fields[field] = value
        _legacy_content(attrs, fields)
    elif FINISH_REASONS not in attrs:
        _legacy_finish_reasons(attrs, fields)
    return fields


def _legacy_content(attrs: Mapping[str, str], fields: Fields) -> None:
    inputs = [_message(group, "user") for group in messages.group_indexed(attrs, PROMPTS)]
    completions = messages.group_indexed(attrs, COMPLETIONS)
    outputs = [_message(group, "assistant") for group in completions]
    inputs = [message for message in inputs if message["parts"]]
    outputs = [message for message in outputs if message["parts"]]
    if inputs:
        fields["input_messages"] = inputs
    if outputs:
        fields["output_messages"] = outputs
    if completions and FINISH_REASONS not in attrs:
        _legacy_finish_reasons(attrs, fields, completions)


def _legacy_finish_reasons(attrs: Mapping[str, str], fields: Fields,
                           completions: list[dict[str, str]] | None = None) -> None:
    if completions is None:
        if not any(key.startswith(COMPLETIONS) for key in attrs):
            return
        completions = messages.group_indexed(attrs, COMPLETIONS)
    reasons = tuple(messages.finish_reason(group["finish_reason"]) for group in completions
                    if group.get("finish_reason"))
    if reasons:
        fields["finish_reasons"] = reasons


def _message(group: Mapping[str, str], role: str) -> messages.Message:
    role = group.get("role") or role
    parts: list[dict[str, object]] = []
    content = group.get("content")
    if role == "tool":
        parts.append(messages.tool_response(group.get("tool_call_id"), content if content is not None else ""))
    elif content:
        decoded = values.json_or_text(content)
        if isinstance(decoded, list):  # multimodal content is dumped as a JSON list of parts
            parts.extend(part for message in messages.coerce([{"role": role, "content": decoded}], role)
                         for part in message["parts"])
        else:
            parts.append({"type": "text", "content": content})
    for call in messages.group_indexed(group, "tool_calls."):
        parts.append(messages.tool_call(call.get("id"), call.get("name"), call.get("arguments")))
    message: messages.Message = {"role": role, "parts": parts}
    if group.get("finish_reason"):
        message["finish_reason"] = messages.finish_reason(group["finish_reason"])
    return message
