"""What the OTLP/JSON mapping refuses but `json_format` takes: found before it parses, named by path.

`json_format.ParseDict` runs with `ignore_unknown_fields` (OTLP needs it: receivers must ignore
fields added later), and with it lets through, without a word, values that are not encodings of
their field under the protobuf JSON mapping, storing something other than what was sent:

- a string or array where a message is expected is walked as if it were an object, each
  character or element an unknown key and so ignored: `"status": "STATUS_CODE_ERROR"` becomes an
  unset status, an attribute `"a=b"` an empty key, `"events": ["boom"]` an empty event at time 0,
  a log `"body": "plain"` no body;
- an enum takes `int()` of whatever it is given (`true` and `1.9` become 1), skips a name it does
  not know, and leaves a number outside int32 unchecked;
- a `bytes` field keeps only the base64 characters of its string.

So `check` walks the document beside the message's descriptor and raises a DecodeError naming the
JSON path and the value: a message must be an object (or null, its absence), a repeated field an
array, an enum an integer, an integral number or a name of the enum (a decimal string too, as
json_format takes "3" for 3), `bytesValue` base64. Everything else (strings, integers, floats,
booleans of the wrong JSON type) json_format itself refuses. OTLP's hex `traceId` / `spanId` /
`parentSpanId` are left to `otlp_json`, which rejects a span with a malformed id (partial success)
instead of the whole request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from spanhouse.decode.traces import quote
from spanhouse.errors import DecodeError

# Deeper messages are refused by json_format's own recursion limit; no need to walk them.
MAX_DEPTH = 100
# OTLP writes these bytes fields in hex, not base64 (the spec's one deviation that matters here).
HEX_ID_FIELDS = frozenset(("trace_id", "span_id", "parent_span_id"))
# Standard or URL-safe alphabet, padded or not: what protobuf's JSON mapping accepts.
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*")
_DECIMAL = re.compile(r"-?[0-9]+")
_INT32 = range(-(2**31), 2**31)


@dataclass(frozen=True, slots=True)
class _Field:
    """A field json_format does not check well enough: a message, an enum or base64 bytes (both None)."""

    json_name: str
    repeated: bool
    message: Descriptor | None
    enum: EnumDescriptor | None


_FIELDS: dict[Descriptor, dict[str, _Field]] = {}


def check(document: dict[str, Any], descriptor: Descriptor, kind: str) -> None:
    """Raise DecodeError for the first value in `document` that is not an encoding of its field.

    Args:
        document: the parsed JSON body, a `descriptor` message.
        kind: the message's name, for the error ("ExportTraceServiceRequest").
    """
    try:
        _message(document, descriptor, 0)
    except _Invalid as exc:
        path = "".join(reversed(exc.path)).lstrip(".")
        raise DecodeError(f"request body is not an OTLP {kind}: {path or 'the body'} {exc.problem}") from None


class _Invalid(Exception):
    """Raised at the bad value; each level it passes adds its part of the path (only then built)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []  # innermost first: ".value", "[0]", ".attributes", ...


def _fields(descriptor: Descriptor) -> dict[str, _Field]:
    """The fields of `descriptor` worth checking, under both the keys json_format takes for them."""
    fields = _FIELDS.get(descriptor)
    if fields is None:
        fields = {}
        for field in descriptor.fields:
            if _checked(field):
                entry = _Field(field.json_name, field.is_repeated, field.message_type, field.enum_type)
                fields[field.json_name] = fields[field.name] = entry
        _FIELDS[descriptor] = fields
    return fields


def _checked(field: FieldDescriptor) -> bool:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        # Well-known types have JSON forms of their own (a Struct is any object); OTLP has none.
        return not str(field.message_type.full_name).startswith("google.protobuf.")
    if field.type == FieldDescriptor.TYPE_BYTES:
        return field.name not in HEX_ID_FIELDS
    return bool(field.type == FieldDescriptor.TYPE_ENUM)


def _message(obj: Any, descriptor: Descriptor, depth: int) -> None:
    if type(obj) is not dict:
        raise _Invalid(f"must be an object ({descriptor.full_name}), got {describe(obj)}")
    if depth > MAX_DEPTH:
        return
    fields = _fields(descriptor)
    for key, value in obj.items():
        field = fields.get(key)
        if field is None or value is None:
            continue  # unknown (ignored, as OTLP requires), unchecked, or null: absent, as json_format reads it
        try:
            if not field.repeated:
                _value(value, field, depth)
                continue
            if type(value) is not list:
                raise _Invalid(f"must be an array, got {describe(value)}")
            for index, item in enumerate(value):
                try:
                    _value(item, field, depth)
                except _Invalid as exc:
                    exc.path.append(f"[{index}]")
                    raise
        except _Invalid as exc:
            exc.path.append(f".{field.json_name}")
            raise


def _value(value: Any, field: _Field, depth: int) -> None:
    if field.message is not None:
        _message(value, field.message, depth + 1)
    elif field.enum is not None:
        _enum(value, field.enum)
    else:
        _base64(value)


def _enum(value: Any, enum: EnumDescriptor) -> None:
    if isinstance(value, str):
        if value in enum.values_by_name:
            return
        if not _DECIMAL.fullmatch(value):
            raise _Invalid(f"{quote(value)} is not a name in {enum.full_name}")
        number: Any = int(value)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)  # 2.0: protobuf's JSON mapping takes an integral number for an integer
    else:
        number = value
    if isinstance(number, bool) or not isinstance(number, int):
        raise _Invalid(f"must be an integer or a name in {enum.full_name}, got {describe(value)}")
    if number not in _INT32:
        raise _Invalid(f"{quote(number)} is outside the range of an enum (int32)")


def _base64(value: Any) -> None:
    if not isinstance(value, str):
        raise _Invalid(f"must be a base64 string, got {describe(value)}")
    data = value.rstrip("=")
    padding = len(value) - len(data)
    if (not _BASE64.fullmatch(data) or len(data) % 4 == 1 or padding > 2
            or (padding and len(value) % 4)):
        raise _Invalid(f"{quote(value)} is not base64")


def describe(value: Any) -> str:
    """A JSON value as an error message names it: its type, and a short quote of a scalar."""
    if isinstance(value, str):
        return f"the string {quote(value)}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {quote(value)}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"
