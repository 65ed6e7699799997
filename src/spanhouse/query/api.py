"""The query API (JSON over HTTP): parameters -> SQL -> JSON.

Routes:
  GET /api/v1/traces/{trace_id}   the trace timeline (see `timeline.py`); 400 malformed id, 404 unknown
  GET /api/v1/traces              trace search (see `search.py`)
  GET /api/v1/threads             threads by last activity; GET /api/v1/threads/{id} one thread's timeline
                                  (see `threads.py`)
  POST /api/v1/sql                ad-hoc read-only SQL (see `sql_api.py`), all tenants: admin only once auth exists
  GET /healthz                    200 when the store answers and the schema is in place, else 503
Errors are JSON objects `{"error": {"code": ..., "message": ...}}`; ClickHouse's errors add
`"clickhouse": {"code": ..., "name": ...}`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from spanhouse.errors import StoreError, StoreUnavailable
from spanhouse.query import search, sql_api, threads
from spanhouse.query.adhoc import AdhocSql
from spanhouse.query.params import ParamError
from spanhouse.query.reader import Reader
from spanhouse.query.sql_api import AdminCheck, no_auth
from spanhouse.query.trace_docs import load_timelines

logger = logging.getLogger(__name__)

TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$")
MAX_TRACE_SPANS = 50_000

TenantResolver = Callable[[Request], str]


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def error(status: int, code: str, message: str, **details: object) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **details}}, status_code=status)


def create_app(reader: Reader, tenant_of: TenantResolver, *, sql: AdhocSql | None = None,
               require_admin: AdminCheck = no_auth) -> Starlette:
    """The query API.

    Args:
        reader: runs the API's own queries (query/sql/*.sql).
        tenant_of: the tenant whose data a request may see.
        sql: runs ad-hoc SQL; without it POST /api/v1/sql is not served.
        require_admin: raises HTTPException unless the request may run ad-hoc SQL (which sees every tenant).
    """
    async def get_trace(request: Request) -> Response:
        trace_id = request.path_params["trace_id"]
        if not TRACE_ID.match(trace_id):
            return error(400, "invalid_trace_id", f"trace id must be 32 hex characters, got {trace_id[:80]!r}")
        trace_id = trace_id.lower()
        tenant = tenant_of(request)
        timeline = (await load_timelines(reader, tenant, [trace_id], max_spans=MAX_TRACE_SPANS)).get(trace_id)
        if timeline is None:
            return error(404, "trace_not_found", f"no trace {trace_id}")
        thread_id = timeline["thread_id"]
        timeline["thread"] = await threads.thread_summary(reader, tenant, thread_id) if thread_id else None
        return JSONResponse(timeline)

    async def healthz(request: Request) -> Response:
        try:
            rows = await reader.rows("ping", {})
        except StoreError as exc:
            return JSONResponse({"status": "unavailable", "store": str(exc)}, status_code=503)
        if not rows or not next(iter(rows[0].values())):
            return JSONResponse({"status": "unavailable", "store": "schema missing"}, status_code=503)
        return JSONResponse({"status": "ok", "store": "reachable"})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error(exc.status_code, "http_error", exc.detail)

    # Handlers of the route modules raise; these turn what they raise into the API's answers.
    async def bad_parameter(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ParamError)
        return error(400, "invalid_parameter", str(exc), parameter=exc.name)

    async def store_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StoreUnavailable):
            return error(503, "store_unavailable", str(exc))
        logger.error("query failed: %s", exc)
        return error(500, "store_error", str(exc))

    return Starlette(
        routes=[
            Route("/api/v1/traces/{trace_id}", get_trace, methods=["GET"]),
            *search.routes(reader, tenant_of),
            *threads.routes(reader, tenant_of),
            Route("/healthz", healthz, methods=["GET"]),
            *([Route("/api/v1/sql", sql_api.endpoint(sql, require_admin), methods=["POST"])]
              if sql is not None else []),
        ],
        exception_handlers={HTTPException: http_error, ParamError: bad_parameter, StoreError: store_error},
    )
