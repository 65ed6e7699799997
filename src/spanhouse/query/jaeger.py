"""Jaeger-compatible query endpoints under `/jaeger`, read-only and scoped to the request's tenant.

Grafana's Jaeger data source (and scripts written for Jaeger) call Jaeger's v1 JSON API; Jaeger's
own UI moved to its v3 API, which answers OTLP JSON. Both are served, so a Jaeger client pointed
at `http://HOST:8318/jaeger` lists services and operations, searches and renders traces.

v1 (`{"data", "total", "limit", "offset", "errors"}`; errors `{"data": null, "errors": [{"code", "msg"}]}`):
  GET /jaeger/api/services                        service names
  GET /jaeger/api/services/{service}/operations   operation (span) names of a service
  GET /jaeger/api/operations?service=&spanKind=   [{name, spanKind}]
  GET /jaeger/api/traces?service=&operation=&tags=&tag=&start=&end=&lookback=&minDuration=&maxDuration=&limit=
                                                  trace search, or the traces of repeated `traceID=`
  GET /jaeger/api/traces/{traceID}                one trace; 404 when unknown
v3 (errors `{"error": {"httpCode", "message"}}`; snake_case parameter names accepted too):
  GET /jaeger/api/v3/services                     {"services": [...]}
  GET /jaeger/api/v3/operations?service=&spanKind=  {"operations": [{name, spanKind}]}
  GET /jaeger/api/v3/traces/{trace_id}            {"result": {"resourceSpans": [...]}}; 404 when unknown
  GET /jaeger/api/v3/traces?query.serviceName=&query.operationName=&query.attributes=&query.startTimeMin=
      &query.startTimeMax=&query.durationMin=&query.durationMax=&query.searchDepth=   the same, for a search

Invariants: every query names the tenant; a search covers at most `MAX_SEARCH_WINDOW_NS` (default
window `DEFAULT_LOOKBACK_NS` ending now) and returns at most `MAX_TRACES` traces, each cut to a
share of `MAX_SEARCH_SPANS` spans (with a warning); service and operation lists cover the last
`METADATA_WINDOW_NS`. Prompt text stored by hash is put back, so tags show the values sent.
The models are built in jaeger_model.py, the parameters parsed in jaeger_params.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from spanhouse.errors import StoreError, StoreUnavailable
from spanhouse.query import jaeger_params as jp
from spanhouse.query.jaeger_model import NO_SERVICE, jaeger_kind, jaeger_trace, otlp_resource_spans
from spanhouse.query.jaeger_openapi import OPENAPI
from spanhouse.query.params import ParamError, choice, integer, text
from spanhouse.query.reader import Reader, Row
from spanhouse.query.responses import unexpected
from spanhouse.query.timeline import content_hashes, inflate_content

if TYPE_CHECKING:
    from spanhouse.query.api import TenantResolver

__all__ = ["OPENAPI", "routes"]

logger = logging.getLogger(__name__)

HOUR_NS = 3600 * 10**9
DEFAULT_LOOKBACK_NS = HOUR_NS
MAX_SEARCH_WINDOW_NS = 7 * 24 * HOUR_NS
METADATA_WINDOW_NS = 7 * 24 * HOUR_NS
DEFAULT_TRACES = 100  # Jaeger's default limit / search depth
MAX_TRACES = 1_000
MAX_TRACE_SPANS = 50_000  # one trace by id, as the timeline
MAX_SEARCH_SPANS = 100_000  # all traces of one search together ...
MIN_SEARCH_TRACE_SPANS = 100  # ... but never fewer than this per trace
MAX_NAMES = 10_000
SPAN_KINDS = {"": None, "internal": "Internal", "server": "Server", "client": "Client", "producer": "Producer",
              "consumer": "Consumer", "unspecified": "Unspecified"}
TRACE_NOT_FOUND = "trace not found"


class NotFound(Exception):
    pass


class _JSON(Response):
    media_type = "application/json"

    def __init__(self, content: Any, status_code: int = 200, *, pretty: bool = False) -> None:
        self._option = orjson.OPT_INDENT_2 if pretty else 0
        super().__init__(content, status_code)

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=self._option)


Handler = Callable[[Request], Awaitable[Response]]


def _v1_error(status: int, message: str) -> Response:
    return _JSON({"data": None, "total": 0, "limit": 0, "offset": 0,
                  "errors": [{"code": status, "msg": message}]}, status)


def _v3_error(status: int, message: str) -> Response:
    return _JSON({"error": {"httpCode": status, "message": message}}, status)


def _answering(errors: Callable[[int, str], Response], handler: Handler) -> Handler:
    """Turn what a handler raises into the error envelope its API's clients read."""
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ParamError as exc:
            return errors(400, str(exc))
        except NotFound as exc:
            return errors(404, str(exc))
        except StoreUnavailable as exc:
            logger.warning("jaeger query failed, store unavailable: %s", exc)
            return errors(503, exc.public)
        except StoreError as exc:
            logger.error("jaeger query failed: %s", exc)
            return errors(500, exc.public)
        except Exception:  # the request's boundary: Jaeger's clients read only their own envelope
            return errors(500, unexpected(f"GET {request.url.path}"))
    return endpoint


class _Search:
    """One trace search, in the terms both APIs share."""

    def __init__(self, *, service: str | None, operation: str | None, tags: dict[str, str], start_ns: int,
                 end_ns: int, min_duration_ns: int | None, max_duration_ns: int | None, limit: int,
                 start_name: str, max_duration_name: str) -> None:
        if start_ns >= end_ns:
            raise ParamError(start_name, "the start of the time range must be before its end")
        if end_ns - start_ns > MAX_SEARCH_WINDOW_NS:
            raise ParamError(start_name, f"the range may cover at most {MAX_SEARCH_WINDOW_NS // (24 * HOUR_NS)} days")
        if min_duration_ns and max_duration_ns and max_duration_ns < min_duration_ns:
            raise ParamError(max_duration_name, "must be greater than the minimum duration")
        self.parameters: dict[str, Any] = {
            "service": _stored_service(service), "operation": operation, "start_ns": start_ns, "end_ns": end_ns,
            "min_duration_ns": min_duration_ns or 0, "max_duration_ns": max_duration_ns or jp.MAX_DURATION_NS,
            "limit": limit,
        }
        # Attribute maps are most of a span's bytes: only a search with tags reads them.
        self.sql = "jaeger_find_traces"
        if tags:
            self.sql = "jaeger_find_traces_tagged"
            self.parameters.update(tag_keys=list(tags), tag_values=list(tags.values()))


def _stored_service(service: str | None) -> str | None:
    """A service name as Jaeger clients send it -> as stored (None: any service)."""
    return "" if service == NO_SERVICE else service


def _pretty(request: Request) -> bool:
    value = request.query_params.get("prettyPrint", "")
    return value not in ("", "false")


def _per_trace(traces: int) -> int:
    """Spans shown per trace when `traces` are shown together."""
    return min(MAX_TRACE_SPANS, max(MIN_SEARCH_TRACE_SPANS, MAX_SEARCH_SPANS // max(1, traces)))


def _now() -> int:
    return time.time_ns()


def routes(reader: Reader, tenant_of: TenantResolver) -> list[BaseRoute]:
    """The Jaeger v1 and v3 routes.

    Args:
        reader: runs query/sql/jaeger_*.sql (and trace_content.sql for prompt text).
        tenant_of: the tenant whose data a request may see.
    """
    async def names(tenant: str, service: str | None, span_kind: str | None) -> list[Row]:
        return await reader.rows("jaeger_operations", {
            "tenant": tenant, "since_ns": _now() - METADATA_WINDOW_NS,
            "service": _stored_service(service), "span_kind": span_kind, "max_operations": MAX_NAMES})

    async def services(tenant: str) -> list[str]:
        rows = await reader.rows("jaeger_services", {"tenant": tenant, "since_ns": _now() - METADATA_WINDOW_NS,
                                                     "max_services": MAX_NAMES})
        return [row["ServiceName"] or NO_SERVICE for row in rows]

    async def load(tenant: str, trace_ids: list[str], per_trace: int) -> dict[str, tuple[list[Row], list[str]]]:
        """The spans of each trace found (with its warnings), prompt text put back."""
        if not trace_ids:
            return {}
        rows = await reader.rows("jaeger_spans", {"tenant": tenant, "trace_ids": trace_ids,
                                                  "max_spans_per_trace": per_trace})
        hashes = content_hashes(rows)
        if hashes:
            texts = await reader.rows("trace_content", {"tenant": tenant, "hashes": hashes})
            inflate_content(rows, {text["hash"]: text["content"] for text in texts})
        traces: dict[str, tuple[list[Row], list[str]]] = {}
        for row in rows:
            traces.setdefault(row["TraceId"], ([], []))[0].append(row)
        for spans, warnings in traces.values():
            if len(spans) >= per_trace:
                warnings.append(f"spanhouse: the trace has more spans than the {per_trace} shown")
        return traces

    async def search(tenant: str, query: _Search) -> dict[str, tuple[list[Row], list[str]]]:
        found = await reader.rows(query.sql, {"tenant": tenant, **query.parameters})
        trace_ids = [row["TraceId"] for row in found]
        loaded = await load(tenant, trace_ids, _per_trace(len(trace_ids)))
        return {trace_id: loaded[trace_id] for trace_id in trace_ids if trace_id in loaded}

    def limit(params: Any, *names: str) -> int:
        for name in names:
            if params.get(name):
                return integer(params, name, minimum=1, maximum=MAX_TRACES) or DEFAULT_TRACES
        return DEFAULT_TRACES

    def span_kind(params: Any, *names: str) -> str | None:
        for name in names:
            value = choice(params, name, [kind for kind in SPAN_KINDS if kind])
            if value is not None:
                return SPAN_KINDS[value]
        return None

    # --- v1 -------------------------------------------------------------------------------------

    def v1_data(request: Request, data: Any, errors: list[dict[str, Any]] | None = None) -> Response:
        return _JSON({"data": data, "total": len(data), "limit": 0, "offset": 0, "errors": errors or None},
                     pretty=_pretty(request))

    async def v1_services(request: Request) -> Response:
        return v1_data(request, await services(tenant_of(request)))

    async def v1_service_operations(request: Request) -> Response:
        service = request.path_params["service"]
        rows = await names(tenant_of(request), service, None)
        return v1_data(request, list(dict.fromkeys(row["SpanName"] for row in rows)))

    async def v1_operations(request: Request) -> Response:
        params = request.query_params
        service = text(params, "service")
        if service is None:
            raise ParamError("service", "parameter 'service' is required")
        rows = await names(tenant_of(request), service, span_kind(params, "spanKind"))
        return v1_data(request, [{"name": row["SpanName"], "spanKind": jaeger_kind(row["SpanKind"])} for row in rows])

    def v1_search_query(params: Any) -> _Search:
        service = text(params, "service")
        if service is None:
            raise ParamError("service", "parameter 'service' is required")
        now = _now()
        end = jp.micros(params, "end", now)
        end = now if end is None else end
        start = jp.micros(params, "start", now)
        if start is None:
            start = end - (jp.lookback(params, "lookback") or DEFAULT_LOOKBACK_NS)
        tags = jp.tags_pairs(params.getlist("tag"), "tag")
        tags.update(jp.tags_json(params.getlist("tags"), "tags"))
        return _Search(service=service, operation=text(params, "operation"), tags=jp.bounded_tags(tags, "tags"),
                       start_ns=start, end_ns=end, min_duration_ns=jp.go_duration(params, ["minDuration"]),
                       max_duration_ns=jp.go_duration(params, ["maxDuration"]), limit=limit(params, "limit"),
                       start_name="start", max_duration_name="maxDuration")

    async def v1_search(request: Request) -> Response:
        params = request.query_params
        tenant = tenant_of(request)
        ids = params.getlist("traceID")
        if ids:
            trace_ids = list(dict.fromkeys(jp.trace_id(value, "traceID") for value in ids))[:MAX_TRACES]
            loaded = await load(tenant, trace_ids, _per_trace(len(trace_ids)))
            missing = [{"msg": TRACE_NOT_FOUND, "traceID": trace_id}
                       for trace_id in trace_ids if trace_id not in loaded]
            traces = {trace_id: loaded[trace_id] for trace_id in trace_ids if trace_id in loaded}
        else:
            missing = []
            traces = await search(tenant, v1_search_query(params))
        return v1_data(request, [jaeger_trace(trace_id, spans, warnings)
                                 for trace_id, (spans, warnings) in traces.items()], missing)

    async def v1_trace(request: Request) -> Response:
        trace_id = jp.trace_id(request.path_params["traceID"], "traceID")
        now = _now()
        jp.micros(request.query_params, "start", now)  # accepted and checked, not needed: the id gives the range
        jp.micros(request.query_params, "end", now)
        loaded = await load(tenant_of(request), [trace_id], MAX_TRACE_SPANS)
        if trace_id not in loaded:
            raise NotFound(TRACE_NOT_FOUND)
        spans, warnings = loaded[trace_id]
        return v1_data(request, [jaeger_trace(trace_id, spans, warnings)])

    # --- v3 -------------------------------------------------------------------------------------

    def otlp(traces: dict[str, tuple[list[Row], list[str]]]) -> Response:
        resource_spans = [resource for trace_id, (spans, _) in traces.items()
                          for resource in otlp_resource_spans(trace_id, spans)]
        return _JSON({"result": {"resourceSpans": resource_spans}})

    async def v3_services(request: Request) -> Response:
        return _JSON({"services": await services(tenant_of(request))})

    async def v3_operations(request: Request) -> Response:
        params = request.query_params
        rows = await names(tenant_of(request), text(params, "service"), span_kind(params, "spanKind", "span_kind"))
        return _JSON({"operations": [{"name": row["SpanName"], "spanKind": jaeger_kind(row["SpanKind"])}
                                     for row in rows]})

    def v3_search_query(params: Any) -> _Search:
        def first(*names: str) -> str | None:
            for name in names:
                value = text(params, name)
                if value is not None:
                    return value
            return None

        if params.get("query.filter"):
            raise ParamError("query.filter", "structured filters are not supported; use query.attributes")
        now = _now()
        end, _ = jp.rfc3339(params, ["query.startTimeMax", "query.start_time_max"], now)
        end = now if end is None else end
        start, start_name = jp.rfc3339(params, ["query.startTimeMin", "query.start_time_min"], now)
        start = end - DEFAULT_LOOKBACK_NS if start is None else start
        jp.boolean(params, ["query.rawTraces", "query.raw_traces"])
        attributes = jp.tags_json([params.get("query.attributes", "")], "query.attributes")
        return _Search(service=first("query.serviceName", "query.service_name"),
                       operation=first("query.operationName", "query.operation_name"),
                       tags=jp.bounded_tags(attributes, "query.attributes"), start_ns=start, end_ns=end,
                       min_duration_ns=jp.go_duration(params, ["query.durationMin", "query.duration_min"]),
                       max_duration_ns=jp.go_duration(params, ["query.durationMax", "query.duration_max"]),
                       limit=limit(params, "query.searchDepth", "query.search_depth", "query.num_traces"),
                       start_name=start_name, max_duration_name="query.durationMax")

    async def v3_search(request: Request) -> Response:
        return otlp(await search(tenant_of(request), v3_search_query(request.query_params)))

    async def v3_trace(request: Request) -> Response:
        trace_id = jp.trace_id(request.path_params["trace_id"], "trace_id")
        now = _now()
        params = request.query_params
        jp.rfc3339(params, ["startTime", "start_time"], now)  # accepted and checked, not needed
        jp.rfc3339(params, ["endTime", "end_time"], now)
        jp.boolean(params, ["rawTraces", "raw_traces"])
        loaded = await load(tenant_of(request), [trace_id], MAX_TRACE_SPANS)
        if trace_id not in loaded:
            raise NotFound(TRACE_NOT_FOUND)
        return otlp(loaded)

    def v1(handler: Handler) -> Handler:
        return _answering(_v1_error, handler)

    def v3(handler: Handler) -> Handler:
        return _answering(_v3_error, handler)

    return [
        Route("/jaeger/api/services", v1(v1_services), methods=["GET"]),
        Route("/jaeger/api/services/{service:path}/operations", v1(v1_service_operations), methods=["GET"]),
        Route("/jaeger/api/operations", v1(v1_operations), methods=["GET"]),
        Route("/jaeger/api/traces", v1(v1_search), methods=["GET"]),
        Route("/jaeger/api/traces/{traceID}", v1(v1_trace), methods=["GET"]),
        Route("/jaeger/api/v3/services", v3(v3_services), methods=["GET"]),
        Route("/jaeger/api/v3/operations", v3(v3_operations), methods=["GET"]),
        Route("/jaeger/api/v3/traces", v3(v3_search), methods=["GET"]),
        Route("/jaeger/api/v3/traces/{trace_id}", v3(v3_trace), methods=["GET"]),
    ]
