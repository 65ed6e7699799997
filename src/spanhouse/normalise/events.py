"""GenAI content events -> canonical messages. Public: OTLP log records reuse it.

The OpenTelemetry GenAI instrumentations emit prompts and completions as events, either span
events or (the default of opentelemetry-instrumentation-openai-v2 before the v1.37 layout) log
records correlated by trace and span id (reference §1b, §9.17):
  * `gen_ai.system.message`, `gen_ai.user.message`, `gen_ai.assistant.message`,
    `gen_ai.tool.message`: body `{content, role?, tool_calls?, id?}` (semantic-conventions
    `model/gen-ai/deprecated/events-deprecated.yaml`);
  * `gen_ai.choice`: body `{index, finish_reason, message: {role?, content?, tool_calls?}}`;
    OpenLLMetry (`use_attributes=False`) puts `tool_calls` beside `message` instead of in it;
  * `gen_ai.client.inference.operation.details`: attributes `gen_ai.system_instructions`,
    `gen_ai.input.messages`, `gen_ai.output.messages`, structured on log records and JSON
    strings on spans (reference §9.1);
  * `gen_ai.content.prompt` / `gen_ai.content.completion` (older span events): attribute
    `gen_ai.prompt` / `gen_ai.completion` holding JSON.
On a span event the body's fields arrive as event attributes, flattened to strings; both forms
are read, JSON strings decoded where a structure is expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spanhouse.normalise import messages
from spanhouse.normalise.messages import Message

INPUT_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
CHOICE = "gen_ai.choice"
DETAILS = "gen_ai.client.inference.operation.details"
CONTENT_PROMPT = "gen_ai.content.prompt"
CONTENT_COMPLETION = "gen_ai.content.completion"
# Streaming chunk events (OpenLLMetry) carry no messages here but may carry content: redacted too.
CHUNK_EVENTS = frozenset({"gen_ai.content.completion.chunk", "llm.content.completion.chunk"})
CONTENT_EVENTS = frozenset({*INPUT_EVENTS, CHOICE, DETAILS, CONTENT_PROMPT, CONTENT_COMPLETION, *CHUNK_EVENTS})

# Event attributes that are not content: kept when capture is off.
NON_CONTENT_KEYS = frozenset({
    "gen_ai.system", "gen_ai.provider.name", "gen_ai.operation.name", "gen_ai.request.model",
    "gen_ai.response.model", "gen_ai.response.id", "role", "index", "finish_reason", "id", "event.name",
})

_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
_INPUT_MESSAGES = "gen_ai.input.messages"
_OUTPUT_MESSAGES = "gen_ai.output.messages"


def messages_from_event(
    name: str, attributes: Mapping[str, Any] | None = None, body: Any = None
) -> tuple[list[Message], list[Message]]:
    """Canonical (input, output) messages carried by one GenAI event record; ([], []) for other events.

    Args:
        name: the event name (span event name, or a log record's `event_name` / `event.name`).
        attributes: the event's attributes as plain values; strings holding JSON are decoded.
        body: a log record's body as plain Python (a kvlist becomes a dict), or None on span events.
    """
    attrs = attributes or {}
    if name in INPUT_EVENTS:
        fields = _fields(attrs, body)
        role = str(fields.get("role") or INPUT_EVENTS[name])
        if role == "tool" or name == "gen_ai.tool.message":
            content = fields.get("content")
            if content is None:
                return [], []
            return [{"role": "tool", "parts": [messages.tool_response(fields.get("id"), content)]}], []
        item: dict[str, Any] = {"role": role, "content": fields.get("content")}
        calls = _decoded(fields.get("tool_calls"))
        if isinstance(calls, list):
            item["tool_calls"] = calls
        return messages.coerce([item], role), []
    if name == CHOICE:
        fields = _fields(attrs, body)
        message = _decoded(fields.get("message"))
        if not isinstance(message, Mapping):
            message = {key: fields[key] for key in ("content", "tool_calls") if key in fields}
        message = dict(message)
        if message.get("tool_calls") is None and fields.get("tool_calls") is not None:
            message["tool_calls"] = fields["tool_calls"]  # OpenLLMetry: beside `message`
        if isinstance(message.get("tool_calls"), str):
            message["tool_calls"] = _decoded(message["tool_calls"])
        message.setdefault("role", "assistant")
        reason = fields.get("finish_reason")
        if isinstance(reason, str) and reason:
            message["finish_reason"] = reason
        return [], messages.coerce([message], "assistant")
    if name == DETAILS:
        source = body if isinstance(body, Mapping) and _INPUT_MESSAGES in body else attrs
        inputs = messages.coerce(_decoded(source.get(_INPUT_MESSAGES)), "user")
        system = messages.system_message(_decoded(source.get(_SYSTEM_INSTRUCTIONS)))
        if system is not None:
            inputs.insert(0, system)
        return inputs, messages.coerce(_decoded(source.get(_OUTPUT_MESSAGES)), "assistant")
    if name == CONTENT_PROMPT:
        return messages.coerce(_decoded(_fields(attrs, body).get("gen_ai.prompt")), "user"), []
    if name == CONTENT_COMPLETION:
        return [], messages.coerce(_decoded(_fields(attrs, body).get("gen_ai.completion")), "assistant")
    return [], []


def _fields(attrs: Mapping[str, Any], body: Any) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    if isinstance(body, str) and body:
        decoded = _decoded(body)
        return decoded if isinstance(decoded, Mapping) else {"content": body}
    return attrs


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        return messages.arguments(value)
    return value
