"""OpenAPI 3.1 path items of the Jaeger-compatible endpoints (jaeger.py), schemas inline.

OTLP's AnyValue nests without limit; the schemas describe two levels and leave deeper values
as any object, so no `$ref` into components is needed.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

HEX_TRACE_ID: Schema = {"type": "string", "pattern": "^[0-9a-f]{32}$"}
HEX_SPAN_ID: Schema = {"type": "string", "pattern": "^[0-9a-f]{16}$"}
HEX_LINKED_ID: Schema = {"type": "string", "pattern": "^[0-9a-f]*$", "description": "link ids are stored as sent"}
STRINGS: Schema = {"type": "array", "items": {"type": "string"}}
GO_DURATION = r"^[+]?(0|(([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$"


def _object(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {"type": "object", "properties": properties, "required": list(properties) if required is None else required,
            "additionalProperties": False}


# --- v1: Jaeger's model/json ---------------------------------------------------------------------

V1_KEY_VALUE = _object({
    "key": {"type": "string"},
    "type": {"enum": ["string", "bool", "int64", "float64", "binary"]},
    "value": {"type": ["string", "boolean", "integer", "number"],
              "description": "int64 values beyond 2^53 are strings, binary values base64"},
})
V1_SPAN = _object({
    "traceID": HEX_TRACE_ID,
    "spanID": HEX_SPAN_ID,
    "flags": {"type": "integer", "enum": [0, 1], "description": "1 when the span was sampled"},
    "operationName": {"type": "string"},
    "references": {"type": "array", "items": _object({
        "refType": {"enum": ["CHILD_OF", "FOLLOWS_FROM"]}, "traceID": HEX_LINKED_ID, "spanID": HEX_LINKED_ID})},
    "startTime": {"type": "integer", "description": "Unix microseconds"},
    "duration": {"type": "integer", "minimum": 0, "description": "microseconds"},
    "tags": {"type": "array", "items": V1_KEY_VALUE},
    "logs": {"type": "array", "items": _object({
        "timestamp": {"type": "integer", "description": "Unix microseconds"},
        "fields": {"type": "array", "items": V1_KEY_VALUE}})},
    "processID": {"type": "string", "pattern": "^p[0-9]+$"},
    "warnings": {"type": ["array", "null"], "items": {"type": "string"}},
})
V1_TRACE = _object({
    "traceID": HEX_TRACE_ID,
    "spans": {"type": "array", "items": V1_SPAN},
    "processes": {"type": "object", "propertyNames": {"pattern": "^p[0-9]+$"},
                  "additionalProperties": _object({"serviceName": {"type": "string"},
                                                   "tags": {"type": "array", "items": V1_KEY_VALUE}})},
    "warnings": {"type": ["array", "null"], "items": {"type": "string"}},
})
V1_ERROR = _object({"code": {"type": "integer"}, "msg": {"type": "string"}, "traceID": HEX_TRACE_ID},
                   required=["msg"])


def _v1_envelope(data: Schema) -> Schema:
    return _object({"data": data, "total": {"type": "integer", "minimum": 0}, "limit": {"type": "integer"},
                    "offset": {"type": "integer"}, "errors": {"type": ["array", "null"], "items": V1_ERROR}})


V1_FAILURE = _object({"data": {"type": "null"}, "total": {"const": 0}, "limit": {"const": 0}, "offset": {"const": 0},
                      "errors": {"type": "array", "items": V1_ERROR, "minItems": 1}})


# --- v3: OTLP JSON -------------------------------------------------------------------------------

def _any_value(nested: Schema) -> Schema:
    return {"type": "object", "additionalProperties": False, "maxProperties": 1, "properties": {
        "stringValue": {"type": "string"},
        "boolValue": {"type": "boolean"},
        "intValue": {"type": "string", "pattern": "^-?[0-9]+$"},
        "doubleValue": {"type": ["number", "string"], "description": "NaN, Infinity and -Infinity as strings"},
        "bytesValue": {"type": "string", "description": "base64"},
        "arrayValue": _object({"values": {"type": "array", "items": nested}}),
        "kvlistValue": _object({"values": {"type": "array", "items": _object({"key": {"type": "string"},
                                                                               "value": nested})}}),
    }}


ANY_VALUE = _any_value(_any_value({"type": "object"}))
KEY_VALUES: Schema = {"type": "array", "items": _object({"key": {"type": "string"}, "value": ANY_VALUE})}
COUNT: Schema = {"type": "integer", "minimum": 1}
UINT64_TEXT: Schema = {"type": "string", "pattern": "^[0-9]+$"}
OTLP_SPAN = _object({
    "traceId": HEX_TRACE_ID, "spanId": HEX_SPAN_ID, "parentSpanId": HEX_SPAN_ID, "traceState": {"type": "string"},
    "flags": {"type": "integer", "minimum": 1}, "name": {"type": "string"},
    "kind": {"type": "integer", "minimum": 0, "maximum": 5}, "startTimeUnixNano": UINT64_TEXT,
    "endTimeUnixNano": UINT64_TEXT, "attributes": KEY_VALUES, "droppedAttributesCount": COUNT,
    "events": {"type": "array", "items": _object({
        "timeUnixNano": UINT64_TEXT, "name": {"type": "string"}, "attributes": KEY_VALUES,
        "droppedAttributesCount": COUNT}, required=["timeUnixNano", "name", "attributes"])},
    "droppedEventsCount": COUNT,
    "links": {"type": "array", "items": _object({
        "traceId": HEX_LINKED_ID, "spanId": HEX_LINKED_ID, "traceState": {"type": "string"}, "attributes": KEY_VALUES,
        "droppedAttributesCount": COUNT, "flags": {"type": "integer", "minimum": 1}},
        required=["traceId", "spanId", "attributes"])},
    "droppedLinksCount": COUNT,
    "status": _object({"code": {"type": "integer", "minimum": 0, "maximum": 2}, "message": {"type": "string"}},
                      required=["code"]),
}, required=["traceId", "spanId", "name", "kind", "startTimeUnixNano", "endTimeUnixNano", "attributes", "events",
             "links", "status"])
RESOURCE_SPANS = _object({
    "resource": _object({"attributes": KEY_VALUES, "droppedAttributesCount": COUNT}, required=["attributes"]),
    "scopeSpans": {"type": "array", "items": _object({
        "scope": _object({"name": {"type": "string"}, "version": {"type": "string"}, "attributes": KEY_VALUES,
                          "droppedAttributesCount": COUNT}, required=["name", "version", "attributes"]),
        "spans": {"type": "array", "items": OTLP_SPAN},
        "schemaUrl": {"type": "string"}}, required=["scope", "spans"])},
    "schemaUrl": {"type": "string"},
}, required=["resource", "scopeSpans"])
V3_TRACES = _object({"result": _object({"resourceSpans": {"type": "array", "items": RESOURCE_SPANS}})})
V3_ERROR = _object({"error": _object({"httpCode": {"type": "integer"}, "message": {"type": "string"}})})
OPERATION = _object({"name": {"type": "string"},
                     "spanKind": {"enum": ["", "internal", "server", "client", "producer", "consumer"]}})


# --- path items ----------------------------------------------------------------------------------

def _json(description: str, schema: Schema) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, schema: Schema, *, explode: bool | None = None) -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if explode is not None:
        parameter["style"], parameter["explode"] = "form", explode
    return parameter


def _path(name: str, description: str, schema: Schema) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def _get(operation_id: str, summary: str, parameters: list[dict[str, Any]], ok: dict[str, Any],
         failure: Schema, *, not_found: bool = False) -> dict[str, Any]:
    responses = {"200": ok, "400": _json("A bad parameter, named in the message", failure)}
    if not_found:
        responses["404"] = _json("No such trace for this tenant", failure)
    responses["500"] = _json("The store failed the query, or an unexpected error (its message names an incident)",
                             failure)
    responses["503"] = _json("The store is unavailable", failure)
    return {"get": {"operationId": operation_id, "summary": summary, "tags": ["jaeger"],
                    "parameters": parameters, "responses": responses}}


PRETTY = _query("prettyPrint", "Indent the JSON unless empty or `false`", {"type": "string"})
TRACE_ID_TEXT: Schema = {"type": "string", "pattern": "^[0-9a-fA-F]{1,32}$"}
MICROS: Schema = {"type": "integer", "minimum": 0}
TEXT: Schema = {"type": "string", "maxLength": 1024}
DURATION: Schema = {"type": "string", "pattern": GO_DURATION}
LIMIT: Schema = {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
SPAN_KIND: Schema = {"enum": ["", "internal", "server", "client", "producer", "consumer", "unspecified"]}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}


def _v3_alias(camel: str, snake: str, description: str, schema: Schema) -> list[dict[str, Any]]:
    return [_query(camel, description, schema), _query(snake, f"Old spelling of `{camel}`", schema)]


OPENAPI: dict[str, Any] = {
    "/jaeger/api/services": _get(
        "jaegerServices", "Jaeger v1: service names of the last 7 days", [PRETTY],
        _json("Service names", _v1_envelope(STRINGS)), V1_FAILURE),
    "/jaeger/api/services/{service}/operations": _get(
        "jaegerServiceOperations", "Jaeger v1: operation names of a service (the last 7 days)",
        [_path("service", "Service name (no control characters: a URL path cannot carry them)",
               {"type": "string", "pattern": "^[^\\x00-\\x1f\\x7f]+$"}), PRETTY],
        _json("Operation names", _v1_envelope(STRINGS)), V1_FAILURE),
    "/jaeger/api/operations": _get(
        "jaegerOperations", "Jaeger v1: operations of a service with their span kinds (the last 7 days)",
        [{**_query("service", "Service name", TEXT), "required": True},
         _query("spanKind", "Only operations of this span kind", SPAN_KIND), PRETTY],
        _json("Operations", _v1_envelope({"type": "array", "items": OPERATION})), V1_FAILURE),
    "/jaeger/api/traces": _get(
        "jaegerSearchTraces", "Jaeger v1: search traces (required: service, unless traceID is given)",
        [_query("service", "Service of a matching span", TEXT),
         _query("operation", "Operation (span name) of a matching span", TEXT),
         _query("tags", 'JSON object of tag values a matching span has, e.g. {"error":"true"}', {"type": "string"}),
         _query("tag", "A tag value a matching span has, as key:value (repeatable)", STRINGS, explode=True),
         _query("start", "Start of the time range, Unix microseconds (default: end - lookback)", MICROS),
         _query("end", "End of the time range, Unix microseconds (default: now)", MICROS),
         _query("lookback", "Range before end when start is absent: 1h, 2d, a Go duration, or custom",
                {"type": "string"}),
         _query("minDuration", "Minimum duration of a matching span (Go duration: 1.2s, 100ms)", DURATION),
         _query("maxDuration", "Maximum duration of a matching span (Go duration)", DURATION),
         _query("limit", "Most traces to return", LIMIT),
         _query("traceID", "Return these traces instead of searching (repeatable)",
                {"type": "array", "items": TRACE_ID_TEXT}, explode=True),
         PRETTY],
        _json("Traces, most recent first; traceID lookups report missing ids in errors",
              _v1_envelope({"type": "array", "items": V1_TRACE})), V1_FAILURE),
    "/jaeger/api/traces/{traceID}": _get(
        "jaegerGetTrace", "Jaeger v1: one trace",
        [_path("traceID", "Trace id, 1 to 32 hex characters", TRACE_ID_TEXT),
         _query("start", "Accepted for compatibility (Unix microseconds); not needed", MICROS),
         _query("end", "Accepted for compatibility (Unix microseconds); not needed", MICROS),
         _query("raw", "Accepted for compatibility; traces are never adjusted", {"type": "string"}), PRETTY],
        _json("The trace", _v1_envelope({"type": "array", "items": V1_TRACE, "minItems": 1, "maxItems": 1})),
        V1_FAILURE, not_found=True),
    "/jaeger/api/v3/services": _get(
        "jaegerV3Services", "Jaeger v3: service names of the last 7 days", [],
        _json("Service names", _object({"services": STRINGS})), V3_ERROR),
    "/jaeger/api/v3/operations": _get(
        "jaegerV3Operations", "Jaeger v3: operations with their span kinds (the last 7 days)",
        [_query("service", "Service name (default: every service)", TEXT),
         *_v3_alias("spanKind", "span_kind", "Only operations of this span kind", SPAN_KIND)],
        _json("Operations", _object({"operations": {"type": "array", "items": OPERATION}})), V3_ERROR),
    "/jaeger/api/v3/traces": _get(
        "jaegerV3SearchTraces", "Jaeger v3: search traces, as OTLP JSON",
        [*_v3_alias("query.serviceName", "query.service_name", "Service of a matching span", TEXT),
         *_v3_alias("query.operationName", "query.operation_name", "Span name of a matching span", TEXT),
         _query("query.attributes", 'JSON object of attribute values a matching span has, e.g. {"error":"true"}',
                {"type": "string"}),
         *_v3_alias("query.startTimeMin", "query.start_time_min", "Start of the range (default: max - 1h)", DATE_TIME),
         *_v3_alias("query.startTimeMax", "query.start_time_max", "End of the range (default: now)", DATE_TIME),
         *_v3_alias("query.durationMin", "query.duration_min", "Minimum duration of a matching span", DURATION),
         *_v3_alias("query.durationMax", "query.duration_max", "Maximum duration of a matching span", DURATION),
         *_v3_alias("query.searchDepth", "query.search_depth", "Most traces to return", LIMIT),
         _query("query.num_traces", "Old name of `query.searchDepth`", LIMIT),
         *_v3_alias("query.rawTraces", "query.raw_traces", "Accepted; traces are never adjusted", {"type": "boolean"})],
        _json("Traces, most recent first (none: an empty list)", V3_TRACES), V3_ERROR),
    "/jaeger/api/v3/traces/{trace_id}": _get(
        "jaegerV3GetTrace", "Jaeger v3: one trace, as OTLP JSON",
        [_path("trace_id", "Trace id, 1 to 32 hex characters", TRACE_ID_TEXT),
         *_v3_alias("startTime", "start_time", "Accepted; not needed", DATE_TIME),
         *_v3_alias("endTime", "end_time", "Accepted; not needed", DATE_TIME),
         *_v3_alias("rawTraces", "raw_traces", "Accepted; traces are never adjusted", {"type": "boolean"})],
        _json("The trace", V3_TRACES), V3_ERROR, not_found=True),
}
