"""The OpenAPI 3.1 document of the query API, served at `/openapi.json`.

Each route module describes its own paths next to its handlers (an `OPENAPI` dict of path
items); this module holds the shared parts (errors, security, the core routes) and assembles
them. A test runs schemathesis against the served document, so a path described wrongly, or a
response that breaks its schema, fails the build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from spanhouse import __version__
from spanhouse.query.schemas import query_parameter

JSON = "application/json"

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "parameter": {"type": "string", "description": "the query parameter at fault"},
            "clickhouse": {"type": "object", "description": "ClickHouse's error code and name"},
        },
    }},
}


def error_responses(*statuses: int) -> dict[str, Any]:
    """Response objects for the given error statuses, all with the shared error body."""
    meaning = {400: "a parameter is invalid (named in the body)", 401: "missing or unknown API key",
               403: "the API key lacks the role", 404: "not found", 413: "request body too large",
               415: "unsupported media type", 429: "busy: retry after Retry-After",
               500: "the store failed, or an unexpected error (its message names an incident)",
               503: "the store is unreachable", 504: "the query ran out of time"}
    return {str(status): {"description": meaning[status],
                          "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for status in statuses}


def ok(schema: Mapping[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"200": {"description": description, "content": {JSON: {"schema": dict(schema)}}}}


_SPAN: dict[str, Any] = {
    "type": "object",
    "required": ["span_id", "parent_span_id", "name", "kind", "service", "start_time", "start_offset_ms",
                 "duration_ms", "status", "error", "ai", "attributes", "resource", "events", "links", "depth",
                 "children", "orphan"],
    "properties": {
        "span_id": {"type": "string"}, "parent_span_id": {"type": ["string", "null"]},
        "name": {"type": "string"}, "kind": {"type": "string"}, "service": {"type": "string"},
        "start_time": {"type": "string"}, "start_offset_ms": {"type": "number"}, "duration_ms": {"type": "number"},
        "status": {"type": "object"}, "error": {"type": "boolean"}, "ai": {"type": ["object", "null"]},
        "attributes": {"type": "object"}, "resource": {"type": "object"},
        "events": {"type": "array"}, "links": {"type": "array"}, "depth": {"type": "integer"},
        "children": {"type": "array", "items": {"type": "string"}}, "orphan": {"type": "boolean"},
    },
}

TIMELINE: dict[str, Any] = {
    "type": "object",
    "required": ["trace_id", "start_time", "duration_ms", "span_count", "error_count", "services",
                 "root_span_ids", "orphan_count", "truncated", "spans"],
    "properties": {
        "trace_id": {"type": "string"}, "thread_id": {"type": ["string", "null"]},
        "user_id": {"type": ["string", "null"]}, "agent_name": {"type": ["string", "null"]},
        "start_time": {"type": "string"}, "duration_ms": {"type": "number"},
        "span_count": {"type": "integer"}, "error_count": {"type": "integer"},
        "services": {"type": "array", "items": {"type": "string"}},
        "root_span_ids": {"type": "array", "items": {"type": "string"}},
        "orphan_count": {"type": "integer"}, "truncated": {"type": "boolean"},
        "spans": {"type": "array", "items": {"$ref": "#/components/schemas/Span"}},
    },
}

CORE_PATHS: dict[str, Any] = {
    # /api/v1/traces/{trace_id} (the timeline) is described by search.py beside the other trace routes
    "/healthz": {"get": {
        "summary": "Whether the store answers and the schema is in place (no API key needed)",
        "operationId": "health",
        "security": [],
        "responses": {
            **ok({"type": "object", "required": ["status", "store"],
                  "properties": {"status": {"const": "ok"}, "store": {"type": "string"}, "not_yet_queryable": {
                      "type": "object", "description": "Acknowledged (or being inserted) and not yet in ClickHouse, "
                                                       "by kind: how far queries lag behind ingest",
                      "additionalProperties": {"type": "integer", "minimum": 0}}}}),
            "503": {"description": "store unreachable or schema missing", "content": {JSON: {"schema": {
                "type": "object", "required": ["status", "store"],
                "properties": {"status": {"const": "unavailable"}, "store": {"type": "string"}}}}}},
        },
    }},
    "/api/v1/sql": {"post": {
        "summary": "Ad-hoc read-only ClickHouse SQL over every tenant's data (admin key)",
        "description": "The query's {name:Type} placeholders get the values of `params`, or of `param_<name>` "
                       "fields in the URL (with either body), bound by ClickHouse as data of the placeholder's "
                       "type. A string is taken as written (ClickHouse's text for the type: "
                       "'2025-11-22 00:00:00', \"['a','b']\" for an Array); numbers, booleans, null and arrays "
                       "become ClickHouse literals. A placeholder without a value is 400 missing_parameter.",
        "operationId": "runSql",
        # param_<name> fields are open-ended, so only the two fixed ones are listed
        "parameters": [
            query_parameter("format", {"enum": ["json", "csv", "tsv"]},
                            "Response format, with either body (not also in a JSON body). Default json."),
            query_parameter("max_rows", {"type": "integer", "minimum": 1},
                            "At most this many rows (capped by the server's limit), with either body (not also "
                            "in a JSON body)."),
        ],
        "requestBody": {"required": True, "content": {
            JSON: {"schema": {"type": "object", "required": ["query"], "properties": {
                "query": {"type": "string", "minLength": 1}, "format": {"enum": ["json", "csv", "tsv"]},
                "max_rows": {"type": "integer", "minimum": 1},
                "params": {"type": "object", "propertyNames": {"pattern": "^[A-Za-z0-9_]{1,128}$"},
                           "additionalProperties": {"type": ["string", "number", "boolean", "null", "array"]}}},
                "additionalProperties": False}},
            "text/plain": {"schema": {"type": "string", "minLength": 1}},
        }},
        "responses": {
            "200": {"description": "the result", "content": {
                JSON: {"schema": {"type": "object", "required": ["columns", "rows", "row_count", "truncated"],
                                  "properties": {"columns": {"type": "array"}, "rows": {"type": "array"},
                                                 "row_count": {"type": "integer"},
                                                 "truncated": {"type": "boolean"}}}},
                "text/csv": {"schema": {"type": "string"}},
                "text/tab-separated-values": {"schema": {"type": "string"}}}},
            **error_responses(400, 401, 403, 413, 415, 429, 500, 503, 504),
        },
    }},
}


def document(modules: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The whole OpenAPI document: the core paths plus every route module's `OPENAPI`."""
    paths: dict[str, Any] = dict(CORE_PATHS)
    for described in modules:
        for path, item in described.items():
            if path in paths:
                raise ValueError(f"two route modules describe {path}")
            paths[path] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "spanhouse query API", "version": __version__,
                 "description": "Trace and thread timelines, search, metrics and costs of AI applications' "
                                "OpenTelemetry traces. Every answer is scoped to the API key's tenant."},
        "security": [{"bearer": []}, {"apiKey": []}, {}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
            "schemas": {"Error": ERROR, "Timeline": TIMELINE, "Span": _SPAN},
        },
    }
