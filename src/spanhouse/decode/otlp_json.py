"""OTLP/JSON request bodies -> the protobuf request message.

The OTLP JSON mapping differs from protobuf's canonical JSON in one way that matters: trace
and span ids are hex strings, not base64. Everything else (camelCase keys, integer or named
enums, int64 as string or number, unknown fields ignored) `json_format` already accepts.
A span whose id is not hex is taken out of the request and reported, so the spans beside it
are still stored (OTLP partial success).

Two things `json_format` lets through silently (with `ignore_unknown_fields`, which OTLP needs
for fields added later) are decode errors under the mapping, so they are checked first and make
the whole body a DecodeError naming the field and value: an enum name that is not one of the
enum's (`kind`, `status.code`, `severityNumber`; integers stay accepted whatever their value)
and a `bytesValue` that is not base64 (json_format would store the valid characters only).
"""

from __future__ import annotations

import base64
import re
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.descriptor import EnumDescriptor
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from spanhouse.decode.traces import quote
from spanhouse.errors import DecodeError

_SPAN_ID_FIELDS = ("traceId", "spanId", "parentSpanId")
_LINK_ID_FIELDS = ("traceId", "spanId")
_SPAN_KIND: EnumDescriptor = Span.SpanKind.DESCRIPTOR
_STATUS_CODE: EnumDescriptor = Status.StatusCode.DESCRIPTOR
_SEVERITY_NUMBER: EnumDescriptor = SeverityNumber.DESCRIPTOR
# Standard or URL-safe alphabet, padded or not: what protobuf's JSON mapping accepts.
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*")
_CHECKED_VALUE_KEYS = frozenset(
    ("bytesValue", "bytes_value", "arrayValue", "array_value", "kvlistValue", "kvlist_value"))
# Whole bytes only, and nothing else: bytes.fromhex would also skip whitespace between them.
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*")
# Deeper values are refused by json_format's own recursion limit; no need to walk them.
_MAX_DEPTH = 100


def _document(body: bytes, kind: str) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise DecodeError(f"request body must be a JSON object ({kind})")
    return document


def _parse(document: dict[str, Any], message: Message, kind: str) -> None:
    try:
        json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise DecodeError(f"request body is not an OTLP {kind}: {exc}") from exc


def parse_traces(body: bytes) -> tuple[ExportTraceServiceRequest, list[str]]:
    """Decode an OTLP/JSON traces body.

    Returns:
        The request without the spans that had malformed ids, and one message per span taken out.

    Raises:
        DecodeError: the body is not JSON, or not an ExportTraceServiceRequest.
    """
    kind = "ExportTraceServiceRequest"
    document = _document(body, kind)
    problems: list[str] = []
    for r, resource_spans in enumerate(_list(document, "resourceSpans", "resource_spans")):
        path = f"resourceSpans[{r}]"
        _check_resource(resource_spans, path, kind)
        for s, scope_spans in enumerate(_list(resource_spans, "scopeSpans", "scope_spans")):
            _check_scope(scope_spans, f"{path}.scopeSpans[{s}]", kind)
            spans = _list(scope_spans, "spans")
            kept = []
            for i, span in enumerate(spans):
                _check_span(span, f"{path}.scopeSpans[{s}].spans[{i}]", kind)
                problem = _hex_ids_to_base64(span)
                if problem is None:
                    kept.append(span)
                else:
                    problems.append(problem)
            if isinstance(scope_spans, dict) and len(kept) != len(spans):
                scope_spans["spans"] = kept
    request = ExportTraceServiceRequest()
    _parse(document, request, "ExportTraceServiceRequest")
    return request, problems


def parse_logs(body: bytes) -> tuple[ExportLogsServiceRequest, list[str]]:
    """Decode an OTLP/JSON logs body; like `parse_traces`, a record with a non-hex id is taken out."""
    kind = "ExportLogsServiceRequest"
    document = _document(body, kind)
    problems: list[str] = []
    for r, resource_logs in enumerate(_list(document, "resourceLogs", "resource_logs")):
        path = f"resourceLogs[{r}]"
        _check_resource(resource_logs, path, kind)
        for s, scope_logs in enumerate(_list(resource_logs, "scopeLogs", "scope_logs")):
            _check_scope(scope_logs, f"{path}.scopeLogs[{s}]", kind)
            records = _list(scope_logs, "logRecords", "log_records")
            kept = []
            for i, record in enumerate(records):
                problem = None
                if isinstance(record, dict):
                    record_path = f"{path}.scopeLogs[{s}].logRecords[{i}]"
                    _check_enum(record, ("severityNumber", "severity_number"), _SEVERITY_NUMBER, record_path, kind)
                    _check_attributes(record, record_path, kind)
                    body_value = _field(record, "body")
                    if body_value is not None:
                        _check_value(body_value, f"{record_path}.body", kind, 0)
                    problem = _convert(record, "traceId") or _convert(record, "spanId")
                if problem is None:
                    kept.append(record)
                else:
                    problems.append(f"log record: {problem}")
            if isinstance(scope_logs, dict) and len(kept) != len(records):
                scope_logs["logRecords" if "logRecords" in scope_logs else "log_records"] = kept
    request = ExportLogsServiceRequest()
    _parse(document, request, "ExportLogsServiceRequest")
    return request, problems


def _field(parent: Any, *keys: str) -> Any:
    """The value under the first of `keys` (JSON name, then proto name) that `parent` has."""
    if isinstance(parent, dict):
        for key in keys:
            if key in parent:
                return parent[key]
    return None


def _invalid(kind: str, path: str, problem: str) -> DecodeError:
    return DecodeError(f"request body is not an OTLP {kind}: {path} {problem}")


def _check_enum(obj: dict[str, Any], keys: tuple[str, ...], enum: EnumDescriptor, path: str, kind: str) -> None:
    value = _field(obj, *keys)
    if not isinstance(value, str) or value in enum.values_by_name:
        return  # numbers (and non-strings json_format itself refuses) are not ours to judge
    try:
        int(value)  # json_format takes "3" as 3
    except ValueError:
        raise _invalid(kind, f"{path}.{keys[0]}", f"{value[:64]!r} is not a name in {enum.full_name}") from None


def _check_base64(value: Any, path: str, kind: str) -> None:
    if value is None:
        return  # null is an absent value, as json_format reads it
    if not isinstance(value, str):
        raise _invalid(kind, path, f"must be a base64 string, got {type(value).__name__}")
    data = value.rstrip("=")
    padding = len(value) - len(data)
    if (not _BASE64.fullmatch(data) or len(data) % 4 == 1 or padding > 2
            or (padding and len(value) % 4)):
        raise _invalid(kind, path, f"{value[:64]!r} is not base64")


def _check_value(value: Any, path: str, kind: str, depth: int) -> None:
    """An AnyValue: bytes must be base64, arrays and key-value lists are walked."""
    if not isinstance(value, dict) or depth > _MAX_DEPTH or value.keys().isdisjoint(_CHECKED_VALUE_KEYS):
        return  # the common case, a string or number, costs one set test
    if "bytesValue" in value or "bytes_value" in value:
        _check_base64(_field(value, "bytesValue", "bytes_value"), f"{path}.bytesValue", kind)
    array = _field(value, "arrayValue", "array_value")
    for i, item in enumerate(_list(array, "values")):
        _check_value(item, f"{path}.arrayValue.values[{i}]", kind, depth + 1)
    kvlist = _field(value, "kvlistValue", "kvlist_value")
    for i, pair in enumerate(_list(kvlist, "values")):
        _check_value(_field(pair, "value"), f"{path}.kvlistValue.values[{i}].value", kind, depth + 1)


def _check_attributes(parent: Any, path: str, kind: str) -> None:
    for i, pair in enumerate(_list(parent, "attributes")):
        _check_value(_field(pair, "value"), f"{path}.attributes[{i}].value", kind, 0)


def _check_resource(resource_level: Any, path: str, kind: str) -> None:
    _check_attributes(_field(resource_level, "resource"), f"{path}.resource", kind)


def _check_scope(scope_level: Any, path: str, kind: str) -> None:
    _check_attributes(_field(scope_level, "scope"), f"{path}.scope", kind)


def _check_span(span: Any, path: str, kind: str) -> None:
    if not isinstance(span, dict):
        return
    _check_enum(span, ("kind",), _SPAN_KIND, path, kind)
    status = _field(span, "status")
    if isinstance(status, dict):
        _check_enum(status, ("code",), _STATUS_CODE, f"{path}.status", kind)
    _check_attributes(span, path, kind)
    for i, event in enumerate(_list(span, "events")):
        _check_attributes(event, f"{path}.events[{i}]", kind)
    for i, link in enumerate(_list(span, "links")):
        _check_attributes(link, f"{path}.links[{i}]", kind)


def _list(parent: Any, *keys: str) -> list[Any]:
    if not isinstance(parent, dict):
        return []
    for key in keys:
        value = parent.get(key)
        if isinstance(value, list):
            return value
    return []


def _hex_ids_to_base64(span: Any) -> str | None:
    if not isinstance(span, dict):
        return None  # json_format reports the wrong shape for the whole request
    for field in _SPAN_ID_FIELDS:
        problem = _convert(span, field)
        if problem:
            return f"span {quote(span.get('name', ''))}: {problem}"
    for index, link in enumerate(span.get("links") or []):
        for field in _LINK_ID_FIELDS:
            problem = _convert(link, field) if isinstance(link, dict) else None
            if problem:
                return f"span {quote(span.get('name', ''))}: link {index} {problem}"
    return None


def _convert(obj: dict[str, Any], field: str) -> str | None:
    snake = {"traceId": "trace_id", "spanId": "span_id", "parentSpanId": "parent_span_id"}[field]
    key = field if field in obj else snake if snake in obj else None
    if key is None:
        return None
    value = obj[key]
    if value in ("", None):
        return None
    if not isinstance(value, str):
        return f"{field} must be a hex string, got {type(value).__name__}"
    if not _HEX.fullmatch(value):
        return f"{field} {quote(value)} is not a hex string"
    obj[key] = base64.b64encode(bytes.fromhex(value)).decode("ascii")
    return None
