"""OTLP/JSON request bodies -> the protobuf request message.

The OTLP JSON mapping differs from protobuf's canonical JSON in one way that matters: trace
and span ids are hex strings, not base64. Everything else (camelCase keys, integer or named
enums, int64 as string or number, unknown fields ignored) `json_format` already accepts.

A body that is not an encoding of the request under the mapping is a DecodeError naming the JSON
path and value (HTTP 400): `json_check` finds what `json_format` would let through silently (a
string where an object is expected, an enum that is a boolean or a fraction or an unknown name,
`bytesValue` that is not base64). An id is different: a span (or log record) whose id is not an
even number of hex digits is taken out of the request and reported, so the spans beside it are
still stored (OTLP partial success), as a span whose id has the wrong length is (decode/traces.py).
"""

from __future__ import annotations

import base64
import re
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from spanhouse.decode import json_check
from spanhouse.decode.traces import quote
from spanhouse.errors import DecodeError

_SPAN_ID_FIELDS = ("traceId", "spanId", "parentSpanId")
_LINK_ID_FIELDS = ("traceId", "spanId")
_SNAKE = {"traceId": "trace_id", "spanId": "span_id", "parentSpanId": "parent_span_id"}
# Whole bytes only, and nothing else: bytes.fromhex would also skip whitespace between them.
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*")


def _document(body: bytes, kind: str) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"request body is not valid JSON: {_json_problem(body, exc)}") from exc
    if not isinstance(document, dict):
        raise DecodeError(f"request body must be a JSON object ({kind})")
    return document


def _json_problem(body: bytes, exc: orjson.JSONDecodeError) -> str:
    """orjson's reason, unless the body is not UTF-8: orjson then blames surrogates at char 0."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"not UTF-8 at byte offset {bad.start} ({body[bad.start:bad.end].hex(' ')}: {bad.reason})"
    return str(exc)


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
    request = ExportTraceServiceRequest()
    kind = "ExportTraceServiceRequest"
    document = _document(body, kind)
    json_check.check(document, request.DESCRIPTOR, kind)
    problems: list[str] = []
    # After the check every level is an object or null and every list a list of objects.
    for resource_spans in _list(document, "resourceSpans", "resource_spans"):
        for scope_spans in _list(resource_spans, "scopeSpans", "scope_spans"):
            spans = _list(scope_spans, "spans")
            kept = []
            for span in spans:
                problem = _span_ids_to_base64(span)
                if problem is None:
                    kept.append(span)
                else:
                    problems.append(problem)
            if len(kept) != len(spans):
                scope_spans["spans"] = kept
    _parse(document, request, kind)
    return request, problems


def parse_logs(body: bytes) -> tuple[ExportLogsServiceRequest, list[str]]:
    """Decode an OTLP/JSON logs body; like `parse_traces`, a record with a non-hex id is taken out."""
    request = ExportLogsServiceRequest()
    kind = "ExportLogsServiceRequest"
    document = _document(body, kind)
    json_check.check(document, request.DESCRIPTOR, kind)
    problems: list[str] = []
    for resource_logs in _list(document, "resourceLogs", "resource_logs"):
        for scope_logs in _list(resource_logs, "scopeLogs", "scope_logs"):
            records = _list(scope_logs, "logRecords", "log_records")
            kept = []
            for record in records:
                problem = _convert(record, "traceId") or _convert(record, "spanId")
                if problem is None:
                    kept.append(record)
                else:
                    problems.append(f"log record: {problem}")
            if len(kept) != len(records):
                scope_logs["logRecords" if "logRecords" in scope_logs else "log_records"] = kept
    _parse(document, request, kind)
    return request, problems


def _list(parent: dict[str, Any] | None, *keys: str) -> list[Any]:
    if parent is None:
        return []
    for key in keys:
        value = parent.get(key)
        if value is not None:
            return value  # type: ignore[no-any-return]
    return []


def _span_ids_to_base64(span: dict[str, Any]) -> str | None:
    for field in _SPAN_ID_FIELDS:
        problem = _convert(span, field)
        if problem:
            return f"span {quote(span.get('name', ''))}: {problem}"
    for index, link in enumerate(_list(span, "links")):
        for field in _LINK_ID_FIELDS:
            problem = _convert(link, field)
            if problem:
                return f"span {quote(span.get('name', ''))}: link {index} {problem}"
    return None


def _convert(obj: dict[str, Any], field: str) -> str | None:
    """Hex id -> the base64 json_format reads; a message when it is not hex (None when it is, or absent)."""
    snake = _SNAKE[field]
    key = field if field in obj else snake if snake in obj else None
    if key is None:
        return None
    value = obj[key]
    if value in ("", None):
        return None
    if not isinstance(value, str):
        return f"{field} must be a hex string, got {json_check.describe(value)}"
    if not _HEX.fullmatch(value):
        return f"{field} {quote(value)} is not a hex string"
    obj[key] = base64.b64encode(bytes.fromhex(value)).decode("ascii")
    return None
