"""Lenient parsing of attribute values, which arrive as strings in whatever form the emitter chose.

Every parser returns None for a value it cannot read, so a malformed attribute costs its field,
never the span. Numbers may arrive as ints, doubles, decimal strings or JSON-encoded strings
(MLflow writes `"\\"12\\""`); negatives, NaN, infinities and words ("None", "Infinity") are refused.
JSON is read within `json_values.MAX_DEPTH` levels: a deeper value is not JSON here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from spanhouse.normalise import json_values

_MAX_COUNT = 2**63 - 1
_JSON_STARTS = ("[", "{")


def count(text: str | None) -> int | None:
    """A non-negative whole number from "12", "12.0", " 12 " or '"12"'; None for garbage or negatives."""
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        text = _unquote(text)
        try:
            number = int(text)
        except ValueError:
            try:
                real = float(text)
            except ValueError:
                return None
            if not math.isfinite(real) or real != int(real):
                return None
            number = int(real)
    return number if 0 <= number <= _MAX_COUNT else None


def real(text: str | None) -> float | None:
    """A finite float (also from a JSON-encoded string), or None."""
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        try:
            number = float(_unquote(text))
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def amount(text: str | None) -> float | None:
    """A finite, non-negative float: a cost in USD or a sampling temperature."""
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        parsed = real(text)
        if parsed is None:
            return None
        number = parsed
    return number if 0 <= number < math.inf else None


def seconds_to_ms(text: str | None) -> float | None:
    """Seconds -> milliseconds; None when the value is unreadable, negative or overflows (1e306 s)."""
    number = amount(text)
    if number is None:
        return None
    ms = number * 1000.0
    return ms if ms < math.inf else None


def text(value: str | None) -> str | None:
    """The string itself, or None when empty or blank."""
    if not value or value.isspace():
        return None
    return value


_lowered: dict[str, str | None] = {}


def lower(value: str | None) -> str | None:
    """Stripped and lower-cased, for enum-like values (operation names, kinds); cached."""
    if not value:
        return None
    try:
        return _lowered[value]
    except KeyError:
        lowered = value.strip().lower() or None
        if len(_lowered) < 4096:
            _lowered[value] = lowered
        return lowered


def unjson_text(value: str | None) -> str | None:
    """A string that may be JSON-encoded (MLflow, Langfuse metadata): `"\\"gpt-4o\\""` -> `gpt-4o`."""
    if not value:
        return None
    if value[0] == '"':
        decoded = loads(value)
        if isinstance(decoded, str):
            return decoded or None
        if decoded is not None:
            return None
    return text(value)


def flag(value: str | None) -> bool | None:
    """true/false in the spellings emitters use ("true", "True", "1", JSON true)."""
    if not value:
        return None
    lowered = value.strip().strip('"').lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    return None


def string_list(value: str | None) -> tuple[str, ...]:
    """A JSON array of strings (how arrays are stored) or a single bare string."""
    if not value:
        return ()
    if value.startswith("["):
        try:
            items = json_values.loads(value)
        except orjson.JSONDecodeError:
            return (value,)
        if isinstance(items, list):
            return tuple(str(item) for item in items if item not in (None, ""))
    return (value,)


def tags(value: str | None) -> tuple[str, ...] | None:
    """Tags from a JSON array (how array attributes are stored; JSON-encoded again in Langfuse
    metadata), a comma-joined string (LangSmith) or one bare tag, as Langfuse's server reads them;
    blanks and repeats dropped, order kept. None when there is none."""
    if value and value[0] == '"':
        decoded = loads(value)
        value = decoded if isinstance(decoded, str) else None
    if not value:
        return None
    items: Iterable[Any] = string_list(value) if value.startswith("[") else value.split(",")
    return tuple(dict.fromkeys(tag for item in items if (tag := str(item).strip()))) or None


# epoch numbers by size: seconds (1e9 now), milliseconds (1e12), microseconds (1e15), nanoseconds (1e18)
_EPOCH_UNITS = ((1e11, 1_000_000_000), (1e14, 1_000_000), (1e17, 1_000), (math.inf, 1))


def timestamp_ns(value: str | None) -> int | None:
    """A point in time as Unix nanoseconds: ISO 8601 (UTC when no offset is given), or epoch seconds,
    milliseconds, microseconds or nanoseconds told apart by size; either may be JSON-encoded, once or
    twice (the Langfuse Python SDK JSON-encodes `completion_start_time`). None when unreadable."""
    if not value:
        return None
    text_value = value.strip()
    for _ in range(2):
        if not text_value.startswith('"'):
            break
        decoded = loads(text_value)
        if not isinstance(decoded, str):
            return None
        text_value = decoded.strip()
    number = real(text_value) if text_value[:1].isdigit() and text_value.replace(".", "", 1).isdigit() else None
    if number is not None:
        scale = next(scale for limit, scale in _EPOCH_UNITS if number < limit)
        nanoseconds = number * scale
        return int(nanoseconds) if 0 < nanoseconds < 2**63 else None
    try:
        moment = datetime.fromisoformat(text_value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# first characters of a JSON text (RFC 8259); anything else is refused without a failed parse,
# whose exception costs more than most parses
_JSON_FIRST = frozenset('[{"-0123456789tfn \t\r\n')


def loads(value: str | None) -> Any:
    """JSON, or None when the value is not JSON. Never raises."""
    if not value or value[0] not in _JSON_FIRST:
        return None
    try:
        return json_values.loads(value)
    except orjson.JSONDecodeError:
        return None


def json_or_text(value: str) -> Any:
    """A JSON array or object when `value` holds one, else `value` itself (parsed only when it can be JSON)."""
    if value.startswith(_JSON_STARTS):
        try:
            return json_values.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def mapping(value: str | None) -> dict[str, Any]:
    """A JSON object (possibly JSON-encoded twice, as MLflow does), or an empty dict."""
    decoded = loads(value)
    if isinstance(decoded, str):
        decoded = loads(decoded)
    return decoded if isinstance(decoded, dict) else {}


def number_in(obj: Any) -> str | None:
    """A JSON scalar as the string the number parsers take (None for objects, lists, null)."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, dict | list):
        return None
    return str(obj)


def numbers_from(source: Mapping[str, Any], names: Iterable[tuple[str, tuple[str, ...]]],
                 parse: Callable[[str | None], Any], fields: dict[str, Any]) -> None:
    """Fill `fields` from a decoded JSON object: per (field, candidate keys), the first key that
    parses; a field already set (by a higher-priority source) is left alone."""
    for field, keys in names:
        if field in fields:
            continue
        for key in keys:
            number = parse(number_in(source.get(key)))
            if number is not None:
                fields[field] = number
                break


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1].strip()
    return value
