"""Cut a message list to a byte budget while keeping it valid JSON in the canonical schema.

Only the slow path: called when the encoded messages exceed the budget. The strings of the
parts (text content, tool-call arguments, tool responses, anything else a part holds) are cut
to one common length chosen so that everything fits (short strings stay whole, long ones are
cut equally), and every cut part is marked `"truncated": true`. Structured arguments or
responses are encoded to a JSON string first so that they can be cut. When the messages do not
fit even with empty strings, the oldest are dropped and the first kept one is marked.
"""

from __future__ import annotations

from typing import Any

import orjson

_FLAG = len(b',"truncated":true')
_KEEP = frozenset({"type", "id", "name"})


def _size(value: str) -> int:
    return len(orjson.dumps(value)) - 2


def _cut(value: str, limit: int) -> str:
    """The longest prefix of `value` whose JSON-escaped UTF-8 form has at most `limit` bytes."""
    keep = min(len(value), limit)
    while keep > 0 and _size(value[:keep]) > limit:
        keep = max(0, min(keep - 1, keep * limit // _size(value[:keep])))
    return value[:keep]


def _copy(messages: list[Any]) -> list[dict[str, Any]]:
    """Messages and parts copied (so the caller's lists are untouched), non-string values as JSON text."""
    copied: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        parts = []
        for part in message.get("parts") or ():
            if not isinstance(part, dict):
                continue
            part = dict(part)
            for key, value in part.items():
                if key not in _KEEP and not isinstance(value, str | bool | int | float) and value is not None:
                    part[key] = orjson.dumps(value, default=str).decode()
            parts.append(part)
        copied.append({**message, "parts": parts})
    return copied


def fit(messages: list[Any], max_bytes: int) -> str:
    work = _copy(messages)
    dropped = False
    while True:
        slots = [(part, key) for message in work for part in message["parts"]
                 for key, value in part.items() if key not in _KEEP and isinstance(value, str)]
        sizes = [_size(part[key]) for part, key in slots]
        empty = len(orjson.dumps(work)) - sum(sizes)
        budget = max_bytes - empty - _FLAG * len(slots) - (_FLAG if dropped else 0)
        if budget >= 0 or len(work) <= 1:
            break
        work.pop(0)
        dropped = True
    if dropped and work:
        work[0]["truncated"] = True
    budget = max(budget, 0)
    for _ in range(4):
        cap = _common_cap(sizes, budget)
        trial = []
        for (part, key), size in zip(slots, sizes, strict=True):
            if size > cap:
                trial.append((part, key, part[key], part.get("truncated")))
                part[key] = _cut(part[key], cap)
                part["truncated"] = True
        data = orjson.dumps(work)
        if len(data) <= max_bytes:
            return data.decode()
        for part, key, original, flag in trial:  # rounding overshoot: restore and retry with less
            part[key] = original
            if flag is None:
                part.pop("truncated", None)
            else:
                part["truncated"] = flag
        budget -= len(data) - max_bytes
    # last resort: no strings at all
    for part, key in slots:
        part[key] = ""
        part["truncated"] = True
    data = orjson.dumps(work)
    return data.decode() if len(data) <= max_bytes else "[]"


def _common_cap(sizes: list[int], budget: int) -> int:
    """The largest cap such that sum(min(size, cap)) <= budget (water-filling)."""
    remaining = budget
    ordered = sorted(sizes)
    count = len(ordered)
    for index, size in enumerate(ordered):
        share = remaining // (count - index)
        if size > share:
            return share
        remaining -= size
    return ordered[-1] if ordered else 0
