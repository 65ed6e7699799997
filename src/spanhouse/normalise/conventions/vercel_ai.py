"""Vercel AI SDK, `ai.*` layout (ai@6 built-in telemetry, ai@7 `LegacyOpenTelemetry`).

Sources: vercel/ai `content/docs/03-ai-sdk-core/60-telemetry.mdx`, `ai` 6.0 / 7.0 `dist/index.js`
(reference §4). The span name equals `ai.operationId`: `*.doGenerate` / `*.doStream` are model
calls (LLM), `*.doEmbed` embeddings, `ai.toolCall` tools, `ai.rerank.doRerank` rerankers; the
outer `ai.generateText`, `ai.streamText`, `ai.generateObject`, ... spans sum the usage of their
model calls, so they are CHAIN roll-ups whose tokens are not stored (spans.py). The do* spans
also carry `gen_ai.*` (read by genai.py, higher priority; `gen_ai.system = openai.chat` is mapped
to `openai`). ai@7's OpenTelemetry integration emits `gen_ai.*` (genai.py) plus, with its
`runtimeContext: true` option, the call's runtime context as `ai.settings.context.<key>` (the legacy
integration writes it too). ai@7's telemetry options have no `metadata`: an app that names its
session and user does it in `runtimeContext` (let through by `telemetry.includeRuntimeContext`), so
`sessionId` / `threadId` / `userId` there are read like the ai@6 metadata keys. Those keys mark the
span as Vercel's even on ai@7's `gen_ai.*` spans (@ai-sdk/otel 1.0.173 `dist/index.js`
`addRuntimeContextAttribute`; its docs' `ai.settings.runtimeContext.*` is not what it emits).
Token counts: `ai.usage.inputTokens` already includes cached tokens (`noCacheTokens` is the rest,
§9.14); an embedding's `ai.usage.tokens` counts its input (§10).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spanhouse.normalise import messages, providers, values
from spanhouse.normalise.fields import Fields
from spanhouse.normalise.table import Row, SpanView, Table

NAME = "vercel_ai"

OPERATION_ID = "ai.operationId"
MODEL_ID = "ai.model.id"
MODEL_PROVIDER = "ai.model.provider"
RESPONSE_MODEL = "ai.response.model"
RESPONSE_ID = "ai.response.id"
FUNCTION_ID = "ai.telemetry.functionId"
SESSION_ID = "ai.telemetry.metadata.sessionId"
THREAD_ID = "ai.telemetry.metadata.threadId"
USER_ID = "ai.telemetry.metadata.userId"
CONTEXT_SESSION_ID = "ai.settings.context.sessionId"
CONTEXT_THREAD_ID = "ai.settings.context.threadId"
CONTEXT_USER_ID = "ai.settings.context.userId"
TOOL_NAME = "ai.toolCall.name"
TOOL_CALL_ID = "ai.toolCall.id"
TOOL_ARGS = "ai.toolCall.args"
TOOL_RESULT = "ai.toolCall.result"
FINISH_REASON = "ai.response.finishReason"
PROMPT = "ai.prompt"
PROMPT_MESSAGES = "ai.prompt.messages"
RESPONSE_TEXT = "ai.response.text"
RESPONSE_TOOL_CALLS = "ai.response.toolCalls"
RESPONSE_OBJECT = "ai.response.object"

ROLLUPS = frozenset({"ai.generateText", "ai.streamText", "ai.generateObject", "ai.streamObject", "ai.embed",
                     "ai.embedMany", "ai.rerank"})

# outer (roll-up) operations that name whether their model calls stream
_STREAMING_ROLLUPS = {"ai.streamText": True, "ai.streamObject": True, "ai.generateText": False,
                      "ai.generateObject": False}

TABLE = Table((
    Row(OPERATION_ID, "category", None, "*.doGenerate/*.doStream -> LLM, *.doEmbed -> EMBEDDING, ai.toolCall -> "
        "TOOL, *.doRerank -> RERANKER, outer ai.generateText/... -> CHAIN (a roll-up); also streaming: "
        "doStream/streamText/streamObject true, doGenerate/generateText/generateObject false"),
    Row(MODEL_ID, "request_model", values.text),
    Row(RESPONSE_MODEL, "response_model", values.text),
    Row(MODEL_PROVIDER, "provider", providers.provider, "`openai.chat` -> openai (provider + API flavour)"),
    Row("ai.usage.inputTokens", "input_tokens", values.count, "includes cached tokens"),
    Row("ai.usage.promptTokens", "input_tokens", values.count, "older SDKs"),
    Row("ai.usage.tokens", "input_tokens", values.count, "embeddings"),
    Row("ai.usage.outputTokens", "output_tokens", values.count),
    Row("ai.usage.completionTokens", "output_tokens", values.count, "older SDKs"),
    Row("ai.usage.totalTokens", "total_tokens", values.count),
    Row("ai.usage.inputTokenDetails.cacheReadTokens", "cache_read_tokens", values.count),
    Row("ai.usage.cachedInputTokens", "cache_read_tokens", values.count),
    Row("ai.usage.inputTokenDetails.cacheWriteTokens", "cache_write_tokens", values.count),
    Row("ai.usage.outputTokenDetails.reasoningTokens", "reasoning_tokens", values.count),
    Row("ai.usage.reasoningTokens", "reasoning_tokens", values.count),
    Row(FUNCTION_ID, "agent_name", values.text, "the telemetry functionId"),
    Row(SESSION_ID, "thread_id", values.text, "free-form metadata, read as Langfuse does", marker=False),
    Row(THREAD_ID, "thread_id", values.text, marker=False),
    Row(USER_ID, "user_id", values.text, marker=False),
    Row(CONTEXT_SESSION_ID, "thread_id", values.text, "ai@7 runtimeContext (telemetry.includeRuntimeContext)"),
    Row(CONTEXT_THREAD_ID, "thread_id", values.text, "ai@7 runtimeContext"),
    Row(CONTEXT_USER_ID, "user_id", values.text, "ai@7 runtimeContext"),
    Row(TOOL_NAME, "tool_name", values.text),
    Row(TOOL_CALL_ID, "tool_call_id", values.text),
    Row(TOOL_ARGS, "tool_arguments", values.text),
    Row(TOOL_RESULT, "tool_result", values.text),
    Row(RESPONSE_ID, "response_id", values.text),
    Row(FINISH_REASON, "finish_reasons", None, "tool-calls -> tool_calls"),
    Row("ai.settings.temperature", "temperature", values.amount),
    Row("ai.settings.maxOutputTokens", "max_tokens", values.count),
    Row("ai.settings.maxTokens", "max_tokens", values.count, "older SDKs"),
    Row("ai.response.msToFirstChunk", "time_to_first_token_ms", values.amount, "ms"),
    Row("ai.stream.msToFirstChunk", "time_to_first_token_ms", values.amount, "ms, older SDKs"),
    Row(PROMPT_MESSAGES, "input_messages", None, "JSON, Vercel message format (do* spans)"),
    Row(PROMPT, "input_messages", None, "JSON {system, prompt | messages} (outer spans)"),
    Row(RESPONSE_TEXT, "output_messages", None, "text"),
    Row(RESPONSE_TOOL_CALLS, "output_messages", None, "JSON [{toolCallId, toolName, args | input}]"),
    Row(RESPONSE_OBJECT, "output_messages", None, "JSON text of generateObject"),
    Row("ai.response.reasoning", "", None, "reasoning text", content=True),
    Row("ai.value", "", None, "embedded value", content=True),
    Row("ai.values", "", None, "embedded values", content=True),
    Row("ai.prompt.tools", "", None, "tool definitions", marker=False),
))


def extract(span: SpanView) -> Fields | None:
    """Canonical fields from `ai.*` attributes, or None when the span has none."""
    if TABLE.markers.isdisjoint(span.keys):
        return None
    attrs = span.attrs
    fields = TABLE.read(span)
    operation_id = attrs.get(OPERATION_ID) or ""
    kind = _kind(operation_id)
    if kind:
        fields["category"], fields["operation"] = kind
        if kind[0] == "LLM":
            fields["streaming"] = operation_id.endswith(".doStream")
        elif operation_id in _STREAMING_ROLLUPS:
            fields["streaming"] = _STREAMING_ROLLUPS[operation_id]
    if operation_id in ROLLUPS:
        fields["rollup"] = True
    reason = attrs.get(FINISH_REASON)
    if reason:
        fields["finish_reasons"] = (messages.finish_reason(reason),)
    if span.content:
        _content(attrs, fields)
    return fields


def _kind(operation_id: str) -> tuple[str, str] | None:
    if not operation_id:
        return None
    if operation_id.endswith((".doGenerate", ".doStream")):
        return "LLM", "chat"
    if operation_id.endswith(".doEmbed"):
        return "EMBEDDING", "embeddings"
    if operation_id == "ai.toolCall":
        return "TOOL", "execute_tool"
    if operation_id.endswith(".doRerank"):
        return "RERANKER", "rerank"
    if operation_id.startswith("ai."):
        return "CHAIN", operation_id
    return None


def _content(attrs: Mapping[str, str], fields: Fields) -> None:
    inputs: list[messages.Message] = []
    if PROMPT_MESSAGES in attrs:
        inputs = messages.coerce(values.json_or_text(attrs[PROMPT_MESSAGES]), "user")
    elif PROMPT in attrs:
        prompt = values.json_or_text(attrs[PROMPT])
        if isinstance(prompt, Mapping):
            system = prompt.get("system")
            if isinstance(system, str) and system:
                inputs.append(messages.text_message("system", system))
            inputs.extend(messages.coerce(_first(prompt, "messages", "prompt"), "user"))
        else:
            inputs = messages.coerce(prompt, "user")
    parts: list[dict[str, Any]] = []
    for key in (RESPONSE_TEXT, RESPONSE_OBJECT):
        text = attrs.get(key)
        if text:
            parts.append({"type": "text", "content": text})
    calls = values.loads(attrs.get(RESPONSE_TOOL_CALLS))
    if isinstance(calls, list):
        for call in calls:
            if isinstance(call, Mapping):
                parts.append(messages.tool_call(call.get("toolCallId"), call.get("toolName"),
                                                _first(call, "input", "args")))
    if inputs:
        fields["input_messages"] = inputs
    if parts:
        output: messages.Message = {"role": "assistant", "parts": parts}
        if fields.get("finish_reasons"):
            output["finish_reason"] = fields["finish_reasons"][0]
        fields["output_messages"] = [output]


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if mapping.get(key) is not None:
            return mapping[key]
    return None
