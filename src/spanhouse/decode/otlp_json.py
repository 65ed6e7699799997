"""OTLP/JSON request bodies -> the protobuf request message.

The OTLP JSON mapping differs from protobuf's canonical JSON in one way that matters: trace
and span ids are hex strings, not base64. Everything else (camelCase keys, integer or named
enums, int64 as string or number, unknown fields ignored) `json_format` already accepts.
A span whose id is not hex is taken out of the request and reported, so the spans beside it
are still stored (OTLP partial success).
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from spanhouse.errors import DecodeError

_SPAN_ID_FIELDS = ("traceId", "spanId", "parentSpanId")
_LINK_ID_FIELDS = ("traceId", "spanId")


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
    document = _document(body, "ExportTraceServiceRequest")
    problems: list[str] = []
    for resource_spans in _list(document, "resourceSpans", "resource_spans"):
        for scope_spans in _list(resource_spans, "scopeSpans", "scope_spans"):
            spans = _list(scope_spans, "spans")
            kept = []
            for span in spans:
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
    document = _document(body, "ExportLogsServiceRequest")
    problems: list[str] = []
    for resource_logs in _list(document, "resourceLogs", "resource_logs"):
        for scope_logs in _list(resource_logs, "scopeLogs", "scope_logs"):
            records = _list(scope_logs, "logRecords", "log_records")
            kept = []
            for record in records:
                problem = None
                if isinstance(record, dict):
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
            return f"span {span.get('name', '')!r}: {problem}"
    for link in span.get("links") or []:
        for field in _LINK_ID_FIELDS:
            problem = _convert(link, field) if isinstance(link, dict) else None
            if problem:
                return f"span {span.get('name', '')!r}: link {problem}"
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
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return f"{field} {value[:64]!r} is not a hex string"
    obj[key] = base64.b64encode(raw).decode("ascii")
    return None
