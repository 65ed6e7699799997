"""POST /api/v1/sql: the HTTP side of analysts' ad-hoc SQL (the running of it is `adhoc.py`).

Request: JSON `{"query": ..., "params": {...}, "format": "json" | "csv" | "tsv", "max_rows": N}`
(all but query optional), or the query as a text/plain body; `?format=&max_rows=` in the URL
serve either body (an option given in the body and the URL is refused, as is another URL field); at most
1 MiB. With either body, `?param_<name>=value` in the URL gives a parameter too (the spelling of
clickhouse-client and ClickHouse's HTTP interface), as a string. `params` values are strings,
numbers, booleans, null or arrays of them, bound by ClickHouse to the query's `{name:Type}`
placeholders (`adhoc.parameter_text` says how each is written). Answers:
  200  JSON {columns: [{name, type}], rows: [[...]], row_count, truncated, max_rows, elapsed_ms,
       rows_read, bytes_read}; CSV / TSV with those numbers in X-Spanhouse-* headers. Columns are
       there for an empty result too.
  400  bad body; a parameter without a value (`missing_parameter`, `error.parameters` names them)
       or with a bad name or value (`invalid_parameter`, `error.parameter`); a statement spanhouse
       does not run; or ClickHouse refused or failed the query (`error.clickhouse` = {code, name},
       `error.message` = ClickHouse's message)
  401 / 403  (from `require_admin`) no key or an unknown one / a key without the admin role
  413 / 415  body too large / neither JSON nor text
  429  another query kept the turn past the time limit (Retry-After)
  503  the store cannot be reached; 504  the query ran past its time limit
Raw SQL sees every tenant, so it takes an admin key: `require_admin` raises the 401 / 403 before
the body is read.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from spanhouse.errors import Overloaded, QueryRefused, StoreError, StoreUnavailable
from spanhouse.query import jsonsafe
from spanhouse.query.adhoc import TIMEOUT_CODES, AdhocSql, ParameterRefused, Result
from spanhouse.query.params import ParamError, digits

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20
FORMATS = ("json", "csv", "tsv")
URL_OPTIONS = ("format", "max_rows")
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
               "tsv": "text/tab-separated-values; charset=utf-8"}
UNAVAILABLE_CODES = frozenset({202, 209, 210, 425})  # too many queries, socket timeout, network, system error

AdminCheck = Callable[[Request], None]


def no_auth(request: Request) -> None:
    """The admin check of a query API built without one: everyone may run SQL.

    `spanhouse serve` passes a check of the request's API key instead (app.py: `KeyRing.authenticate`
    for the admin role), which lets everyone through only when no keys are configured.
    """


class RequestError(Exception):
    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def endpoint(sql: AdhocSql, require_admin: AdminCheck = no_auth) -> Callable[[Request], Awaitable[Response]]:
    """The route's handler.

    Args:
        sql: runs the query.
        require_admin: raises (AuthError, HTTPException) unless the request may run ad-hoc SQL.
    """
    async def run_sql(request: Request) -> Response:
        require_admin(request)
        try:
            query, form, max_rows, params = await _parse(request)
        except RequestError as exc:
            return _error(exc.status, exc.code, exc.message, **exc.details)
        try:
            result = await sql.run(query, max_rows, params)
        except ParameterRefused as exc:
            named = {"parameters": exc.names} if exc.code == "missing_parameter" else {"parameter": exc.names[0]}
            return _error(400, exc.code, str(exc), **named)
        except QueryRefused as exc:
            return _error(400, exc.code, str(exc))
        except Overloaded as exc:
            return _error(429, "sql_busy", str(exc), headers={"Retry-After": str(math.ceil(exc.retry_after_s))})
        except StoreError as exc:
            return _store_error(exc)
        return _render(result, form)

    return run_sql


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None, **details: Any) -> Response:
    """The query API's error envelope, `{"error": {"code": ..., "message": ..., **details}}`."""
    body: dict[str, Any] = {"code": code, "message": message, **details}
    return Response(orjson.dumps({"error": body}), status_code=status, media_type=MEDIA_TYPES["json"], headers=headers)


async def _parse(request: Request) -> tuple[str, str, int | None, dict[str, Any]]:
    """(query, format, max_rows, params) from a JSON body, or from a text/plain body plus ?format=&max_rows=;
    `?param_<name>=` adds parameters to either."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ("application/json", "text/plain"):
        raise RequestError(415, "unsupported_media_type",
                           "send the query as application/json ({\"query\": ...}) or as text/plain")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise RequestError(413, "body_too_large", f"the request body is over {MAX_BODY_BYTES} bytes")
    url_params = _url_params(request)
    url_options = _url_options(request)
    fields: dict[str, Any]
    if media_type == "text/plain":
        try:
            fields = {"query": body.decode("utf-8"), **url_options}
        except UnicodeDecodeError:
            raise RequestError(400, "invalid_body", "the query is not valid UTF-8") from None
    else:
        try:
            fields = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise RequestError(400, "invalid_body", f"the body is not valid JSON: {exc}") from None
        if not isinstance(fields, dict):
            raise RequestError(400, "invalid_body", "the body must be a JSON object with a \"query\" string")
        # `?format=csv` beside a JSON body is meant, not to be ignored; given in both, neither wins
        twice = sorted(fields.keys() & url_options.keys())
        if twice:
            raise RequestError(400, "invalid_body", f"{twice[0]} is given twice, in the body and in the URL")
        fields = {**fields, **url_options}
    unknown = sorted(set(fields) - {"query", "format", "max_rows", "params"})
    if unknown:
        raise RequestError(400, "invalid_body", f"unknown fields: {', '.join(unknown)} "
                           "(known: query, params, format, max_rows; parameters in the URL as param_<name>)")
    query, form, max_rows = fields.get("query"), fields.get("format", "json"), fields.get("max_rows")
    params = fields.get("params", {})
    if not isinstance(params, dict):
        raise RequestError(400, "invalid_body", "params must be a JSON object of parameter values by name, "
                           "e.g. {\"tenant\": \"acme\"}")
    twice = sorted(params.keys() & url_params.keys())
    if twice:
        raise RequestError(400, "invalid_parameter", f"parameter {twice[0]} is given twice, in params and as "
                           f"param_{twice[0]} in the URL", parameter=twice[0])
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, "invalid_body", "query must be a non-empty string")
    if form not in FORMATS:
        raise RequestError(400, "invalid_format", f"format must be one of {', '.join(FORMATS)}, got {form!r}")
    if isinstance(max_rows, str):  # ASCII digits only, as every number parameter; others are refused below
        with contextlib.suppress(ParamError):
            max_rows = digits(max_rows, "max_rows")
    if max_rows is not None and (not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 1):
        raise RequestError(400, "invalid_max_rows",
                           f"max_rows must be a positive integer, got {max_rows!r}")
    return query, form, max_rows, {**url_params, **params}


def _url_options(request: Request) -> dict[str, str]:
    """`format` and `max_rows` from the URL; any other field there but `param_<name>` is refused."""
    options: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key.startswith("param_"):
            continue
        if key not in URL_OPTIONS:
            raise RequestError(400, "invalid_body", f"unknown URL field {key} (known: {', '.join(URL_OPTIONS)}, "
                               "and param_<name> for parameters)")
        if key in options:
            raise RequestError(400, "invalid_body", f"{key} is given twice in the URL")
        options[key] = value
    return options


def _url_params(request: Request) -> dict[str, str]:
    """The `param_<name>` fields of the URL, by name; each value counts as a string in `params` would."""
    found: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key.startswith("param_"):
            name = key.removeprefix("param_")
            if name in found:
                raise RequestError(400, "invalid_parameter", f"parameter {name} is given twice in the URL",
                                   parameter=name)
            found[name] = value
    return found


def _store_error(exc: StoreError) -> Response:
    """400 for what ClickHouse refused or failed (the query's fault), 504 past the time limit, 503 store down.

    A timeout is 504, not 408: 408 says the client was too slow to send its request, and clients may
    repeat a 408 by themselves, running the heavy query again. 504 says what happened: the store did
    not answer within the limit.
    """
    if exc.code is None:
        status, code = (503, "store_unavailable") if isinstance(exc, StoreUnavailable) else (500, "store_error")
        logger.log(logging.ERROR if status == 500 else logging.WARNING, "ad-hoc SQL failed: %s", exc)
        return _error(status, code, exc.public)
    if exc.code in TIMEOUT_CODES:
        status, code = 504, "query_timeout"
    elif exc.code in UNAVAILABLE_CODES:
        status, code = 503, "store_unavailable"
    else:
        status, code = 400, "clickhouse_error"
    return _error(status, code, str(exc), clickhouse={"code": exc.code, "name": exc.name})


def _render(result: Result, form: str) -> Response:
    stats = {"row_count": len(result.rows), "truncated": result.truncated, "max_rows": result.max_rows,
             "elapsed_ms": result.elapsed_ms, "rows_read": result.rows_read, "bytes_read": result.bytes_read}
    if form == "json":
        doc = {"columns": [{"name": c.name, "type": c.type} for c in result.columns], "rows": result.rows, **stats}
        return Response(jsonsafe.dumps(doc), media_type=MEDIA_TYPES["json"])
    names = [column.name for column in result.columns]
    if form == "csv":  # NULL is an empty field
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([jsonsafe.cell(value) for value in row] for row in result.rows)
        text = out.getvalue()
    else:  # NULL is \N, as ClickHouse writes TabSeparated
        lines = [[_tsv_escape(name) for name in names]]
        lines += [["\\N" if value is None else _tsv_escape(jsonsafe.cell(value)) for value in row]
                  for row in result.rows]
        text = "".join("\t".join(line) + "\n" for line in lines)
    # CSV and TSV carry the numbers as headers: X-Spanhouse-Row-Count, X-Spanhouse-Truncated, ...
    headers = {}
    for name, value in stats.items():
        if value is not None:
            headers["X-Spanhouse-" + name.replace("_", "-").title()] = str(value).lower() if isinstance(
                value, bool) else str(value)
    return Response(text, media_type=MEDIA_TYPES[form], headers=headers)


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def _tsv_escape(text: str) -> str:
    """ClickHouse's TabSeparated escaping: a cell never spans columns or lines, and only NULL is a bare \\N."""
    return text.translate(_TSV_ESCAPES)
