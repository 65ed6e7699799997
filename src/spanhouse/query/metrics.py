"""GET /api/v1/metrics/kpi, /metrics/timeseries and /metrics/agents: dashboards, from the rollups only.

  /metrics/kpi?window=1h         KPIs of the last `window` (5m..7d, whole minutes; the running
                                 minute or hour included) against the window before it, with the
                                 change (absolute, and in % unless the previous value is 0 or null)
  /metrics/timeseries?measure=   one measure per minute / hour / day bucket, optionally grouped by
                                 agent, model, service or category (the top N groups, the rest
                                 folded into one series) and filtered by them
  /metrics/agents                per outer agent of the turns started in a range

KPIs and time series read the metrics rollups (`minute_metrics_rollup` while it holds the range,
else `hourly_metrics_rollup`; the time series the table of its bucket), never raw spans; distinct
counts and percentiles are merged from the rollups' states, never added or averaged across rows.
Agents read `trace_rollup`, so a turn's every span counts for the agent that ran it.

Semantics, shared with the README:
  * error_rate: spans with status Error / all spans; llm_error_rate: failed LLM calls / LLM calls.
  * active threads / unique_threads: distinct thread ids named by spans that started in the window
    or bucket (usually each turn's root), exact up to 65,536 per answer (ClickHouse `uniq`).
  * latencies in ms; KPI latencies are over LLM calls, time-series latencies over the spans the
    filters select (`category=LLM` for LLM calls); percentiles to about 0.4% (quantilesBFloat16).
  * a bucket without data is 0 for counts, tokens and cost, null for ratios and latencies; a KPI
    likewise; null when there is nothing to divide by.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from spanhouse.query import params
from spanhouse.query.listing import documented_params
from spanhouse.query.metrics_openapi import METRICS_PATHS
from spanhouse.query.params import NS_PER_S, ParamError
from spanhouse.query.reader import Reader, Row
from spanhouse.query.responses import JSONResponse, amount, count
from spanhouse.query.rollups import (
    DAY,
    DIMENSIONS,
    GRAINS,
    HOUR,
    MINUTE,
    NO_DIMENSION,
    Grain,
    finite,
    ratio,
    rfc3339,
    rfc3339_ns,
    stored_times,
)
from spanhouse.store.retention import Retention

if TYPE_CHECKING:
    from spanhouse.query.api import TenantResolver

OPENAPI: dict[str, Any] = METRICS_PATHS  # OpenAPI 3.1 path items of these routes

Query = Mapping[str, str]
MINUTE_NS = 60 * NS_PER_S
DAY_NS = 86_400 * NS_PER_S
KPI_WINDOW_MIN_NS, KPI_WINDOW_MAX_NS = 5 * MINUTE_NS, 7 * DAY_NS
MAX_BUCKETS = 1500
DEFAULT_SERIES_WINDOW_NS = {"minute": 3600 * NS_PER_S, "hour": DAY_NS, "day": 30 * DAY_NS}
DEFAULT_TOP, MAX_TOP = 10, 100
AGENTS_DEFAULT_WINDOW_NS, AGENTS_MAX_WINDOW_NS = DAY_NS, 400 * DAY_NS
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


def _quantile(index: int) -> Callable[[Row], float | None]:
    return lambda row: finite(row["duration_quantiles_ms"][index]) if row["spans"] else None


# measure -> its value from a row of metrics_timeseries.sql
MEASURES: dict[str, Callable[[Row], Any]] = {
    "spans": lambda row: row["spans"],
    "llm_calls": lambda row: row["llm_calls"],
    "errors": lambda row: row["errors"],
    "error_rate": lambda row: ratio(row["errors"], row["spans"]),
    "input_tokens": lambda row: count(row["input_tokens"]),
    "output_tokens": lambda row: count(row["output_tokens"]),
    "cache_read_tokens": lambda row: count(row["cache_read_tokens"]),
    "total_tokens": lambda row: count(row["total_tokens"]),
    "cost_usd": lambda row: amount(float(row["cost_usd"])),
    "unpriced_spans": lambda row: row["unpriced_spans"],
    "avg_latency_ms": lambda row: ratio(row["duration_ns"] / 1e6, row["spans"]),
    "p50_latency_ms": _quantile(0),
    "p95_latency_ms": _quantile(1),
    "p99_latency_ms": _quantile(2),
    "unique_threads": lambda row: row["unique_threads"],
    "unique_users": lambda row: row["unique_users"],
}
# measures with no value in an empty bucket (the others are 0 there)
UNDEFINED_WHEN_EMPTY = frozenset({"error_rate", "avg_latency_ms", "p50_latency_ms", "p95_latency_ms",
                                  "p99_latency_ms"})

KPIS = ("active_threads", "llm_calls", "input_tokens", "output_tokens", "total_tokens", "cost_usd",
        "avg_llm_latency_ms", "p95_llm_latency_ms", "error_rate", "llm_error_rate", "spans", "errors")


def routes(reader: Reader, tenant_of: TenantResolver, *, retention: Retention | None = None) -> list[BaseRoute]:
    """The metrics routes.

    Args:
        reader: runs query/sql/metrics_*.sql.
        tenant_of: the tenant whose data a request may see; every query is filtered by it.
        retention: how long each rollup is kept (the settings' retention; default the defaults), which
            decides which rollup still holds a range.
    """
    kept = retention or Retention()

    def query(request: Request, path: str) -> Query:
        return documented_params(request.query_params.multi_items(), METRICS_PATHS[path])

    async def kpi(request: Request) -> Response:
        return JSONResponse(await _kpi(reader, tenant_of(request), query(request, "/api/v1/metrics/kpi"), kept,
                                       time.time_ns()))

    async def timeseries(request: Request) -> Response:
        return JSONResponse(await _timeseries(reader, tenant_of(request), query(request, "/api/v1/metrics/timeseries"),
                                              kept, time.time_ns()))

    async def agents(request: Request) -> Response:
        return JSONResponse(await _agents(reader, tenant_of(request), query(request, "/api/v1/metrics/agents"),
                                          time.time_ns()))

    return [
        Route("/api/v1/metrics/kpi", kpi, methods=["GET"]),
        Route("/api/v1/metrics/timeseries", timeseries, methods=["GET"]),
        Route("/api/v1/metrics/agents", agents, methods=["GET"]),
    ]


# --- KPIs ------------------------------------------------------------------------------------------

def kpi_window(query: Query, retention: Retention, now_ns: int) -> tuple[str, Grain, int, int]:
    """(window text, grain, current window start, end) in Unix seconds for `?window=`.

    Minute rollups when they hold both windows, else hourly ones with the window rounded up to whole
    hours; the windows end with the running bucket.
    """
    text = query.get("window") or "1h"
    window_ns = params.duration_ns(text, "window")
    if not KPI_WINDOW_MIN_NS <= window_ns <= KPI_WINDOW_MAX_NS:
        raise ParamError("window", f"must be from 5m to 7d, got {text[:40]!r}")
    if window_ns % MINUTE_NS:
        raise ParamError("window", f"must be whole minutes, got {text[:40]!r}")
    minute_days = retention.minute_days
    grain = MINUTE if not minute_days or 2 * window_ns <= minute_days * DAY_NS else HOUR
    window_s = HOUR.ceil_s(window_ns) if grain is HOUR else window_ns // NS_PER_S
    end_s = grain.floor_s(now_ns) + grain.seconds
    return text, grain, end_s - window_s, end_s


def _kpis(row: Row | None) -> dict[str, Any]:
    if row is None:
        return {"active_threads": 0, "llm_calls": 0, "input_tokens": 0, "output_tokens": 0, "total_tokens": 0,
                "cost_usd": 0.0, "avg_llm_latency_ms": None, "p95_llm_latency_ms": None, "error_rate": None,
                "llm_error_rate": None, "spans": 0, "errors": 0}
    llm_calls = row["llm_calls"]
    return {
        "active_threads": row["active_threads"], "llm_calls": llm_calls, "input_tokens": count(row["input_tokens"]),
        "output_tokens": count(row["output_tokens"]), "total_tokens": count(row["total_tokens"]),
        "cost_usd": amount(float(row["cost_usd"])),
        "avg_llm_latency_ms": ratio(row["llm_duration_ns"] / 1e6, llm_calls),
        "p95_llm_latency_ms": finite(row["p95_llm_latency_ms"]) if llm_calls else None,
        "error_rate": ratio(row["errors"], row["spans"]), "llm_error_rate": ratio(row["llm_errors"], llm_calls),
        "spans": row["spans"], "errors": row["errors"],
    }


def _change(value: Any, previous: Any) -> dict[str, Any]:
    change = None if value is None or previous is None else value - previous
    return {"value": value, "previous": previous, "change": change,
            "change_pct": change / previous * 100 if change is not None and previous else None}


async def _kpi(reader: Reader, tenant: str, query: Query, retention: Retention, now_ns: int) -> dict[str, Any]:
    text, grain, start_s, end_s = kpi_window(query, retention, now_ns)
    window_s = end_s - start_s
    rows = await reader.rows("metrics_kpi", {
        "table": grain.table, "time_column": grain.column, "tenant": tenant, "current_start_s": start_s,
        "previous_start_s": start_s - window_s, "end_s": end_s})
    by_period = {row["period"]: row for row in rows}
    current, previous = _kpis(by_period.get("current")), _kpis(by_period.get("previous"))
    return {
        "window": text, "window_seconds": window_s, "bucket": grain.name,
        "current": {"start": rfc3339(start_s), "end": rfc3339(end_s)},
        "previous": {"start": rfc3339(start_s - window_s), "end": rfc3339(start_s)},
        "kpis": {name: _change(current[name], previous[name]) for name in KPIS},
    }


# --- time series -----------------------------------------------------------------------------------

def series_range(query: Query, retention: Retention, now_ns: int) -> tuple[Grain, int, int]:
    """(grain, start, end) in Unix seconds, widened to whole buckets, for `bucket`, `start`, `end`."""
    grain = GRAINS[params.choice(query, "bucket", GRAINS, "hour") or "hour"]
    span = stored_times(params.time_range(query, default_window_ns=DEFAULT_SERIES_WINDOW_NS[grain.name],
                                          max_window_ns=(MAX_BUCKETS + 1) * DAY_NS, now_ns=now_ns))
    start_s, end_s = grain.floor_s(span.start_ns), grain.ceil_s(span.end_ns)
    buckets = (end_s - start_s) // grain.seconds
    if buckets > MAX_BUCKETS:
        raise ParamError("bucket", f"{grain.name} buckets over this range would be {buckets}, at most {MAX_BUCKETS}: "
                                   "use a larger bucket or a shorter range")
    kept_since = grain.kept_since_ns(retention, now_ns)
    if kept_since is not None and span.start_ns < kept_since:
        larger = "" if grain is DAY else ", or use a larger bucket"
        raise ParamError("start", f"{grain.name} buckets are kept {grain.retention_days(retention)} days: start "
                                  f"must be after {rfc3339(kept_since // NS_PER_S)}{larger}")
    return grain, start_s, end_s


def _filters(query: Query) -> dict[str, str | None]:
    return {name: params.text(query, name, max_length=512) for name in DIMENSIONS}


async def _timeseries(reader: Reader, tenant: str, query: Query, retention: Retention,
                      now_ns: int) -> dict[str, Any]:
    if not query.get("measure"):
        raise ParamError("measure", f"required: one of {', '.join(MEASURES)}")
    measure = params.choice(query, "measure", MEASURES) or ""
    group_by = params.choice(query, "group_by", DIMENSIONS)
    top = params.integer(query, "top", DEFAULT_TOP, minimum=1, maximum=MAX_TOP) or DEFAULT_TOP
    filters = _filters(query)
    grain, start_s, end_s = series_range(query, retention, now_ns)
    value_of = MEASURES[measure]
    base = {"table": grain.table, "time_column": grain.column, "tenant": tenant, "start_s": start_s,
            "end_s": end_s, "dimension": DIMENSIONS[group_by] if group_by else NO_DIMENSION, **filters}

    keep: list[str] = []
    if group_by:
        totals = await reader.rows("metrics_timeseries", {**base, "fold": 0, "keep": [], "totals_only": 1})
        if len(totals) > top:
            keep = [row["group_key"] for row in sorted(totals, key=lambda row: _rank(value_of(row), row))][:top]
    rows = await reader.rows("metrics_timeseries", {**base, "fold": 1 if keep else 0, "keep": keep, "totals_only": 0})

    buckets = list(range(start_s, end_s, grain.seconds))
    empty = None if measure in UNDEFINED_WHEN_EMPTY else (0.0 if measure == "cost_usd" else 0)
    series: dict[tuple[str, int], dict[str, Any]] = {}
    for row in rows:
        if row["is_total"]:
            series[row["group_key"], row["folded"]] = {
                "group": None if row["folded"] or not group_by else row["group_key"],
                "folded": row["groups"] if row["folded"] else 0, "total": value_of(row),
                "values": [empty] * len(buckets)}
    for row in rows:
        if not row["is_total"]:
            series[row["group_key"], row["folded"]]["values"][(row["bucket"] - start_s) // grain.seconds] = (
                value_of(row))
    ordered = sorted(series.values(), key=lambda item: (item["folded"] > 0, *_rank(item["total"], item)))
    if not group_by and not ordered:
        ordered = [{"group": None, "folded": 0, "total": empty, "values": [empty] * len(buckets)}]
    return {
        "measure": measure, "bucket": grain.name, "bucket_seconds": grain.seconds, "group_by": group_by,
        "filters": {name: value for name, value in filters.items() if value is not None},
        "start": rfc3339(start_s), "end": rfc3339(end_s), "buckets": [rfc3339(bucket) for bucket in buckets],
        "series": ordered,
    }


def _rank(value: Any, row: dict[str, Any]) -> tuple[bool, float, str]:
    """Largest first, groups without a value last, then by name."""
    name = row.get("group_key", row.get("group")) or ""
    return (value is None, -(value or 0), name)


# --- agents ----------------------------------------------------------------------------------------

async def _agents(reader: Reader, tenant: str, query: Query, now_ns: int) -> dict[str, Any]:
    span = stored_times(params.time_range(query, default_window_ns=AGENTS_DEFAULT_WINDOW_NS,
                                          max_window_ns=AGENTS_MAX_WINDOW_NS, now_ns=now_ns))
    limit = params.integer(query, "limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT) or DEFAULT_LIMIT
    rows = await reader.rows("metrics_agents", {"tenant": tenant, "start_ns": span.start_ns, "end_ns": span.end_ns,
                                                "limit": limit + 1})
    agents = [{
        "agent_name": row["agent_name"], "turns": row["turns"], "threads": row["threads"], "users": row["users"],
        "spans": row["spans"], "llm_calls": row["llm_calls"], "tool_calls": row["tool_calls"],
        "input_tokens": count(row["input_tokens"]), "output_tokens": count(row["output_tokens"]),
        "total_tokens": count(row["total_tokens"]), "cost_usd": amount(float(row["cost_usd"])), "errors": row["errors"],
        "turns_with_errors": row["turns_with_errors"], "error_share": ratio(row["turns_with_errors"], row["turns"]),
        "avg_turn_ms": finite(row["avg_turn_ms"]), "p95_turn_ms": finite(row["p95_turn_ms"]),
        "avg_llm_latency_ms": ratio(row["llm_duration_ns"] / 1e6, row["llm_calls"]),
    } for row in rows[:limit]]
    return {"start": rfc3339_ns(span.start_ns), "end": rfc3339_ns(span.end_ns), "agents": agents,
            "truncated": len(rows) > limit}
