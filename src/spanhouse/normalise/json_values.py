"""JSON read from attribute values, nested at most MAX_DEPTH levels: anything deeper is not JSON here.

What the normaliser parses it walks in Python (redaction, message coercion), parses again where a
string inside holds JSON (tool-call arguments, the JSON-encoded fields of a content event), wraps
in the message schema and serialises with orjson, which refuses more than 254 levels. So `loads`
refuses a value that nests deeper than MAX_DEPTH, raising orjson.JSONDecodeError as for any text
that is not JSON, and every caller already treats such a value as plain text: a text message, a
value redacted as text, an attribute stored whole. At most four parses compose (a log body, its
`message`, that message's `tool_calls`, a call's `arguments`), so what the normaliser and the
query side build from them stays far below orjson's limit and Python's recursion limit.

Cost: a value short enough, or with too few `[` / `{` to nest that deep, is not walked; the walk
visits containers level by level (no recursion) and stops at the first level past the limit.
"""

from __future__ import annotations

from typing import Any

import orjson

MAX_DEPTH = 48


def loads(text: str) -> Any:
    """orjson.loads, refusing (orjson.JSONDecodeError) a value nested deeper than MAX_DEPTH."""
    value = orjson.loads(text)
    if (len(text) > 2 * MAX_DEPTH and (value.__class__ is list or value.__class__ is dict)
            and text.count("[") + text.count("{") > MAX_DEPTH and nested_deeper(value, MAX_DEPTH)):
        raise orjson.JSONDecodeError(f"JSON nested deeper than {MAX_DEPTH} levels", text, 0)
    return value


def nested_deeper(value: Any, limit: int) -> bool:
    """Whether `value` has more than `limit` levels of lists and dicts (a scalar has none)."""
    level = [value] if value.__class__ is list or value.__class__ is dict else []
    for _ in range(limit):
        if not level:
            return False
        inner: list[Any] = []
        add = inner.append
        for container in level:
            for item in container.values() if container.__class__ is dict else container:
                if item.__class__ is list or item.__class__ is dict:
                    add(item)
        level = inner
    return bool(level)
