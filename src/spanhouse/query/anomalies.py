"""Anomaly routes of the query API: list, one with evidence and history, and people's status changes.

  GET  /api/v1/anomalies                       filters status, severity, type (comma lists), agent, model,
                                               start / end (overlapping the anomaly's first..last seen);
                                               limit / offset pagination, newest activity first
  GET  /api/v1/anomalies/{id}                  the anomaly, its evidence and its status history
  POST /api/v1/anomalies/{id}/acknowledge      body (optional) {"actor": "...", "note": "..."}
  POST /api/v1/anomalies/{id}/resolve
  POST /api/v1/anomalies/{id}/false-positive
Every route is scoped to `tenant_of(request)`: another tenant's anomaly is 404. A status change
that cannot follow the current one is 409. The list takes the parameters its OpenAPI description
names, each once: anything else is 400, as on every other list (a misspelt filter would silently
widen it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from spanhouse.detect.lifecycle import (
    ACKNOWLEDGED,
    FALSE_POSITIVE,
    RESOLVED,
    SEVERITIES,
    STATUSES,
    AnomalyNotFound,
    AnomalyStore,
    TransitionRefused,
)
from spanhouse.query import params
from spanhouse.query.listing import documented_params
from spanhouse.query.openapi import JSON, error_responses, ok
from spanhouse.query.params import NS_PER_S, ParamError
from spanhouse.query.reader import Reader, Row

TYPES = ("error_rate", "latency_regression", "cost_spike", "budget", "token_spike", "runaway_loop", "slow_thread",
         "traffic_drop")
ANOMALY_ID = re.compile(r"^[0-9a-f]{32}$")
DAY_NS = 86_400 * NS_PER_S
ACTIONS = {"acknowledge": ACKNOWLEDGED, "resolve": RESOLVED, "false-positive": FALSE_POSITIVE}
MAX_NOTE = 2000

TenantResolver = Callable[[Request], str]


def _json(content: object, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type=JSON)


def _error(status: int, code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message}}, status)


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def public(row: Mapping[str, Any]) -> dict[str, Any]:
    """An anomaly row as the API shows it."""
    return {
        "id": row["id"], "type": row["type"], "rule": row["rule"], "severity": row["severity"],
        "status": row["status"], "condition_active": bool(row["condition_active"]),
        "scope": {"tenant": row["tenant"], "agent": row["agent_name"] or None, "model": row["model"] or None,
                  "tool": row["tool_name"] or None, "thread_id": row["thread_id"] or None,
                  "trace_id": row["trace_id"] or None},
        "metric": row["metric"], "method": row["method"], "observed": row["observed"], "expected": row["expected"],
        "deviation": row["deviation"], "samples": row["samples"],
        "window": {"start": _time(row["window_start"]), "end": _time(row["window_end"])},
        "evidence": {"thread_ids": list(row["evidence_thread_ids"]), "trace_ids": list(row["evidence_trace_ids"])},
        "summary": row["summary"], "first_seen": _time(row["first_seen"]), "last_seen": _time(row["last_seen"]),
        "updated_at": _time(row["updated_at"]),
    }


def _choices(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> list[str]:
    raw = params.text(query, name) or ""
    values = [v.strip() for v in raw.split(",") if v.strip()]
    for value in values:
        if value not in allowed:
            raise ParamError(name, f"must be among {', '.join(allowed)}, got {value[:40]!r}")
    return values


def routes(reader: Reader, tenant_of: TenantResolver, anomalies: AnomalyStore) -> list[BaseRoute]:
    """The anomaly routes.

    Args:
        reader: runs the read-only queries (query/sql/anomalies.sql, anomaly.sql, anomaly_history.sql).
        tenant_of: the tenant whose anomalies a request may see and change.
        anomalies: the process's one AnomalyStore (shared with the detector's scheduler), for status changes.
    """

    async def list_anomalies(request: Request) -> Response:
        tenant = tenant_of(request)
        query = documented_params(request.query_params.multi_items(), OPENAPI["/api/v1/anomalies"])
        window = params.time_range(query, default_window_ns=7 * DAY_NS, max_window_ns=400 * DAY_NS)
        limit = params.integer(query, "limit", 50, minimum=1, maximum=500)
        offset = params.integer(query, "offset", 0, minimum=0, maximum=1_000_000)
        assert limit is not None and offset is not None
        rows = await reader.rows("anomalies", {
            "tenant": tenant,
            "start": datetime.fromtimestamp(window.start_ns / NS_PER_S, UTC),
            "end": datetime.fromtimestamp(window.end_ns / NS_PER_S, UTC),
            "statuses": _choices(query, "status", STATUSES),
            "severities": _choices(query, "severity", SEVERITIES),
            "types": _choices(query, "type", TYPES),
            "agent": params.text(query, "agent", max_length=256) or "",
            "model": params.text(query, "model", max_length=256) or "",
            "limit": limit, "offset": offset,
        })
        # The total rides on each row; an empty first page is a total of 0, a page past the end unknown.
        total = int(rows[0]["total"]) if rows else (0 if offset == 0 else None)
        more = total is not None and offset + len(rows) < total
        return _json({"anomalies": [public(row) for row in rows], "total": total, "limit": limit,
                      "offset": offset, "next_offset": offset + len(rows) if more else None})

    async def _current(tenant: str, anomaly_id: str) -> Row | None:
        rows = await reader.rows("anomaly", {"tenant": tenant, "id": anomaly_id})
        return rows[0] if rows else None

    async def get_anomaly(request: Request) -> Response:
        tenant = tenant_of(request)
        anomaly_id = request.path_params["anomaly_id"]
        if not ANOMALY_ID.fullmatch(anomaly_id):
            return _error(404, "anomaly_not_found", f"no anomaly {anomaly_id[:40]}")
        row = await _current(tenant, anomaly_id)
        if row is None:
            return _error(404, "anomaly_not_found", f"no anomaly {anomaly_id}")
        history = await reader.rows("anomaly_history", {"tenant": tenant, "id": anomaly_id})
        return _json({**public(row), "history": [
            {"at": _time(h["at"]), "actor": h["actor"], "from_status": h["from_status"] or None,
             "to_status": h["to_status"], "note": h["note"]} for h in history]})

    def action(to_status: str) -> Callable[[Request], Any]:
        async def change(request: Request) -> Response:
            tenant = tenant_of(request)
            anomaly_id = request.path_params["anomaly_id"]
            if not ANOMALY_ID.fullmatch(anomaly_id):
                return _error(404, "anomaly_not_found", f"no anomaly {anomaly_id[:40]}")
            actor, note = await _actor_and_note(request)
            try:
                row = await anyio.to_thread.run_sync(anomalies.transition, tenant, anomaly_id, to_status, actor, note)
            except AnomalyNotFound:
                return _error(404, "anomaly_not_found", f"no anomaly {anomaly_id}")
            except TransitionRefused as exc:
                return _error(409, "status_conflict", str(exc))
            return _json(public(row))
        return change

    return [
        Route("/api/v1/anomalies", list_anomalies, methods=["GET"]),
        Route("/api/v1/anomalies/{anomaly_id}", get_anomaly, methods=["GET"]),
        *[Route(f"/api/v1/anomalies/{{anomaly_id}}/{name}", action(status), methods=["POST"])
          for name, status in ACTIONS.items()],
    ]


async def _actor_and_note(request: Request) -> tuple[str, str]:
    body = await request.body()
    if not body.strip():
        return "api", ""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParamError("body", "must be a JSON object") from exc
    if not isinstance(data, dict):
        raise ParamError("body", "must be a JSON object")
    actor, note = data.get("actor", "api"), data.get("note", "")
    if not isinstance(actor, str) or not actor or len(actor) > 256:
        raise ParamError("actor", "must be a non-empty string of at most 256 characters")
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise ParamError("note", f"must be a string of at most {MAX_NOTE} characters")
    return actor, note


_SCOPE: dict[str, Any] = {
    "type": "object", "required": ["tenant", "agent", "model", "tool", "thread_id", "trace_id"],
    "properties": {name: {"type": ["string", "null"]} for name in ("agent", "model", "tool", "thread_id", "trace_id")}
    | {"tenant": {"type": "string"}},
}
ANOMALY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "type", "rule", "severity", "status", "condition_active", "scope", "metric", "method",
                 "observed", "expected", "deviation", "samples", "window", "evidence", "summary", "first_seen",
                 "last_seen", "updated_at"],
    "properties": {
        "id": {"type": "string"}, "type": {"enum": list(TYPES)}, "rule": {"type": "string"},
        "severity": {"enum": list(SEVERITIES)}, "status": {"enum": list(STATUSES)},
        "condition_active": {"type": "boolean"}, "scope": _SCOPE, "metric": {"type": "string"},
        "method": {"type": "string"}, "observed": {"type": "number"}, "expected": {"type": "number"},
        "deviation": {"type": "number"}, "samples": {"type": "integer"},
        "window": {"type": "object", "required": ["start", "end"],
                   "properties": {"start": {"type": "string"}, "end": {"type": "string"}}},
        "evidence": {"type": "object", "required": ["thread_ids", "trace_ids"],
                     "properties": {"thread_ids": {"type": "array", "items": {"type": "string"}},
                                    "trace_ids": {"type": "array", "items": {"type": "string"}}}},
        "summary": {"type": "string"}, "first_seen": {"type": "string"}, "last_seen": {"type": "string"},
        "updated_at": {"type": "string"},
    },
}
_HISTORY_ITEM: dict[str, Any] = {
    "type": "object", "required": ["at", "actor", "from_status", "to_status", "note"],
    "properties": {"at": {"type": "string"}, "actor": {"type": "string"},
                   "from_status": {"type": ["string", "null"]}, "to_status": {"type": "string"},
                   "note": {"type": "string"}},
}
_ID_PARAM = {"name": "anomaly_id", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^[^\\x00-\\x1f\\x7f]+$"}}
_LIST_PARAMS = [
    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": description}
    for name, description in (
        ("status", "comma-separated statuses: OPEN, ACKNOWLEDGED, RESOLVED, FALSE_POSITIVE"),
        ("severity", "comma-separated severities: info, warning, critical"),
        ("type", "comma-separated anomaly types"),
        ("agent", "agent name"), ("model", "model name"),
        ("start", "RFC 3339, Unix time or -7d (default: end - 7 days)"), ("end", "default: now"))
] + [{"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
     {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}}]
_CHANGE_BODY = {"required": False, "content": {JSON: {"schema": {
    "type": "object", "properties": {"actor": {"type": "string", "minLength": 1, "maxLength": 256},
                                     "note": {"type": "string", "maxLength": MAX_NOTE}}}}}}


def _change(summary: str, operation: str) -> dict[str, Any]:
    return {"post": {
        "summary": summary, "operationId": operation, "parameters": [_ID_PARAM], "requestBody": _CHANGE_BODY,
        "responses": {**ok(ANOMALY), "409": {"description": "the status cannot follow the current one",
                                             "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}},
                      **error_responses(400, 401, 403, 404, 500, 503)},
    }}


OPENAPI: dict[str, Any] = {
    "/api/v1/anomalies": {"get": {
        "summary": "The tenant's anomalies, newest activity first, filtered and paginated",
        "operationId": "listAnomalies", "parameters": _LIST_PARAMS,
        "responses": {**ok({"type": "object", "required": ["anomalies", "total", "limit", "offset", "next_offset"],
                            "properties": {"anomalies": {"type": "array", "items": ANOMALY},
                                           "total": {"type": ["integer", "null"]}, "limit": {"type": "integer"},
                                           "offset": {"type": "integer"},
                                           "next_offset": {"type": ["integer", "null"]}}}),
                      **error_responses(400, 401, 403, 500, 503)},
    }},
    "/api/v1/anomalies/{anomaly_id}": {"get": {
        "summary": "One anomaly with its evidence and status history", "operationId": "getAnomaly",
        "parameters": [_ID_PARAM],
        "responses": {**ok({**ANOMALY, "required": [*ANOMALY["required"], "history"],
                            "properties": {**ANOMALY["properties"],
                                           "history": {"type": "array", "items": _HISTORY_ITEM}}}),
                      **error_responses(401, 403, 404, 500, 503)},
    }},
    "/api/v1/anomalies/{anomaly_id}/acknowledge": _change("Acknowledge an open anomaly", "acknowledgeAnomaly"),
    "/api/v1/anomalies/{anomaly_id}/resolve": _change("Resolve an anomaly", "resolveAnomaly"),
    "/api/v1/anomalies/{anomaly_id}/false-positive": _change("Mark an anomaly a false positive",
                                                             "markAnomalyFalsePositive"),
}
