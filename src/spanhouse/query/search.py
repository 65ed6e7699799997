"""GET /api/v1/traces: trace search, one row per trace.

A trace is in the time range when its first span starts in [`start`, `end`) (default the last
hour, at most 31 days). Its row carries totals over all its spans, also those after `end`. What a
filter means:
  * `service`, `model`, `category`, `attr.<key>=<value>` (repeatable, span attributes, values
    as stored: numbers in decimal, booleans `true` / `false`): the trace has a span that matches.
    Each filter may be matched by a different span (`model=gpt-4o&category=TOOL` finds traces
    that called gpt-4o and called a tool). `model` matches the requested or the answering model.
  * `thread`, `user`, `agent`: the trace's own, resolved over all its spans as `trace_rollup`
    resolves them (the thread and user any span names, the agent of the earliest span naming
    one: the outer agent), so a trace whose root alone names the thread is found by it.
  * `status=error`: some span of the trace failed; `status=ok`: none did.
  * `min_duration_ms` (wall time, first start to last end), `min_tokens` (total tokens),
    `min_cost` (USD, known costs): at least that much.
Rows are sorted by `sort` (start, duration, tokens or cost) and `order`, ties by trace id, and
paged by an opaque `cursor` (see `listing.py`).

This module also holds the OpenAPI description of the trace timeline, `GET /api/v1/traces/{id}`,
which api.py routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from spanhouse.normalise.fields import CATEGORIES
from spanhouse.query import schemas
from spanhouse.query.listing import page, strict_params
from spanhouse.query.params import NS_PER_S, ParamError, choice, integer, number, text
from spanhouse.query.reader import Reader, Row
from spanhouse.query.responses import JSONResponse, amount, count
from spanhouse.query.timeline import rfc3339_ns

TenantResolver = Callable[[Request], str]

SORTS = ("start", "duration", "tokens", "cost")
DEFAULT_WINDOW_NS = 3600 * NS_PER_S
MAX_WINDOW_NS = 31 * 86_400 * NS_PER_S
DEFAULT_LIMIT, MAX_LIMIT = 50, 1000
MAX_ATTRIBUTES = 20
ATTR_PREFIX = "attr."
TEXT_FILTERS = ("service", "agent", "model", "user", "thread")
PARAMETERS = frozenset({"start", "end", *TEXT_FILTERS, "category", "status", "min_duration_ms", "min_tokens",
                        "min_cost", "sort", "order", "limit", "cursor"})


def filters_of(params: dict[str, str], attributes: list[tuple[str, str]]) -> dict[str, Any]:
    """The search's filters, validated: neutral values for those not given."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise ParamError(ATTR_PREFIX + "*", f"at most {MAX_ATTRIBUTES} attribute filters")
    for key, value in attributes:
        if not key:
            raise ParamError(ATTR_PREFIX, "an attribute filter needs a key: attr.<key>=<value>")
        if len(key) > 256 or len(value) > 1024:
            raise ParamError(ATTR_PREFIX + key[:40], "attribute key or value too long")
    min_duration_ms = number(params, "min_duration_ms", 0.0, minimum=0, maximum=10**12)
    min_tokens = integer(params, "min_tokens", 0, minimum=0, maximum=2**63 - 1)
    min_cost = number(params, "min_cost", 0.0, minimum=0, maximum=10**12)
    assert min_duration_ms is not None and min_tokens is not None and min_cost is not None
    return {
        **{name: text(params, name, max_length=1024) or "" for name in TEXT_FILTERS},
        "category": (choice(params, "category", sorted(CATEGORIES)) or ""),
        "status": choice(params, "status", ("error", "ok")) or "",
        "min_duration_ns": int(min_duration_ms * 1_000_000),
        "min_tokens": min_tokens,
        "min_cost": float(min_cost),
        "attr_keys": [key for key, _ in attributes],
        "attr_values": [value for _, value in attributes],
    }


def trace_row(row: Row) -> dict[str, Any]:
    """A row of sql/trace_details.sql as the API shows it."""
    root_span_id, root_name, root_service = row["root"]
    return {
        "trace_id": row["trace_id"],
        "root_span": {"span_id": root_span_id, "name": root_name, "service": root_service},
        "start_time": rfc3339_ns(row["start_ns"]),
        "end_time": rfc3339_ns(row["end_ns"]),
        "duration_ms": round((row["end_ns"] - row["start_ns"]) / 1e6, 6),
        "span_count": row["span_count"],
        "llm_calls": row["llm_calls"],
        "tool_calls": row["tool_calls"],
        "retrieval_calls": row["retrieval_calls"],
        "embedding_calls": row["embedding_calls"],
        "input_tokens": count(row["input_tokens"]),
        "output_tokens": count(row["output_tokens"]),
        "total_tokens": count(row["total_tokens"]),
        "cost_usd": amount(row["cost_usd"]),
        "error_count": row["error_count"],
        "thread_id": row["thread_id"] or None,
        "user_id": row["user_id"] or None,
        "agent_name": row["agent_name"] or None,
    }


def routes(reader: Reader, tenant_of: TenantResolver) -> list[BaseRoute]:
    """GET /api/v1/traces.

    Args:
        reader: runs sql/search_traces.sql, then sql/trace_details.sql for the page.
        tenant_of: the tenant whose traces a request may see.
    """
    async def search_traces(request: Request) -> Response:
        params, attributes = strict_params(request.query_params.multi_items(), PARAMETERS, prefix=ATTR_PREFIX)
        filters = filters_of(params, attributes)
        listing = page(params, "traces", filters, sorts=SORTS, default_sort="start", default_limit=DEFAULT_LIMIT,
                       max_limit=MAX_LIMIT, default_window_ns=DEFAULT_WINDOW_NS, max_window_ns=MAX_WINDOW_NS)
        assert listing.window is not None
        rows = await reader.rows("search_traces", {
            "tenant": tenant_of(request), "start_ns": listing.window.start_ns, "end_ns": listing.window.end_ns,
            **filters, **listing.sql_parameters()})
        more = len(rows) > listing.limit
        rows = rows[:listing.limit]
        details = {row["trace_id"]: row for row in await reader.rows("trace_details", {
            "tenant": tenant_of(request), "trace_ids": [row["trace_id"] for row in rows],
            "start_ns": min(row["start_ns"] for row in rows), "end_ns": max(row["end_ns"] for row in rows),
        })} if rows else {}
        return JSONResponse({
            # a trace whose spans retention dropped between the two reads is left out
            "traces": [trace_row(details[row["trace_id"]]) for row in rows if row["trace_id"] in details],
            "next_cursor": listing.next_cursor("traces", rows[-1]["sort_key"], rows[-1]["trace_id"]) if more else None,
            "start": rfc3339_ns(listing.window.start_ns),
            "end": rfc3339_ns(listing.window.end_ns),
            "sort": listing.sort,
            "order": "desc" if listing.descending else "asc",
        })

    return [Route("/api/v1/traces", search_traces, methods=["GET"])]


_TRACE_ROW = schemas.obj({
    "trace_id": schemas.TRACE_ID,
    "root_span": schemas.obj({"span_id": schemas.STRING, "name": schemas.STRING, "service": schemas.STRING}),
    "start_time": schemas.TIME, "end_time": schemas.TIME, "duration_ms": schemas.NUMBER,
    "span_count": schemas.COUNT, "llm_calls": schemas.COUNT, "tool_calls": schemas.COUNT,
    "retrieval_calls": schemas.COUNT, "embedding_calls": schemas.COUNT, "input_tokens": schemas.COUNT,
    "output_tokens": schemas.COUNT, "total_tokens": schemas.COUNT, "cost_usd": schemas.NUMBER,
    "error_count": schemas.COUNT, "thread_id": schemas.NULLABLE_STRING, "user_id": schemas.NULLABLE_STRING,
    "agent_name": schemas.NULLABLE_STRING,
})

OPENAPI: dict[str, Any] = {
    "/api/v1/traces": {"get": {
        "summary": "Search traces",
        "description": "Traces whose first span starts in [start, end), one row each with its totals. "
                       "Besides the parameters listed, `attr.<key>=<value>` (repeatable, at most 20) keeps "
                       "traces with a span whose attribute <key> equals <value>. Span filters (service, "
                       "model, category, attr.*) may each be matched by a different span of the trace.",
        "operationId": "searchTraces",
        "parameters": [
            *schemas.time_range_parameters("first span start", "-1h", "31 days"),
            schemas.query_parameter("service", schemas.STRING, "Some span of the trace is from this service."),
            schemas.query_parameter("agent", schemas.STRING, "The trace's outer agent."),
            schemas.query_parameter("model", schemas.STRING, "Some span requested or was answered by this model."),
            schemas.query_parameter("category", {"type": "string", "enum": sorted(CATEGORIES)},
                                    "Some span has this AI category."),
            schemas.query_parameter("status", {"type": "string", "enum": ["error", "ok"]},
                                    "error: some span failed; ok: none did."),
            schemas.query_parameter("min_duration_ms", {"type": "number", "minimum": 0, "maximum": 10**12},
                                    "Wall time at least this long."),
            schemas.query_parameter("min_tokens", {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
                                    "At least this many total tokens."),
            schemas.query_parameter("min_cost", {"type": "number", "minimum": 0, "maximum": 10**12},
                                    "At least this cost in USD."),
            schemas.query_parameter("user", schemas.STRING, "The trace's end user."),
            schemas.query_parameter("thread", schemas.STRING, "The thread (conversation) the trace belongs to."),
            *schemas.page_parameters(SORTS, "start", DEFAULT_LIMIT, MAX_LIMIT),
        ],
        "responses": {
            "200": schemas.json_response("A page of traces", schemas.obj({
                "traces": {"type": "array", "items": _TRACE_ROW},
                "next_cursor": schemas.NULLABLE_STRING,
                "start": schemas.TIME, "end": schemas.TIME,
                "sort": {"type": "string", "enum": list(SORTS)}, "order": {"type": "string", "enum": ["asc", "desc"]},
            })),
            **schemas.ERROR_RESPONSES,
        },
    }},
    "/api/v1/traces/{trace_id}": {"get": {
        "summary": "A trace's timeline",
        "description": "Every span of the trace, depth first, with self time, critical path, AI fields and "
                       "errors; the trace's totals and the thread it belongs to.",
        "operationId": "getTrace",
        "parameters": [{"name": "trace_id", "in": "path", "required": True, "schema": schemas.TRACE_ID_PARAMETER}],
        "responses": {
            "200": schemas.json_response("The trace timeline", schemas.TRACE_TIMELINE_WITH_THREAD),
            "404": schemas.json_response("No such trace", schemas.ERROR),
            **schemas.ERROR_RESPONSES,
        },
    }},
}
