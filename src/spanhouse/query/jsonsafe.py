"""ClickHouse values as JSON-safe values, and as CSV / TSV cells (pure).

`converter(column_type)` is built once per result column from clickhouse-connect's type and turns
each decoded value into None, bool, int (64-bit at most), float (finite), str, Decimal, list or
dict with str keys; `dumps` writes such values as JSON. The choices, all lossless unless noted:

- Decimal stays exact: written as a JSON number in fixed-point notation (`1.2500`), as ClickHouse's
  own JSON output does.
- Int128 / UInt128 / Int256 / UInt256 are strings, always (JSON readers keep 53 or 64 bits); the
  64-bit types and smaller are numbers.
- NaN and the infinities, which JSON cannot write, are the strings `NaN`, `Infinity`, `-Infinity`
  (what JavaScript's `Number()` and Python's `float()` parse), so they stay apart from NULL.
- DateTime and DateTime64 are RFC 3339 strings in UTC with the column's full precision
  (`2024-01-02T03:04:05.123456789Z`): they must be read from the driver as integer ticks
  (`QUERY_FORMATS`), since Python's datetime stops at microseconds.
- Date / Date32 are `YYYY-MM-DD`; UUID, IPv4, IPv6 and Enum their text.
- String and FixedString bytes are decoded as UTF-8, invalid bytes replaced by U+FFFD (lossy; write
  `hex(col)` or `base64Encode(col)` in SQL for binary data).
- Map is an object (keys that are not strings become their JSON text), a named Tuple an object,
  an unnamed Tuple and Array are arrays, NULL is null.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

Converter = Callable[[Any], Any]

# Read with these driver formats so that temporal values keep their precision and strings their bytes.
QUERY_FORMATS = {"DateTime64": "int", "DateTime": "int", "String": "bytes"}

_WIDE_INTEGERS = frozenset({"Int128", "UInt128", "Int256", "UInt256"})
_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1
_EPOCH = dt.datetime(1970, 1, 1)


def converter(column_type: Any) -> Converter:
    """A function from one decoded value of `column_type` (a clickhouse-connect type) to a JSON-safe value."""
    base = column_type.base_type
    if base == "DateTime64":
        return _nullable(_ticks_to_text(column_type.scale))
    if base == "DateTime":
        return _nullable(_ticks_to_text(0))
    if base in _WIDE_INTEGERS:
        return _nullable(str)
    if base == "Array":
        element = converter(column_type.element_type)
        return _nullable(lambda values: [element(value) for value in values])
    if base == "Map":
        key, value = converter(column_type.key_type), converter(column_type.value_type)
        return _nullable(lambda mapping: {_key_text(key(k)): value(v) for k, v in mapping.items()})
    if base == "Tuple":
        elements = [converter(element_type) for element_type in column_type.element_types]
        names = column_type.element_names
        if names:
            return _nullable(lambda record: {name: convert(record[name])
                                             for name, convert in zip(names, elements, strict=True)})
        return _nullable(lambda record: [convert(item) for convert, item in zip(elements, record, strict=True)])
    return plain


def plain(value: Any) -> Any:
    """A JSON-safe value from the Python value alone (for types without a dedicated converter)."""
    if value is None or isinstance(value, (bool, str, Decimal)):
        return value
    if isinstance(value, int):
        return value if _INT64_MIN <= value <= _UINT64_MAX else str(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _duration_text(value)
    if isinstance(value, dict):
        return {_key_text(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return str(value)  # UUID, IPv4Address, IPv6Address and anything newer


def dumps(content: Any) -> bytes:
    """JSON bytes; Decimal values become exact fixed-point numbers."""
    return orjson.dumps(content, default=_json_default)


def cell(value: Any) -> str:
    """One JSON-safe value as a CSV / TSV cell: NULL empty, booleans true / false, composites as their JSON text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return repr(value)
    return dumps(value).decode()


def _nullable(convert: Converter) -> Converter:
    return lambda value: None if value is None else convert(value)


def _ticks_to_text(scale: int) -> Converter:
    per_second = 10**scale

    def to_text(ticks: int) -> str:
        seconds, fraction = divmod(ticks, per_second)
        text = (_EPOCH + dt.timedelta(seconds=seconds)).isoformat()
        return f"{text}.{fraction:0{scale}d}Z" if scale else text + "Z"

    return to_text


def _duration_text(value: dt.timedelta) -> str:
    """ClickHouse's Time spelling: [-]H:MM:SS[.ffffff]."""
    sign = "-" if value < dt.timedelta(0) else ""
    micros = abs(value) // dt.timedelta(microseconds=1)
    seconds, micro = divmod(micros, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    text = f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{text}.{micro:06d}" if micro else text


def _key_text(key: Any) -> str:
    return key if isinstance(key, str) else dumps(key).decode()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(format(value, "f"))
    raise TypeError(f"{type(value).__name__} is not JSON-safe")
