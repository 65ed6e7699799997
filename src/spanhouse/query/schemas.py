"""JSON Schema pieces for the OpenAPI descriptions of the trace and thread endpoints.

Schemas are inlined (no `$ref`), so each module's `OPENAPI` path items stand alone when the
documents of several modules are assembled. Objects list every property as required and allow no
others: tests validate real answers against these schemas, so a field added to an answer and
not here (or the reverse) fails them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
NUMBER: Schema = {"type": "number"}
NULLABLE_NUMBER: Schema = {"type": ["number", "null"]}
COUNT: Schema = {"type": "integer", "minimum": 0}
NULLABLE_COUNT: Schema = {"type": ["integer", "null"], "minimum": 0}
BOOLEAN: Schema = {"type": "boolean"}
NULLABLE_BOOLEAN: Schema = {"type": ["boolean", "null"]}
TIME: Schema = {"type": "string", "format": "date-time"}
ANY: Schema = {}
TRACE_ID: Schema = {"type": "string", "pattern": "^[0-9a-f]{32}$"}
TRACE_ID_PARAMETER: Schema = {"type": "string", "pattern": "^[0-9a-fA-F]{32}$"}
STRING_MAP: Schema = {"type": "object", "additionalProperties": {"type": "string"}}


def obj(properties: Mapping[str, Schema], *, nullable: bool = False) -> Schema:
    """An object with exactly these properties, all required."""
    return {"type": ["object", "null"] if nullable else "object", "properties": dict(properties),
            "required": list(properties), "additionalProperties": False}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


ERROR: Schema = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"],
                             "properties": {"code": STRING, "message": STRING, "parameter": STRING}}},
}


def json_response(description: str, schema: Schema) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR_RESPONSES: dict[str, Schema] = {
    "400": json_response("A bad parameter, named in error.parameter", ERROR),
    "500": json_response("The store failed the query, or an unexpected error (its message names an incident)", ERROR),
    "503": json_response("The store cannot be reached", ERROR),
}


def query_parameter(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_TIME_FORMS = "RFC 3339 (2026-11-22T10:00:00Z), Unix seconds/ms/ns, `now`, or relative (-15m, -1h, -7d)"


def time_range_parameters(what: str, default: str, maximum: str) -> list[Schema]:
    return [
        query_parameter("start", STRING, f"Earliest {what} (included); {_TIME_FORMS}. Default: end {default}. "
                                         f"At most {maximum} before end. Ignored with a cursor."),
        query_parameter("end", STRING, f"Latest {what} (excluded); same forms. Default: now. Ignored with a cursor."),
    ]


def page_parameters(sorts: Iterable[str], default_sort: str, default_limit: int, max_limit: int) -> list[Schema]:
    return [
        query_parameter("sort", {"type": "string", "enum": list(sorts), "default": default_sort}, "Sort key."),
        query_parameter("order", {"type": "string", "enum": ["asc", "desc"], "default": "desc"}, "Sort order."),
        query_parameter("limit", {"type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit},
                        "Rows per page."),
        query_parameter("cursor", STRING, "next_cursor of the previous page, with the same filters, sort and "
                                          "order; it keeps the first page's time range."),
    ]


_AI: Schema = obj({
    "category": STRING, "operation": STRING, "provider": STRING, "request_model": STRING, "response_model": STRING,
    "tokens": obj({name: NULLABLE_COUNT for name in
                   ("input", "output", "total", "cache_read", "cache_write", "reasoning")}),
    "cost_usd": obj({"input": NULLABLE_NUMBER, "output": NULLABLE_NUMBER, "total": NULLABLE_NUMBER,
                     "source": STRING}),
    "thread_id": STRING, "user_id": STRING, "agent": obj({"name": STRING, "id": STRING}),
    "tool": obj({"name": STRING, "call_id": STRING, "arguments": STRING, "result": STRING}),
    "retrieval": obj({"query": STRING, "document_count": NULLABLE_COUNT}),
    "finish_reasons": array(STRING), "error_type": STRING, "error_message": STRING,
    "request": obj({"temperature": NULLABLE_NUMBER, "max_tokens": NULLABLE_COUNT, "streaming": NULLABLE_BOOLEAN}),
    "response_id": STRING, "framework": STRING, "time_to_first_token_ms": NULLABLE_NUMBER,
    "messages": obj({"input": array(ANY), "output": array(ANY),
                     "source": {"type": ["string", "null"], "enum": ["span", "logs", None]}}),
    "conventions": array(STRING),
}, nullable=True)

SPAN: Schema = obj({
    "span_id": STRING, "parent_span_id": NULLABLE_STRING, "name": STRING, "kind": STRING, "service": STRING,
    "scope": obj({"name": STRING, "version": STRING}),
    "start_time": TIME, "start_offset_ms": NUMBER, "duration_ms": NUMBER,
    "self_time_ms": {"type": "number", "minimum": 0},
    "critical_path": BOOLEAN, "critical_path_ms": {"type": "number", "minimum": 0},
    "status": obj({"code": STRING, "message": STRING}),
    "error": BOOLEAN, "error_type": NULLABLE_STRING, "error_message": NULLABLE_STRING,
    "trace_state": STRING, "ai": _AI,
    "attributes": {"type": "object"}, "resource": {"type": "object"},
    "events": array(obj({"time": TIME, "offset_ms": NUMBER, "name": STRING, "attributes": STRING_MAP})),
    "links": array(obj({"trace_id": STRING, "span_id": STRING, "attributes": STRING_MAP})),
    "orphan": BOOLEAN, "depth": COUNT, "children": array(STRING),
})

TOTALS: Schema = obj({
    "spans": COUNT, "llm_calls": COUNT, "tool_calls": COUNT, "retrieval_calls": COUNT, "embedding_calls": COUNT,
    "input_tokens": COUNT, "output_tokens": COUNT, "total_tokens": COUNT, "cost_usd": NUMBER, "errors": COUNT,
    "wall_time_ms": NUMBER,
})

_TIMELINE_PROPERTIES: dict[str, Schema] = {
    "trace_id": TRACE_ID, "thread_id": NULLABLE_STRING, "user_id": NULLABLE_STRING, "agent_name": NULLABLE_STRING,
    "start_time": TIME, "duration_ms": NUMBER, "span_count": COUNT, "error_count": COUNT,
    "services": array(STRING), "root_span_ids": array(STRING), "orphan_count": COUNT, "truncated": BOOLEAN,
    "totals": TOTALS, "critical_path_gaps_ms": {"type": "number", "minimum": 0},
    "error_spans": array(obj({"span_id": STRING, "name": STRING, "service": STRING, "type": NULLABLE_STRING,
                              "message": NULLABLE_STRING})),
    "spans": array(SPAN),
}

THREAD: Schema = obj({
    "thread_id": STRING, "first_seen": TIME, "last_seen": TIME, "duration_ms": COUNT, "traces": COUNT,
    "spans": COUNT, "llm_calls": COUNT, "tool_calls": COUNT, "retrieval_calls": COUNT, "embedding_calls": COUNT,
    "input_tokens": COUNT, "output_tokens": COUNT, "total_tokens": COUNT, "total_cost": NUMBER,
    "error_count": COUNT, "success_count": COUNT, "latest_status": STRING, "latest_model": NULLABLE_STRING,
    "agent_name": NULLABLE_STRING, "user_id": NULLABLE_STRING, "avg_llm_latency_ms": NULLABLE_NUMBER,
    "avg_tool_latency_ms": NULLABLE_NUMBER,
})

TRACE_TIMELINE_WITH_THREAD: Schema = obj({**_TIMELINE_PROPERTIES, "thread": {**THREAD, "type": ["object", "null"]}})

TURN: Schema = obj({**_TIMELINE_PROPERTIES, "turn": {"type": "integer", "minimum": 1}})
