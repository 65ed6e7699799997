"""The query API (JSON over HTTP): parameters -> SQL -> JSON.

Routes:
  GET /api/v1/traces/{trace_id}   the trace timeline (see `timeline.py`); 400 malformed id, 404 unknown
  GET /jaeger/api/...             Jaeger's v1 and v3 query APIs, for Grafana and Jaeger clients (see `jaeger.py`)
  GET /api/v1/traces              trace search (see `search.py`)
  GET /api/v1/threads             threads by last activity; GET /api/v1/threads/{id} one thread's timeline
                                  (see `threads.py`)
  POST /api/v1/sql                ad-hoc read-only SQL (see `sql_api.py`), all tenants: an admin key when keys exist
  GET /openapi.json               the OpenAPI 3.1 document of this API (openapi.py)
  GET /api/v1/metrics/kpi         live KPIs against the previous window (see `metrics.py`, as the next two)
  GET /api/v1/metrics/timeseries  a rollup measure per minute / hour / day, grouped and filtered
  GET /api/v1/metrics/agents      per outer agent: turns, threads, calls, tokens, cost, errors, turn duration
  GET /api/v1/costs               cost and tokens per model, agent, user, tenant or day; unpriced models (`costs.py`)
  GET /api/v1/alerts/deliveries   what became of every alert; POST /api/v1/alerts/test a test message (`alerts.py`)
  GET /healthz                    200 when the store answers and the schema is in place, else 503
Errors are JSON objects `{"error": {"code": ..., "message": ...}}`; ClickHouse's errors add
`"clickhouse": {"code": ..., "name": ...}`. Whatever else a handler raises is 500 `internal_error`
with a message naming an incident id and nothing of the exception (its text may hold SQL, paths or
data); the traceback is logged once, under that id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spanhouse.alert.alerter import Alerter
from spanhouse.auth import AuthError
from spanhouse.detect.lifecycle import AnomalyStore
from spanhouse.errors import StoreError, StoreUnavailable
from spanhouse.query import alerts, anomalies, costs, jaeger, metrics, openapi, search, sql_api, threads
from spanhouse.query.adhoc import AdhocSql
from spanhouse.query.params import ParamError
from spanhouse.query.read_after_ack import CaughtUp, ReadAfterAck
from spanhouse.query.reader import Reader
from spanhouse.query.responses import JSONResponse, unexpected
from spanhouse.query.sql_api import AdminCheck, no_auth
from spanhouse.query.trace_page import trace_page
from spanhouse.store.retention import Retention

logger = logging.getLogger(__name__)

TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$")
MAX_TRACE_SPANS = 50_000

TenantResolver = Callable[[Request], str]




def error(status: int, code: str, message: str, **details: object) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **details}}, status_code=status)


def create_app(reader: Reader, tenant_of: TenantResolver, *, sql: AdhocSql | None = None,
               require_admin: AdminCheck = no_auth, retention: Retention | None = None,
               anomaly_store: AnomalyStore | None = None, alerter: Alerter | None = None,
               backlog: Callable[[], dict[str, int]] | None = None,
               caught_up: CaughtUp | None = None) -> Starlette:
    """The query API.

    Args:
        reader: runs the API's own queries (query/sql/*.sql).
        tenant_of: the tenant whose data a request may see.
        sql: runs ad-hoc SQL; without it POST /api/v1/sql is not served.
        require_admin: raises HTTPException unless the request may run ad-hoc SQL (which sees every tenant).
        anomaly_store: changes anomalies' status; without it the anomaly routes are not served.
        alerter: sends test messages; without it the alert routes are not served.
        backlog: what each writer holds that is not yet queryable, by kind, shown by /healthz.
        caught_up: awaited before each request (but /healthz and /openapi.json): returns once what
            was acknowledged before the request is queryable, or its time is up (read_after_ack.py).
    """
    async def get_trace(request: Request) -> Response:
        trace_id = request.path_params["trace_id"]
        if not TRACE_ID.fullmatch(trace_id):
            return error(400, "invalid_trace_id", f"trace id must be 32 hex characters, got {trace_id[:80]!r}")
        trace_id = trace_id.lower()
        tenant = tenant_of(request)
        timeline = await trace_page(reader, tenant, trace_id, max_spans=MAX_TRACE_SPANS)
        if timeline is None:
            return error(404, "trace_not_found", f"no trace {trace_id}")
        return JSONResponse(timeline)

    async def healthz(request: Request) -> Response:
        try:
            rows = await reader.rows("ping", {})
        except StoreError as exc:
            logger.warning("health check: %s", exc)
            return JSONResponse({"status": "unavailable", "store": exc.public}, status_code=503)
        if not rows or not next(iter(rows[0].values())):
            return JSONResponse({"status": "unavailable", "store": "schema missing"}, status_code=503)
        # Under load, acknowledged spans wait in the write-ahead log for their insert: how many
        # tells an operator how far queries lag behind, and 0 that everything sent is queryable.
        return JSONResponse({"status": "ok", "store": "reachable", **({"not_yet_queryable": backlog()}
                                                                         if backlog else {})})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error(exc.status_code, "http_error", exc.detail)

    # Handlers of the route modules raise; these turn what they raise into the API's answers.
    async def bad_parameter(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ParamError)
        return error(400, "invalid_parameter", str(exc), parameter=exc.name)

    async def auth_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuthError)
        return _auth_answer(exc)

    async def store_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StoreError)
        if isinstance(exc, StoreUnavailable):
            logger.warning("query failed, store unavailable: %s", exc)
            return error(503, "store_unavailable", exc.public)
        logger.error("query failed: %s", exc)
        return error(500, "store_error", exc.public)

    described = openapi.document(
        (metrics.OPENAPI, costs.OPENAPI, jaeger.OPENAPI, search.OPENAPI, threads.OPENAPI,
         *((anomalies.OPENAPI,) if anomaly_store is not None else ()),
         *((alerts.OPENAPI,) if alerter is not None else ())))
    schema = orjson.dumps(described)

    async def openapi_json(request: Request) -> Response:
        return Response(schema, media_type="application/json")

    return Starlette(
        routes=[
            Route("/openapi.json", openapi_json, methods=["GET"]),
            Route("/api/v1/traces/{trace_id}", get_trace, methods=["GET"]),
            *search.routes(reader, tenant_of),
            *threads.routes(reader, tenant_of),
            Route("/healthz", healthz, methods=["GET"]),
            *metrics.routes(reader, tenant_of, retention=retention),
            *costs.routes(reader, tenant_of, retention=retention),
            *(anomalies.routes(reader, tenant_of, anomaly_store) if anomaly_store is not None else []),
            *(alerts.routes(reader, tenant_of, require_admin, alerter) if alerter is not None else []),
            *jaeger.routes(reader, tenant_of),
            *([Route("/api/v1/sql", sql_api.endpoint(sql, require_admin), methods=["POST"])]
              if sql is not None else []),
        ],
        exception_handlers={HTTPException: http_error, ParamError: bad_parameter, AuthError: auth_error,
                            StoreError: store_error},
        middleware=[Middleware(_Unexpected), Middleware(_KeyFirst, tenant_of=tenant_of),
                    *([Middleware(ReadAfterAck, caught_up=caught_up, exempt=OPEN_PATHS)] if caught_up else [])],
    )


OPEN_PATHS = frozenset({"/healthz", "/openapi.json"})


class _Unexpected:
    """The catch-all: an exception no handler turned into an answer becomes 500 `internal_error`
    with the documented JSON shape, and its traceback is logged here, once.

    Starlette's own handler for `Exception` answers too, but then re-raises, so uvicorn logs the
    traceback a second time and the in-process gRPC calls (grpc_service.py) get the exception
    instead of the answer. Outermost, so it also covers the key check.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, receive, sending)
        except Exception:
            if started:  # too late for an answer: the server closes the connection and logs it
                raise
            message = unexpected(f"{scope.get('method', '')} {scope.get('path', '')}")
            await error(500, "internal_error", message)(scope, receive, send)


def _auth_answer(exc: AuthError) -> JSONResponse:
    response = error(exc.status, "unauthenticated" if exc.status == 401 else "forbidden", str(exc))
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


class _KeyFirst:
    """Checks the API key before any handler parses anything, so a request without a valid read key
    learns nothing (not even which parameters are wrong); handlers still ask `tenant_of` for the tenant."""

    def __init__(self, app: ASGIApp, tenant_of: TenantResolver) -> None:
        self._app = app
        self._tenant_of = tenant_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in OPEN_PATHS:
            try:
                self._tenant_of(Request(scope))
            except AuthError as exc:
                await _auth_answer(exc)(scope, receive, send)
                return
        await self._app(scope, receive, send)
