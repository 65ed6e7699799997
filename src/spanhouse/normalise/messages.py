"""Canonical messages: the OpenTelemetry GenAI input/output messages schema, built from any layout.

A message is `{"role": ..., "parts": [...]}` with parts `{"type": "text", "content": ...}`,
`{"type": "tool_call", "id", "name", "arguments"}` and `{"type": "tool_call_response", "id",
"response"}` (open-telemetry/semantic-conventions-genai `gen-ai-input-messages.json`); other
part types pass through. Tool-call arguments are stored as JSON objects when they arrive as
JSON strings (pydantic-ai), as OTel util / OpenLLMetry / Vercel ai@7 write them (reference §9.3).

`coerce` accepts the message shapes conventions use: OTel parts, OpenAI chat messages
(`content` + `tool_calls` / `tool_call_id`), LangChain messages (`type: human|ai|...`, or the
`lc` constructor form with `kwargs`), Vercel AI SDK messages (`tool-call` / `tool-result`
parts), `{"messages": [...]}` envelopes and plain strings. Every function here is pure and
never raises on malformed input: what cannot be read is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from spanhouse.normalise import json_values

Message = dict[str, Any]

_ROLES = {"human": "user", "user": "user", "ai": "assistant", "assistant": "assistant", "system": "system",
          "developer": "system", "tool": "tool", "function": "tool", "model": "assistant", "chat": "user"}
_LC_CLASSES = {"HumanMessage": "user", "AIMessage": "assistant", "SystemMessage": "system", "ToolMessage": "tool",
               "FunctionMessage": "tool", "ChatMessage": "user", "AIMessageChunk": "assistant"}
# Vercel AI SDK (ai@5+, LanguageModelV2/V3) ToolResultOutput variants that wrap the result as `value`
_TOOL_OUTPUT_TYPES = frozenset({"text", "json", "error-text", "error-json", "content"})
_FINISH = {"tool-calls": "tool_calls", "tool_call": "tool_calls", "function_call": "tool_calls",
           "content-filter": "content_filter", "end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}


def text_message(role: str, content: str) -> Message:
    return {"role": role, "parts": [{"type": "text", "content": content}]}


def finish_reason(raw: str) -> str:
    """Finish-reason spellings -> OpenAI's (`tool-calls`, `tool_call` -> `tool_calls`; reference §9.13)."""
    value = raw.strip().lower()
    return _FINISH.get(value, value)


def arguments(value: Any) -> Any:
    """Tool-call arguments as a JSON value: a JSON-object string is decoded, anything else kept."""
    if isinstance(value, str) and value.startswith(("{", "[")):
        try:
            return json_values.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def tool_call(call_id: Any, name: Any, args: Any) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "tool_call"}
    if call_id not in (None, ""):
        part["id"] = str(call_id)
    part["name"] = "" if name is None else str(name)
    if args not in (None, ""):
        part["arguments"] = arguments(args)
    return part


def tool_response(call_id: Any, response: Any) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "tool_call_response"}
    if call_id not in (None, ""):
        part["id"] = str(call_id)
    part["response"] = response
    return part


def system_message(instructions: Any) -> Message | None:
    """`gen_ai.system_instructions` (an array of parts, or a string) as a leading system message."""
    if isinstance(instructions, str):
        return text_message("system", instructions) if instructions else None
    if isinstance(instructions, list):
        parts = [_part(item) for item in instructions]
        parts = [part for part in parts if part is not None]
        return {"role": "system", "parts": parts} if parts else None
    return None


def parse(raw: str, role: str) -> list[Message]:
    """Messages from an attribute value: JSON when it looks like JSON, else one text message."""
    if raw.startswith(("[", "{")):
        try:
            return coerce(json_values.loads(raw), role)
        except orjson.JSONDecodeError:
            pass
    return [{"role": role, "parts": [{"type": "text", "content": raw}]}] if raw else []


def parse_rendered(raw: str, role: str) -> str | list[Message]:
    """Like `parse`, but returns the JSON text itself when it is already canonical (no rebuild).

    Plain text becomes one text message; a JSON value already in the OTel schema (roles, part
    lists, object arguments, OpenAI-spelled finish reasons) is kept as sent. Anything else is
    rebuilt by `coerce`. The caller stores a string as it is.
    """
    first = raw[:1]
    if first != "[" and first != "{":
        return [text_message(role, raw)]
    try:
        value = json_values.loads(raw)
    except orjson.JSONDecodeError:
        return [text_message(role, raw)]
    if isinstance(value, list) and value and all(_is_canonical(item) for item in value):
        return raw
    return coerce(value, role)


def _is_canonical(message: Any) -> bool:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        return False
    parts = message.get("parts")
    if not isinstance(parts, list) or not parts:
        return False
    reason = message.get("finish_reason")
    if reason is not None and (not isinstance(reason, str) or _FINISH.get(reason, reason) != reason):
        return False
    for part in parts:
        if not isinstance(part, dict):
            return False
        kind = part.get("type")
        if kind == "text":
            if not isinstance(part.get("content"), str):
                return False
        elif kind == "tool_call":
            if isinstance(part.get("arguments"), str):
                return False
        elif kind != "tool_call_response":
            return False
    return True


def coerce(value: Any, role: str) -> list[Message]:
    """Messages from any supported shape; a bare string becomes one text message with `role`."""
    if isinstance(value, str):
        return [text_message(role, value)] if value else []
    if isinstance(value, Mapping):
        for key in ("messages", "message", "choices", "generations"):
            if key in value:
                return coerce(value[key], role)
        message = _message(value, role)
        return [message] if message else []
    if isinstance(value, list):
        messages: list[Message] = []
        for item in value:
            if isinstance(item, list):  # LangChain batches: [[message, ...]]
                messages.extend(coerce(item, role))
            elif isinstance(item, str):
                if item:
                    messages.append(text_message(role, item))
            elif isinstance(item, Mapping):
                inner = item.get("message")
                if isinstance(inner, Mapping):  # OpenAI choice / LangChain generation
                    message = _message(inner, role)
                    reason = item.get("finish_reason")
                    if message and isinstance(reason, str) and reason:
                        message["finish_reason"] = finish_reason(reason)
                elif "text" in item and "role" not in item and "type" not in item:
                    message = text_message(role, str(item["text"]))
                else:
                    message = _message(item, role)
                if message:
                    messages.append(message)
        return messages
    return []


def _message(item: Mapping[str, Any], role: str) -> Message | None:
    if item.get("lc") is not None and isinstance(item.get("kwargs"), Mapping):
        ids = item.get("id")
        cls = ids[-1] if isinstance(ids, list) and ids else ""
        return _message(item["kwargs"], _LC_CLASSES.get(str(cls), role))
    raw_role = item.get("role") or item.get("type")
    message_role = _ROLES.get(str(raw_role).lower(), str(raw_role)) if raw_role else role
    parts = item.get("parts")
    if isinstance(parts, list):
        out = [_part(part) for part in parts]
        message: Message = {"role": message_role, "parts": [part for part in out if part is not None]}
    else:
        message = {"role": message_role, "parts": _content_parts(item, message_role)}
    if not message["parts"]:
        return None
    name = item.get("name")
    if isinstance(name, str) and name and message_role != "tool":
        message["name"] = name
    reason = item.get("finish_reason")
    if isinstance(reason, str) and reason:
        message["finish_reason"] = finish_reason(reason)
    return message


def _content_parts(item: Mapping[str, Any], role: str) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    content = item.get("content")
    call_id = item.get("tool_call_id")
    if role == "tool" and content is not None and not isinstance(content, list):
        parts.append(tool_response(call_id, content))
    elif isinstance(content, str):
        if content:
            parts.append({"type": "text", "content": content})
    elif isinstance(content, list):
        for piece in content:
            part = _part(piece)
            if part is not None:
                if role == "tool" and part["type"] == "text" and call_id:
                    part = tool_response(call_id, part.get("content"))
                parts.append(part)
    elif content is not None:
        parts.append({"type": "text", "content": orjson.dumps(content).decode()})
    calls = item.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            if not isinstance(call, Mapping):
                continue
            function = call.get("function")
            if isinstance(function, Mapping):  # OpenAI
                parts.append(tool_call(call.get("id"), function.get("name"), function.get("arguments")))
            else:  # LangChain / Vercel ai.response.toolCalls
                parts.append(tool_call(call.get("id") or call.get("toolCallId"), call.get("name") or
                                       call.get("toolName"), _first(call, "args", "input", "arguments")))
    return parts


def _part(piece: Any) -> dict[str, Any] | None:
    if isinstance(piece, str):
        return {"type": "text", "content": piece} if piece else None
    if not isinstance(piece, Mapping):
        return None
    kind = piece.get("type")
    if kind == "text":
        content = piece.get("content", piece.get("text"))
        return {"type": "text", "content": "" if content is None else str(content)}
    if kind in ("tool_call", "tool-call", "function_call"):
        return tool_call(_first(piece, "id", "toolCallId", "call_id"), _first(piece, "name", "toolName"),
                         _first(piece, "arguments", "args", "input"))
    if kind in ("tool_call_response", "tool-result", "function_call_output"):
        response = _first(piece, "response", "result")
        return tool_response(_first(piece, "id", "toolCallId", "call_id"),
                             _tool_output(piece.get("output")) if response is None else response)
    part = dict(piece)
    if "type" not in part:
        part["type"] = "unknown"
    return part


def _tool_output(output: Any) -> Any:
    """A tool result's `output`: Vercel AI SDK ≥5 wraps it as `{type: json|text|error-json|..., value}`."""
    if isinstance(output, Mapping) and output.get("type") in _TOOL_OUTPUT_TYPES and "value" in output:
        return output["value"]
    return output


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = mapping.get(key)
        if value is not None:
            return value
    return None


def group_indexed(attrs: Mapping[str, str], prefix: str) -> list[dict[str, str]]:
    """Flattened list attributes (`<prefix>N.<rest>`) grouped by N, in numeric order (10 after 9).

    Keys whose index is not a number are skipped; indices need not be contiguous.
    """
    groups: dict[int, dict[str, str]] = {}
    size = len(prefix)
    for key, value in attrs.items():
        if key.startswith(prefix):
            index, dot, rest = key[size:].partition(".")
            if dot and index.isdigit():
                groups.setdefault(int(index), {})[rest] = value
    return [groups[index] for index in sorted(groups)]


def indexed_count(attrs: Mapping[str, str], prefix: str) -> int:
    """How many distinct indices a flattened list has (e.g. retrieval documents)."""
    size = len(prefix)
    seen = set()
    for key in attrs:
        if key.startswith(prefix):
            index = key[size:].partition(".")[0]
            if index.isdigit():
                seen.add(index)
    return len(seen)
