"""Alert routes of the query API: what became of every alert, and a test message on demand.

  GET  /api/v1/alerts/deliveries   filters route, outcome and event (comma lists), anomaly_id,
                                   start / end (default the last 7 days, at most 400); limit /
                                   offset pagination, newest first; read role
  POST /api/v1/alerts/test         body (optional) {"route": "<name>"}: a test message to that route,
                                   or to every route serving the caller's tenant; the outcomes;
                                   admin role. 404 names an unknown route, 409 says no route is
                                   configured (or none serves the tenant).
Both are scoped to `tenant_of(request)`: deliveries of another tenant's anomalies are not listed,
and another tenant's route is unknown. The list takes the parameters its OpenAPI description
names, each once: anything else is 400, as on every other list (a misspelt filter would silently
widen it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from spanhouse.alert.alerter import Alerter, NoRoutes, UnknownRoute
from spanhouse.alert.deliveries import OUTCOMES, Delivery
from spanhouse.alert.payloads import TEST_EVENT
from spanhouse.alert.routes import EVENTS, FORMATS
from spanhouse.query import params
from spanhouse.query.listing import documented_params
from spanhouse.query.openapi import JSON, error_responses, ok
from spanhouse.query.params import NS_PER_S, ParamError
from spanhouse.query.reader import Reader
from spanhouse.query.responses import JSONResponse
from spanhouse.query.sql_api import AdminCheck

DAY_NS = 86_400 * NS_PER_S
DELIVERY_EVENTS = (*EVENTS, TEST_EVENT)
ANOMALY_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_ROUTE_NAME = 64

TenantResolver = Callable[[Request], str]


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def public(row: Mapping[str, Any] | Delivery) -> dict[str, Any]:
    """A delivery (a row of alert_deliveries) as the API shows it."""
    values = row if isinstance(row, Mapping) else asdict(row)
    return {
        "id": values["id"], "at": _time(values["at"]), "route": values["route"], "format": values["format"],
        "event": values["event"], "anomaly_id": values["anomaly_id"] or None, "outcome": values["outcome"],
        "attempts": int(values["attempts"]), "http_status": int(values["http_status"]) or None,
        "detail": values["detail"],
    }


def _choices(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> list[str]:
    raw = params.text(query, name) or ""
    values = [v.strip() for v in raw.split(",") if v.strip()]
    for value in values:
        if value not in allowed:
            raise ParamError(name, f"must be among {', '.join(allowed)}, got {value[:40]!r}")
    return values


def routes(reader: Reader, tenant_of: TenantResolver, require_admin: AdminCheck, alerter: Alerter) -> list[BaseRoute]:
    """The alert routes.

    Args:
        reader: runs query/sql/alert_deliveries.sql.
        tenant_of: the tenant whose deliveries a request may see (read role).
        require_admin: raises unless the request may send test messages (admin role).
        alerter: the process's alerter, which knows the routes and sends the test messages.
    """

    async def list_deliveries(request: Request) -> Response:
        tenant = tenant_of(request)
        query = documented_params(request.query_params.multi_items(), OPENAPI["/api/v1/alerts/deliveries"])
        window = params.time_range(query, default_window_ns=7 * DAY_NS, max_window_ns=400 * DAY_NS)
        limit = params.integer(query, "limit", 100, minimum=1, maximum=1000)
        offset = params.integer(query, "offset", 0, minimum=0, maximum=1_000_000)
        assert limit is not None and offset is not None
        anomaly_id = params.text(query, "anomaly_id", max_length=64) or ""
        if anomaly_id and not ANOMALY_ID.fullmatch(anomaly_id):
            raise ParamError("anomaly_id", "must be 32 lowercase hex characters")
        rows = await reader.rows("alert_deliveries", {
            "tenant": tenant,
            "start": datetime.fromtimestamp(window.start_ns / NS_PER_S, UTC),
            "end": datetime.fromtimestamp(window.end_ns / NS_PER_S, UTC),
            "route": params.text(query, "route", max_length=MAX_ROUTE_NAME) or "",
            "anomaly_id": anomaly_id,
            "outcomes": _choices(query, "outcome", OUTCOMES),
            "events": _choices(query, "event", DELIVERY_EVENTS),
            "limit": limit, "offset": offset,
        })
        # The total rides on each row; an empty first page is a total of 0, a page past the end unknown.
        total = int(rows[0]["total"]) if rows else (0 if offset == 0 else None)
        more = total is not None and offset + len(rows) < total
        return JSONResponse({"deliveries": [public(row) for row in rows], "total": total, "limit": limit,
                             "offset": offset, "next_offset": offset + len(rows) if more else None})

    async def send_test(request: Request) -> Response:
        require_admin(request)
        tenant = tenant_of(request)
        route = await _route_asked(request)
        try:
            sent = await anyio.to_thread.run_sync(alerter.test, tenant, route)
        except UnknownRoute as exc:
            return _error(404, "alert_route_not_found", str(exc))
        except NoRoutes as exc:
            return _error(409, "no_alert_routes", str(exc))
        return JSONResponse({"deliveries": [public(delivery) for delivery in sent]})

    return [
        Route("/api/v1/alerts/deliveries", list_deliveries, methods=["GET"]),
        Route("/api/v1/alerts/test", send_test, methods=["POST"]),
    ]


async def _route_asked(request: Request) -> str | None:
    body = await request.body()
    if not body.strip():
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParamError("body", "must be a JSON object") from exc
    if not isinstance(data, dict):
        raise ParamError("body", "must be a JSON object")
    unknown = sorted(set(data) - {"route"})
    if unknown:
        raise ParamError("body", f"unknown fields: {', '.join(name[:40] for name in unknown[:5])}")
    route = data.get("route")
    if route is None:
        return None
    if not isinstance(route, str) or not route or len(route) > MAX_ROUTE_NAME:
        raise ParamError("route", f"must be a route name: a string of 1 to {MAX_ROUTE_NAME} characters")
    return route


DELIVERY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "at", "route", "format", "event", "anomaly_id", "outcome", "attempts", "http_status", "detail"],
    "properties": {
        "id": {"type": "string"}, "at": {"type": "string"}, "route": {"type": "string"},
        "format": {"enum": list(FORMATS)}, "event": {"enum": list(DELIVERY_EVENTS)},
        "anomaly_id": {"type": ["string", "null"], "description": "null for a test message"},
        "outcome": {"enum": list(OUTCOMES)},
        "attempts": {"type": "integer", "description": "HTTP attempts made; 0 when throttled"},
        "http_status": {"type": ["integer", "null"], "description": "status of the last answer; null when none came"},
        "detail": {"type": "string", "description": "why it failed or was throttled; empty when sent"},
    },
}
_LIST_PARAMS = [
    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": description}
    for name, description in (
        ("route", "route name"), ("outcome", "comma-separated outcomes: sent, failed, throttled"),
        ("event", "comma-separated events: opened, escalated, resolved, test"),
        ("anomaly_id", "the anomaly alerted about (32 hex characters)"),
        ("start", "RFC 3339, Unix time or -7d (default: end - 7 days)"), ("end", "default: now"))
] + [{"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
     {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}}]
_CONFLICT = {"description": "no alert route is configured, or none serves the tenant",
             "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}

OPENAPI: dict[str, Any] = {
    "/api/v1/alerts/deliveries": {"get": {
        "summary": "What became of the tenant's alerts (sent, failed, throttled), newest first",
        "operationId": "listAlertDeliveries", "parameters": _LIST_PARAMS,
        "responses": {**ok({"type": "object", "required": ["deliveries", "total", "limit", "offset", "next_offset"],
                            "properties": {"deliveries": {"type": "array", "items": DELIVERY},
                                           "total": {"type": ["integer", "null"]}, "limit": {"type": "integer"},
                                           "offset": {"type": "integer"},
                                           "next_offset": {"type": ["integer", "null"]}}}),
                      **error_responses(400, 401, 403, 500, 503)},
    }},
    "/api/v1/alerts/test": {"post": {
        "summary": "Send a test message to one alert route, or to every route of the tenant (admin key)",
        "operationId": "testAlertRoutes",
        "requestBody": {"required": False, "content": {JSON: {"schema": {
            "type": "object", "additionalProperties": False,
            "properties": {"route": {"type": "string", "minLength": 1, "maxLength": MAX_ROUTE_NAME}}}}}},
        "responses": {**ok({"type": "object", "required": ["deliveries"],
                            "properties": {"deliveries": {"type": "array", "items": DELIVERY}}},
                           "the outcome per route (a failed delivery is an outcome, not an error)"),
                      "409": _CONFLICT, **error_responses(400, 401, 403, 404, 500, 503)},
    }},
}
