"""Span rows of `sql/jaeger_spans.sql` -> Jaeger's v1 JSON trace model and OTLP JSON (pure).

v1 follows Jaeger's query service (`model/json`, and the OpenTelemetry-to-Jaeger translation of
the Collector's `pkg/translator/jaeger`):
  * ids in lower-case hex, trace ids as the 32 characters stored (see jaeger_params.py);
  * `startTime` and `duration` in microseconds, truncated; `flags` is the sampled bit of the W3C
    trace flags;
  * `references`: the parent first as CHILD_OF, then each link as FOLLOWS_FROM (CHILD_OF when the
    link says `opentracing.ref_type=child_of`; a link to the parent retypes the parent reference);
  * typed `tags`: the span attributes with their OTLP types (`SpanAttributeTypes`): int ->
    int64 (a string value beyond JavaScript's 2^53, as Jaeger does), double -> float64,
    bool -> bool, bytes -> binary (base64), arrays, maps and non-finite doubles -> string (JSON
    text); plus `otel.scope.name` / `otel.scope.version`, `span.kind` (not for unspecified
    spans), `otel.status_code` (`OK` / `ERROR`), `error=true` on error spans (overriding an
    attribute of that name), `otel.status_description`, `w3c.tracestate` and the dropped counts
    (`otel.dropped_*_count`) when set; sorted by key, as Jaeger's adjusters sort them;
  * `logs` from events: `event` (the event name, unless an attribute has that key) first, then
    the attributes, which spanhouse stores untyped, as strings;
  * `processes` keyed `p1`, `p2`, ... in the order spans (by start time) first use them; one per
    distinct service and resource attributes (`service.name` is the service, not a tag).

OTLP JSON follows the OTLP/JSON mapping: hex ids, 64-bit integers and times as decimal strings,
enums (kind, status code) as integers, `AnyValue`s rebuilt from the stored text and type maps
(arrays and maps from their JSON; bytes inside them stay the base64 strings they were stored
as). Spans are grouped per trace by resource, then scope, as Jaeger's v3 API groups them.
A span id stored twice (an exporter retry that escaped dedup) is shown once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from spanhouse.decode.attributes import typed_value
from spanhouse.query.reader import Row

NO_SERVICE = "OTLPResourceNoServiceName"  # what Jaeger calls a resource without service.name
JS_SAFE_INTEGER = 2**53 - 1
_JAEGER_KINDS = {"Internal": "internal", "Server": "server", "Client": "client", "Producer": "producer",
                 "Consumer": "consumer"}
OTLP_KINDS = {"Unspecified": 0, "Internal": 1, "Server": 2, "Client": 3, "Producer": 4, "Consumer": 5}
OTLP_STATUS = {"Unset": 0, "Ok": 1, "Error": 2}


def jaeger_kind(kind: str) -> str:
    """The `span.kind` spelling of a stored SpanKind; empty for unspecified."""
    return _JAEGER_KINDS.get(kind, "")


def unique_spans(rows: Iterable[Row]) -> list[Row]:
    """The rows of one trace, one per span id, by start time."""
    unique: dict[str, Row] = {}
    for row in rows:
        unique.setdefault(row["SpanId"], row)
    return sorted(unique.values(), key=lambda r: (r["StartNs"], r["SpanId"]))


# --- Jaeger v1 -------------------------------------------------------------------------------------

def _tag(key: str, text: str, kind: str | None) -> dict[str, Any]:
    value = typed_value(text, kind)
    if kind == "int" and isinstance(value, int):
        return {"key": key, "type": "int64", "value": value if abs(value) <= JS_SAFE_INTEGER else str(value)}
    if kind == "double" and isinstance(value, float):
        return {"key": key, "type": "float64", "value": value}
    if kind == "bool":
        return {"key": key, "type": "bool", "value": value}
    if kind == "bytes":
        return {"key": key, "type": "binary", "value": text}
    return {"key": key, "type": "string", "value": text}


def _string_tag(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "type": "string", "value": value}


def _int_tag(key: str, value: int) -> dict[str, Any]:
    return {"key": key, "type": "int64", "value": value}


def _span_tags(row: Row) -> list[dict[str, Any]]:
    types = row["SpanAttributeTypes"]
    tags = {key: _tag(key, text, types.get(key)) for key, text in row["SpanAttributes"].items()}
    derived: list[dict[str, Any]] = []
    if row["ScopeName"]:
        derived.append(_string_tag("otel.scope.name", row["ScopeName"]))
    if row["ScopeVersion"]:
        derived.append(_string_tag("otel.scope.version", row["ScopeVersion"]))
    if kind := jaeger_kind(row["SpanKind"]):
        derived.append(_string_tag("span.kind", kind))
    if row["StatusCode"] in ("Ok", "Error"):
        derived.append(_string_tag("otel.status_code", row["StatusCode"].upper()))
    if row["StatusCode"] == "Error":
        derived.append({"key": "error", "type": "bool", "value": True})
    if row["StatusMessage"]:
        derived.append(_string_tag("otel.status_description", row["StatusMessage"]))
    if row["TraceState"]:
        derived.append(_string_tag("w3c.tracestate", row["TraceState"]))
    for column, key in (("DroppedAttributesCount", "otel.dropped_attributes_count"),
                        ("DroppedEventsCount", "otel.dropped_events_count"),
                        ("DroppedLinksCount", "otel.dropped_links_count")):
        if row[column]:
            derived.append(_int_tag(key, row[column]))
    for tag in derived:
        tags[tag["key"]] = tag
    return [tags[key] for key in sorted(tags)]


def _references(row: Row, trace_id: str) -> list[dict[str, Any]]:
    references: list[dict[str, Any]] = []
    parent = row["ParentSpanId"]
    if parent:
        references.append({"refType": "CHILD_OF", "traceID": trace_id, "spanID": parent})
    for link_trace, link_span, attributes in zip(row["LinkTraceIds"], row["LinkSpanIds"], row["LinkAttributes"],
                                                 strict=True):
        ref_type = "CHILD_OF" if attributes.get("opentracing.ref_type") == "child_of" else "FOLLOWS_FROM"
        if parent and link_trace == trace_id and link_span == parent:
            references[0]["refType"] = ref_type
            continue
        references.append({"refType": ref_type, "traceID": link_trace, "spanID": link_span})
    return references


def _logs(row: Row) -> list[dict[str, Any]]:
    logs = []
    for time_ns, name, attributes in zip(row["EventTimesNs"], row["EventNames"], row["EventAttributes"],
                                         strict=True):
        fields = [_string_tag("event", name)] if name and "event" not in attributes else []
        fields += [_string_tag(key, attributes[key]) for key in sorted(attributes)]
        logs.append({"timestamp": time_ns // 1_000, "fields": fields})
    return logs


def _process(row: Row) -> dict[str, Any]:
    types = row["ResourceAttributeTypes"]
    tags = [_tag(key, text, types.get(key)) for key, text in sorted(row["ResourceAttributes"].items())
            if key != "service.name"]
    return {"serviceName": row["ServiceName"] or NO_SERVICE, "tags": tags}


def jaeger_trace(trace_id: str, rows: Iterable[Row], warnings: list[str] | None = None) -> dict[str, Any]:
    """One trace in Jaeger's v1 JSON model (the rows must not be empty)."""
    processes: dict[bytes, str] = {}
    documents: dict[str, dict[str, Any]] = {}
    spans = []
    for row in unique_spans(rows):
        process = _process(row)
        identity = orjson.dumps(process)
        process_id = processes.get(identity)
        if process_id is None:
            process_id = processes[identity] = f"p{len(processes) + 1}"
            documents[process_id] = process
        spans.append({
            "traceID": trace_id,
            "spanID": row["SpanId"],
            "flags": row["TraceFlags"] & 0x1,
            "operationName": row["SpanName"],
            "references": _references(row, trace_id),
            "startTime": row["StartNs"] // 1_000,
            "duration": row["Duration"] // 1_000,
            "tags": _span_tags(row),
            "logs": _logs(row),
            "processID": process_id,
            "warnings": None,
        })
    return {"traceID": trace_id, "spans": spans, "processes": documents, "warnings": warnings or None}


# --- OTLP JSON -------------------------------------------------------------------------------------

def _json_value(value: Any) -> dict[str, Any]:
    """A JSON value (an array or map attribute's element, as stored) as an AnyValue."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_json_value(item) for item in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": [{"key": str(k), "value": _json_value(v)} for k, v in value.items()]}}
    return {}


_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_INTEGER = re.compile(r"^-?[0-9]+$")


def any_value(text: str, kind: str | None) -> dict[str, Any]:
    """A stored attribute value and its recorded type as an OTLP JSON AnyValue."""
    if kind is None:
        return {"stringValue": text}
    if kind == "int" and _INTEGER.fullmatch(text):
        return {"intValue": text}
    if kind == "double":
        if text in _NON_FINITE:
            return {"doubleValue": _NON_FINITE[text]}
        try:
            number = float(text)
        except ValueError:
            return {"stringValue": text}
        if math.isfinite(number):
            return {"doubleValue": number}
    if kind == "bool":
        return {"boolValue": text == "true"}
    if kind == "bytes":
        return {"bytesValue": text}
    if kind in ("array", "kvlist"):
        try:
            return _json_value(orjson.loads(text))
        except orjson.JSONDecodeError:
            pass
    if kind == "empty":
        return {}
    return {"stringValue": text}  # a string, or text that does not parse as its type


def key_values(values: Mapping[str, str], types: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    types = types or {}
    return [{"key": key, "value": any_value(values[key], types.get(key))} for key in sorted(values)]


def _counted(document: dict[str, Any], key: str, count: int) -> dict[str, Any]:
    if count:
        document[key] = count
    return document


def _otlp_span(row: Row, trace_id: str) -> dict[str, Any]:
    span: dict[str, Any] = {"traceId": trace_id, "spanId": row["SpanId"]}
    if row["ParentSpanId"]:
        span["parentSpanId"] = row["ParentSpanId"]
    if row["TraceState"]:
        span["traceState"] = row["TraceState"]
    if row["TraceFlags"]:
        span["flags"] = row["TraceFlags"]
    span.update({
        "name": row["SpanName"],
        "kind": OTLP_KINDS.get(row["SpanKind"], 0),
        "startTimeUnixNano": str(row["StartNs"]),
        "endTimeUnixNano": str(row["StartNs"] + row["Duration"]),
        "attributes": key_values(row["SpanAttributes"], row["SpanAttributeTypes"]),
    })
    _counted(span, "droppedAttributesCount", row["DroppedAttributesCount"])
    span["events"] = [
        _counted({"timeUnixNano": str(time_ns), "name": name, "attributes": key_values(attributes)},
                 "droppedAttributesCount", dropped)
        for time_ns, name, attributes, dropped in zip(row["EventTimesNs"], row["EventNames"], row["EventAttributes"],
                                                      row["EventDroppedAttributesCounts"], strict=True)
    ]
    _counted(span, "droppedEventsCount", row["DroppedEventsCount"])
    links = []
    for link_trace, link_span, state, attributes, flags, dropped in zip(
            row["LinkTraceIds"], row["LinkSpanIds"], row["LinkTraceStates"], row["LinkAttributes"], row["LinkFlags"],
            row["LinkDroppedAttributesCounts"], strict=True):
        link: dict[str, Any] = {"traceId": link_trace, "spanId": link_span}
        if state:
            link["traceState"] = state
        link["attributes"] = key_values(attributes)
        _counted(link, "droppedAttributesCount", dropped)
        links.append(_counted(link, "flags", flags))
    span["links"] = links
    _counted(span, "droppedLinksCount", row["DroppedLinksCount"])
    status: dict[str, Any] = {"code": OTLP_STATUS.get(row["StatusCode"], 0)}
    if row["StatusMessage"]:
        status["message"] = row["StatusMessage"]
    span["status"] = status
    return span


def otlp_resource_spans(trace_id: str, rows: Iterable[Row]) -> list[dict[str, Any]]:
    """The `resourceSpans` of one trace: its spans grouped by resource, then by scope."""
    resources: dict[bytes, dict[str, Any]] = {}
    scopes: dict[tuple[bytes, bytes], list[dict[str, Any]]] = {}
    for row in unique_spans(rows):
        resource = _counted({"attributes": key_values(row["ResourceAttributes"], row["ResourceAttributeTypes"])},
                            "droppedAttributesCount", row["ResourceDroppedAttributesCount"])
        resource_key = orjson.dumps([resource, row["ResourceSchemaUrl"]])
        resource_spans = resources.get(resource_key)
        if resource_spans is None:
            resource_spans = resources[resource_key] = {"resource": resource, "scopeSpans": []}
            if row["ResourceSchemaUrl"]:
                resource_spans["schemaUrl"] = row["ResourceSchemaUrl"]
        scope = _counted({"name": row["ScopeName"], "version": row["ScopeVersion"],
                          "attributes": key_values(row["ScopeAttributes"])},
                         "droppedAttributesCount", row["ScopeDroppedAttributesCount"])
        scope_key = (resource_key, orjson.dumps([scope, row["ScopeSchemaUrl"]]))
        spans = scopes.get(scope_key)
        if spans is None:
            spans = scopes[scope_key] = []
            scope_spans: dict[str, Any] = {"scope": scope, "spans": spans}
            if row["ScopeSchemaUrl"]:
                scope_spans["schemaUrl"] = row["ScopeSchemaUrl"]
            resource_spans["scopeSpans"].append(scope_spans)
        spans.append(_otlp_span(row, trace_id))
    return list(resources.values())
