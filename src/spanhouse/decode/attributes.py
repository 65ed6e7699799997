"""OTLP `KeyValue` lists -> the string maps the `otel_traces` Map columns hold.

Values are written the way the OpenTelemetry Collector's ClickHouse exporter writes them, so
existing SQL keeps working: strings as they are, booleans `true`/`false`, integers in decimal,
doubles in their shortest round-trip form, bytes in base64, arrays and key-value lists as JSON.
So that nothing is lost, a second map records the OTLP type of every value that was not a
string (`int`, `double`, `bool`, `bytes`, `array`, `kvlist`, `empty`); a key absent from it
held a string. `typed_value` turns the pair back into the original value.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

Attrs = dict[str, str]


def flatten(kvs: Sequence[KeyValue]) -> tuple[Attrs, Attrs]:
    """Return (values, types) for an attribute list; a repeated key keeps its last value and type.

    Last wins, as in the OpenTelemetry SDKs and Collector.
    """
    values: Attrs = {}
    types: Attrs = {}
    for kv in kvs:
        value = kv.value
        which = value.WhichOneof("value")
        if which == "string_value":
            values[kv.key] = value.string_value
        else:
            values[kv.key], types[kv.key] = _render(value, which)
    if types and len(values) != len(kvs):
        # A repeated key whose last value is a string still has an earlier value's type, which would
        # retype it. Rare, so looked for only when some key came twice, off the per-attribute path.
        last_is_string = {kv.key: kv.value.WhichOneof("value") == "string_value" for kv in kvs}
        for key, is_string in last_is_string.items():
            if is_string:
                types.pop(key, None)
    return values, types


def values_only(kvs: Iterable[KeyValue]) -> Attrs:
    """Like `flatten`, for places where the exporter's schema keeps no types (events, links)."""
    values: Attrs = {}
    for kv in kvs:
        value = kv.value
        which = value.WhichOneof("value")
        values[kv.key] = value.string_value if which == "string_value" else _render(value, which)[0]
    return values


def render(value: AnyValue) -> tuple[str, str | None]:
    """One AnyValue as (text, OTLP type); the type is None for a string (a log body, say)."""
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value, None
    return _render(value, which)


def _render(value: AnyValue, which: str | None) -> tuple[str, str]:
    if which == "int_value":
        return str(value.int_value), "int"
    if which == "double_value":
        return _double(value.double_value), "double"
    if which == "bool_value":
        return ("true" if value.bool_value else "false"), "bool"
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii"), "bytes"
    if which == "array_value":
        return _json([to_python(v) for v in value.array_value.values]), "array"
    if which == "kvlist_value":
        return _json({kv.key: to_python(kv.value) for kv in value.kvlist_value.values}), "kvlist"
    return "", "empty"


def _double(number: float) -> str:
    if math.isfinite(number) and number == int(number) and abs(number) < 1e16:
        # Go's FormatFloat(f, 'f', -1, 64) writes 3.0 as "3"; match it so SQL comparisons agree.
        return str(int(number))
    return repr(number)


def _json(obj: Any) -> str:
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")


def to_python(value: AnyValue) -> Any:
    """An AnyValue as plain JSON-able Python (bytes become base64 strings, NaN/inf strings)."""
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value
    if which == "int_value":
        return value.int_value
    if which == "double_value":
        number = value.double_value
        return number if math.isfinite(number) else repr(number)
    if which == "bool_value":
        return value.bool_value
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    if which == "array_value":
        return [to_python(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: to_python(kv.value) for kv in value.kvlist_value.values}
    return None


def typed_value(text: str, kind: str | None) -> Any:
    """Undo `flatten` for one value: the stored string and its recorded type -> a JSON value."""
    if kind is None:
        return text
    try:
        if kind == "int":
            return int(text)
        if kind == "double":
            number = float(text)
            return number if math.isfinite(number) else text
        if kind == "bool":
            return text == "true"
        if kind in ("array", "kvlist"):
            return orjson.loads(text)
        if kind == "empty":
            return None
    except (ValueError, orjson.JSONDecodeError):
        return text
    return text


def typed_map(values: Mapping[str, str], types: Mapping[str, str]) -> dict[str, Any]:
    return {key: typed_value(text, types.get(key)) for key, text in values.items()}
