"""The query API (JSON over HTTP): parameters -> SQL -> JSON.

Routes:
  GET /api/v1/traces/{trace_id}   the trace timeline (see `timeline.py`); 400 malformed id, 404 unknown
  POST /api/v1/sql                ad-hoc read-only SQL (see `adhoc.py`), all tenants: admin only once auth exists
  GET /healthz                    200 when the store answers and the schema is in place, else 503
Errors are JSON objects `{"error": {"code": ..., "message": ...}}`; ClickHouse's errors add
`"clickhouse": {"code": ..., "name": ...}`.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from collections.abc import Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from spanhouse.errors import Overloaded, QueryRefused, StoreError, StoreUnavailable
from spanhouse.query import jsonsafe
from spanhouse.query.adhoc import TIMEOUT_CODES, AdhocSql, Result
from spanhouse.query.reader import Reader
from spanhouse.query.timeline import attach_log_messages, build_timeline, needs_log_messages

logger = logging.getLogger(__name__)

TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$")
MAX_TRACE_SPANS = 50_000
MAX_TRACE_EVENTS = 20_000

MAX_SQL_BODY_BYTES = 1 << 20
SQL_FORMATS = ("json", "csv", "tsv")
SQL_MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
                   "tsv": "text/tab-separated-values; charset=utf-8"}
UNAVAILABLE_CODES = frozenset({202, 209, 210, 425})  # too many queries, socket timeout, network, system error

TenantResolver = Callable[[Request], str]
AdminCheck = Callable[[Request], None]


def no_auth(request: Request) -> None:
    """The admin check while spanhouse has no API keys: everyone may run SQL (bound to 127.0.0.1 by default).

    The auth work (issue 5) replaces it with a check that raises HTTPException(401) for a missing or
    unknown key and HTTPException(403) for a key without the admin role.
    """


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class RequestError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


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
        try:
            rows = await reader.rows(
                "trace_spans", {"tenant": tenant, "trace_id": trace_id, "max_spans": MAX_TRACE_SPANS}
            )
            timeline = build_timeline(trace_id, rows, truncated=len(rows) >= MAX_TRACE_SPANS)
            if timeline is not None and needs_log_messages(timeline):
                events = await reader.rows(
                    "trace_genai_events", {"tenant": tenant, "trace_id": trace_id, "max_events": MAX_TRACE_EVENTS}
                )
                attach_log_messages(timeline, events)
        except StoreUnavailable as exc:
            return error(503, "store_unavailable", str(exc))
        except StoreError as exc:
            logger.error("trace lookup failed: %s", exc)
            return error(500, "store_error", str(exc))
        if timeline is None:
            return error(404, "trace_not_found", f"no trace {trace_id}")
        return JSONResponse(timeline)

    async def healthz(request: Request) -> Response:
        try:
            rows = await reader.rows("ping", {})
        except StoreError as exc:
            return JSONResponse({"status": "unavailable", "store": str(exc)}, status_code=503)
        if not rows or not next(iter(rows[0].values())):
            return JSONResponse({"status": "unavailable", "store": "schema missing"}, status_code=503)
        return JSONResponse({"status": "ok", "store": "reachable"})

    async def run_sql(request: Request) -> Response:
        assert sql is not None
        require_admin(request)
        try:
            query, form, max_rows = await _sql_request(request)
        except RequestError as exc:
            return error(exc.status, exc.code, exc.message)
        try:
            result = await sql.run(query, max_rows)
        except QueryRefused as exc:
            return error(400, exc.code, str(exc))
        except Overloaded as exc:
            response = error(429, "sql_busy", str(exc))
            response.headers["Retry-After"] = str(math.ceil(exc.retry_after_s))
            return response
        except StoreError as exc:
            return _sql_error(exc)
        return _sql_response(result, form)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error(exc.status_code, "http_error", exc.detail)

    return Starlette(
        routes=[
            Route("/api/v1/traces/{trace_id}", get_trace, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            *([Route("/api/v1/sql", run_sql, methods=["POST"])] if sql is not None else []),
        ],
        exception_handlers={HTTPException: http_error},
    )


async def _sql_request(request: Request) -> tuple[str, str, int | None]:
    """(query, format, max_rows) from a JSON body, or from a text/plain body plus ?format=&max_rows=."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ("application/json", "text/plain"):
        raise RequestError(415, "unsupported_media_type",
                           "send the query as application/json ({\"query\": ...}) or as text/plain")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SQL_BODY_BYTES:
            raise RequestError(413, "body_too_large", f"the request body is over {MAX_SQL_BODY_BYTES} bytes")
    fields: dict[str, Any]
    if media_type == "text/plain":
        try:
            fields = {"query": body.decode("utf-8"), **request.query_params}
        except UnicodeDecodeError:
            raise RequestError(400, "invalid_body", "the query is not valid UTF-8") from None
    else:
        try:
            fields = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise RequestError(400, "invalid_body", f"the body is not valid JSON: {exc}") from None
        if not isinstance(fields, dict):
            raise RequestError(400, "invalid_body", "the body must be a JSON object with a \"query\" string")
    unknown = sorted(set(fields) - {"query", "format", "max_rows"})
    if unknown:
        raise RequestError(400, "invalid_body", f"unknown fields: {', '.join(unknown)} "
                           "(known: query, format, max_rows)")
    query, form, max_rows = fields.get("query"), fields.get("format", "json"), fields.get("max_rows")
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, "invalid_body", "query must be a non-empty string")
    if form not in SQL_FORMATS:
        raise RequestError(400, "invalid_format", f"format must be one of {', '.join(SQL_FORMATS)}, got {form!r}")
    if isinstance(max_rows, str) and max_rows.isdecimal():
        max_rows = int(max_rows)
    if max_rows is not None and (not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 1):
        raise RequestError(400, "invalid_max_rows",
                           f"max_rows must be a positive integer, got {max_rows!r}")
    return query, form, max_rows


def _sql_error(exc: StoreError) -> Response:
    """400 for what ClickHouse refused or failed (the query's fault), 504 past the time limit, 503 store down.

    A timeout is 504, not 408: 408 says the client was too slow to send its request, and clients may
    repeat a 408 by themselves, running the heavy query again. 504 says what happened: the store did
    not answer within the limit.
    """
    if exc.code is None:
        status, code = (503, "store_unavailable") if isinstance(exc, StoreUnavailable) else (500, "store_error")
        if status == 500:
            logger.error("ad-hoc SQL failed: %s", exc)
        return error(status, code, str(exc))
    if exc.code in TIMEOUT_CODES:
        status, code = 504, "query_timeout"
    elif exc.code in UNAVAILABLE_CODES:
        status, code = 503, "store_unavailable"
    else:
        status, code = 400, "clickhouse_error"
    return JSONResponse({"error": {"code": code, "message": str(exc),
                                   "clickhouse": {"code": exc.code, "name": exc.name}}}, status_code=status)


def _sql_response(result: Result, form: str) -> Response:
    stats = {"row_count": len(result.rows), "truncated": result.truncated, "max_rows": result.max_rows,
             "elapsed_ms": result.elapsed_ms, "rows_read": result.rows_read, "bytes_read": result.bytes_read}
    if form == "json":
        doc = {"columns": [{"name": c.name, "type": c.type} for c in result.columns], "rows": result.rows, **stats}
        return Response(jsonsafe.dumps(doc), media_type=SQL_MEDIA_TYPES["json"])
    names = [column.name for column in result.columns]
    if form == "csv":  # NULL is an empty field
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([jsonsafe.cell(value, "") for value in row] for row in result.rows)
        text = out.getvalue()
    else:  # NULL is \N, as ClickHouse writes TabSeparated
        lines = [[_tsv_escape(name) for name in names]]
        lines += [["\\N" if value is None else _tsv_escape(jsonsafe.cell(value, "")) for value in row]
                  for row in result.rows]
        text = "".join("\t".join(line) + "\n" for line in lines)
    # CSV and TSV carry the numbers as headers: X-Spanhouse-Row-Count, X-Spanhouse-Truncated, ...
    headers = {}
    for name, value in stats.items():
        if value is not None:
            headers["X-Spanhouse-" + name.replace("_", "-").title()] = str(value).lower() if isinstance(
                value, bool) else str(value)
    return Response(text, media_type=SQL_MEDIA_TYPES[form], headers=headers)


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def _tsv_escape(text: str) -> str:
    """ClickHouse's TabSeparated escaping: a cell never spans columns or lines, and only NULL is a bare \\N."""
    return text.translate(_TSV_ESCAPES)
