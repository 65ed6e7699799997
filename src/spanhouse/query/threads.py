"""GET /api/v1/threads and GET /api/v1/threads/{thread_id}: conversations.

The list holds the threads whose last activity (the latest span end of any of their turns) falls
in [`start`, `end`) (default the last 24 hours, at most 31 days); each row is the thread's
`thread_activity` row, totals over all its turns, also those before the window. Filters apply
to those totals: `agent` (the thread's outer agent), `user`, `model` (the model of the thread's
latest LLM call, the `latest_model` column), `min_duration_ms` (first span start to last span
end), `min_tokens`, `min_cost`, `has_errors` (true: some span failed; false: none did). Sorted by
`sort` (last_seen, duration, tokens, cost, errors) and `order`, ties by thread id; paged by an
opaque cursor (`listing.py`). How it is computed, and why not from the view, is in
`sql/threads.sql`.

One thread: its summary (the same row) and its timeline: every turn (trace) in start order, each
a trace timeline document (`timeline.py`) with the prompts and completions re-inflated, and
`turn`, its position in the thread. A page holds at most `limit` turns and MAX_THREAD_SPANS spans
(whole turns, but a single turn longer than that is cut and marked `truncated`); `next_cursor`
continues with the next turn. 404 for a thread no trace of the tenant belongs to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from spanhouse.query import schemas
from spanhouse.query.listing import page, strict_params
from spanhouse.query.params import NS_PER_S, ParamError, choice, integer, number, text
from spanhouse.query.reader import Reader, Row
from spanhouse.query.responses import JSONResponse, amount, count
from spanhouse.query.thread_totals import thread_row
from spanhouse.query.timeline import rfc3339_ns, rollup_totals
from spanhouse.query.trace_docs import load_timelines

TenantResolver = Callable[[Request], str]

SORTS = ("last_seen", "duration", "tokens", "cost", "errors")
DEFAULT_WINDOW_NS = 86_400 * NS_PER_S
MAX_WINDOW_NS = 31 * 86_400 * NS_PER_S
DEFAULT_LIMIT, MAX_LIMIT = 50, 1000
DEFAULT_TURNS, MAX_TURNS = 20, 100
MAX_THREAD_SPANS = 20_000
MAX_THREAD_ID = 1024
LIST_PARAMETERS = frozenset({"start", "end", "agent", "user", "model", "min_duration_ms", "min_tokens", "min_cost",
                             "has_errors", "sort", "order", "limit", "cursor"})
THREAD_PARAMETERS = frozenset({"limit", "cursor"})


def thread_json(row: Row) -> dict[str, Any]:
    """A row of sql/threads.sql as the API shows it."""
    return {
        "thread_id": row["thread_id"],
        "first_seen": rfc3339_ns(row["first_seen_ns"]),
        "last_seen": rfc3339_ns(row["last_seen_ns"]),
        **{name: row[name] for name in (
            "duration_ms", "traces", "spans", "llm_calls", "tool_calls", "retrieval_calls", "embedding_calls")},
        **{name: count(row[name]) for name in ("input_tokens", "output_tokens", "total_tokens")},
        "total_cost": amount(row["total_cost"]),
        **{name: row[name] for name in ("error_count", "success_count", "latest_status")},
        "latest_model": row["latest_model"] or None,
        "agent_name": row["agent_name"] or None,
        "user_id": row["user_id"] or None,
        "avg_llm_latency_ms": row["avg_llm_latency_ms"],
        "avg_tool_latency_ms": row["avg_tool_latency_ms"],
    }


async def thread_summary(reader: Reader, tenant: str, thread_id: str) -> dict[str, Any] | None:
    """The thread's thread_activity row as JSON, None when no trace of the tenant belongs to it."""
    row = thread_row(thread_id, await reader.rows("thread_rollup_rows", {"tenant": tenant, "thread_id": thread_id}))
    return thread_json(row) if row is not None else None


def list_filters(params: dict[str, str]) -> dict[str, Any]:
    min_duration_ms = number(params, "min_duration_ms", 0.0, minimum=0, maximum=10**12)
    min_cost = number(params, "min_cost", 0.0, minimum=0, maximum=10**12)
    return {
        "agent": text(params, "agent") or "", "user": text(params, "user") or "",
        "model": text(params, "model") or "",
        "min_duration_ms": float(min_duration_ms or 0.0),
        "min_tokens": integer(params, "min_tokens", 0, minimum=0, maximum=2**63 - 1),
        "min_cost": float(min_cost or 0.0),
        "has_errors": choice(params, "has_errors", ("true", "false")) or "",
    }


def _expired_turn(row: Row) -> dict[str, Any]:
    """A turn trace_rollup still counts but whose spans retention removed: its totals, no spans."""
    return {
        "trace_id": row["trace_id"], "thread_id": None, "user_id": None, "agent_name": None,
        "start_time": rfc3339_ns(row["start_ns"]), "duration_ms": round((row["end_ns"] - row["start_ns"]) / 1e6, 6),
        "span_count": 0, "error_count": 0, "services": [], "root_span_ids": [], "orphan_count": 0,
        "truncated": True, "totals": rollup_totals(row), "critical_path_gaps_ms": 0.0, "error_spans": [],
        "spans": [],
    }


def routes(reader: Reader, tenant_of: TenantResolver) -> list[BaseRoute]:
    """GET /api/v1/threads and GET /api/v1/threads/{thread_id}.

    Args:
        reader: runs sql/threads.sql, sql/thread_turns.sql and the trace timeline's queries.
        tenant_of: the tenant whose threads a request may see.
    """
    async def list_threads(request: Request) -> Response:
        params, _ = strict_params(request.query_params.multi_items(), LIST_PARAMETERS)
        filters = list_filters(params)
        listing = page(params, "threads", filters, sorts=SORTS, default_sort="last_seen",
                       default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT, default_window_ns=DEFAULT_WINDOW_NS,
                       max_window_ns=MAX_WINDOW_NS)
        assert listing.window is not None
        rows = await reader.rows("threads", {
            "tenant": tenant_of(request), "start_ns": listing.window.start_ns,
            "end_ns": listing.window.end_ns, **filters, **listing.sql_parameters()})
        more = len(rows) > listing.limit
        rows = rows[:listing.limit]
        last = rows[-1] if more else None
        return JSONResponse({
            "threads": [thread_json(row) for row in rows],
            "next_cursor": listing.next_cursor("threads", last["sort_key"], last["thread_id"]) if last else None,
            "start": rfc3339_ns(listing.window.start_ns),
            "end": rfc3339_ns(listing.window.end_ns),
            "sort": listing.sort,
            "order": "desc" if listing.descending else "asc",
        })

    async def get_thread(request: Request) -> Response:
        thread_id = request.path_params["thread_id"]
        if len(thread_id) > MAX_THREAD_ID:
            raise ParamError("thread_id", f"longer than {MAX_THREAD_ID} characters")
        params, _ = strict_params(request.query_params.multi_items(), THREAD_PARAMETERS)
        listing = page(params, "turns", {"thread": thread_id}, sorts=("start",), default_sort="start",
                       default_order="asc", default_limit=DEFAULT_TURNS, max_limit=MAX_TURNS)
        before = listing.extra.get("n", 0)
        if type(before) is not int or not 0 <= before < 2**53:
            raise ParamError("cursor", "not a cursor this API returned")
        tenant = tenant_of(request)
        if not thread_id:  # an empty id would ask sql/threads.sql for the list
            return thread_not_found(thread_id)
        # Independent reads, side by side on the reader's clients.
        summary, turns = await asyncio.gather(
            thread_summary(reader, tenant, thread_id),
            reader.rows("thread_turns", {
                "tenant": tenant, "thread_id": thread_id, "after": int(listing.after is not None),
                "after_start_ns": listing.after[0] if listing.after else 0,
                "after_id": listing.after[1] if listing.after else "", "limit": listing.limit + 1}))
        if summary is None:
            return thread_not_found(thread_id)
        more = len(turns) > listing.limit
        chosen: list[Row] = []
        spans = 0
        for turn in turns[:listing.limit]:
            if chosen and spans + turn["span_count"] > MAX_THREAD_SPANS:
                more = True
                break
            chosen.append(turn)
            spans += turn["span_count"]
        docs = await load_timelines(reader, tenant, [turn["trace_id"] for turn in chosen], max_spans=MAX_THREAD_SPANS,
                                    span_counts={turn["trace_id"]: turn["span_count"] for turn in chosen},
                                    bounds=(min(turn["start_ns"] for turn in chosen),
                                            max(turn["end_ns"] for turn in chosen)) if chosen else None)
        listed = [{**(docs.get(turn["trace_id"]) or _expired_turn(turn)), "turn": before + n}
                  for n, turn in enumerate(chosen, start=1)]
        last = chosen[-1] if chosen else None
        return JSONResponse({
            "thread": summary,
            "turns": listed,
            "next_cursor": listing.next_cursor("turns", last["start_ns"], last["trace_id"], n=before + len(chosen))
            if more and last else None,
            "truncated": more or any(turn["truncated"] for turn in listed),
        })

    def thread_not_found(thread_id: str) -> Response:
        return JSONResponse({"error": {"code": "thread_not_found", "message": f"no thread {thread_id[:200]!r}"}},
                            status_code=404)

    return [
        Route("/api/v1/threads", list_threads, methods=["GET"]),
        Route("/api/v1/threads/{thread_id:path}", get_thread, methods=["GET"]),
    ]


OPENAPI: dict[str, Any] = {
    "/api/v1/threads": {"get": {
        "summary": "List threads (conversations) by last activity",
        "description": "Threads whose last activity falls in [start, end), each with its totals over all its "
                       "turns (the thread_activity view's row).",
        "operationId": "listThreads",
        "parameters": [
            *schemas.time_range_parameters("last activity", "-24h", "31 days"),
            schemas.query_parameter("agent", schemas.STRING, "The thread's outer agent."),
            schemas.query_parameter("user", schemas.STRING, "The thread's end user."),
            schemas.query_parameter("model", schemas.STRING, "The model of the thread's latest LLM call."),
            schemas.query_parameter("min_duration_ms", {"type": "number", "minimum": 0, "maximum": 10**12},
                                    "First span start to last span end, at least this long."),
            schemas.query_parameter("min_tokens", {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
                                    "At least this many total tokens."),
            schemas.query_parameter("min_cost", {"type": "number", "minimum": 0, "maximum": 10**12},
                                    "At least this cost in USD."),
            schemas.query_parameter("has_errors", {"type": "string", "enum": ["true", "false"]},
                                    "true: some span failed; false: none did."),
            *schemas.page_parameters(SORTS, "last_seen", DEFAULT_LIMIT, MAX_LIMIT),
        ],
        "responses": {
            "200": schemas.json_response("A page of threads", schemas.obj({
                "threads": schemas.array(schemas.THREAD), "next_cursor": schemas.NULLABLE_STRING,
                "start": schemas.TIME, "end": schemas.TIME,
                "sort": {"type": "string", "enum": list(SORTS)}, "order": {"type": "string", "enum": ["asc", "desc"]},
            })),
            **schemas.ERROR_RESPONSES,
        },
    }},
    "/api/v1/threads/{thread_id}": {"get": {
        "summary": "A thread's summary and timeline",
        "description": "The thread's totals and its turns in start order, each a trace timeline, at most "
                       f"`limit` turns and {MAX_THREAD_SPANS} spans a page.",
        "operationId": "getThread",
        "parameters": [
            {"name": "thread_id", "in": "path", "required": True,
             "schema": {"type": "string", "minLength": 1, "maxLength": MAX_THREAD_ID,
                        "pattern": "^[^\\x00-\\x1f\\x7f]+$"}},
            schemas.query_parameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_TURNS,
                                              "default": DEFAULT_TURNS}, "Turns per page."),
            schemas.query_parameter("cursor", schemas.STRING, "next_cursor of the previous page."),
        ],
        "responses": {
            "200": schemas.json_response("The thread", schemas.obj({
                "thread": schemas.THREAD, "turns": schemas.array(schemas.TURN),
                "next_cursor": schemas.NULLABLE_STRING, "truncated": schemas.BOOLEAN,
            })),
            "404": schemas.json_response("No such thread", schemas.ERROR),
            **schemas.ERROR_RESPONSES,
        },
    }},
}
