"""GET /api/v1/costs?group_by=model|agent|user|tenant|day: cost and tokens per group, and unpriced models.

Groups come sorted by cost (then tokens, then name), with the total over all groups and each
group's share of the cost; groups with neither tokens nor cost are left out. Sources:
  * model, tenant, day: the hourly metrics rollup while it holds the range, else the daily one, the
    range widened to whole hours (days); a span counts in the bucket it started in.
  * agent, user: `trace_rollup`, the turns (traces) started in the range, to the ns. A turn's whole
    cost goes to its outer agent (the earliest span naming one) and to the user any of its spans
    names: LLM calls seldom name either, so the span-level rollups would file most cost under ''.
    That rollup keeps no cache-read tokens nor unpriced counts: those fields are null there.
Like every endpoint this is tenant-scoped: `group_by=tenant` shows the caller's tenant only.
`unpriced_models` lists, whatever the grouping, the models with spans that reported tokens but have
no price (their cost is missing from every cost_usd), from the rollups' unpriced counts over the
range widened to whole buckets, never from the unpriced_models view, which scans every raw span.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from spanhouse.query import params
from spanhouse.query.listing import documented_params
from spanhouse.query.metrics_openapi import COSTS_PATHS
from spanhouse.query.params import NS_PER_S
from spanhouse.query.reader import Reader, Row
from spanhouse.query.responses import JSONResponse, amount, count
from spanhouse.query.rollups import DAY, HOUR, finest_kept, ratio, rfc3339, rfc3339_ns, stored_times
from spanhouse.store.retention import Retention

if TYPE_CHECKING:
    from spanhouse.query.api import TenantResolver

OPENAPI: dict[str, Any] = COSTS_PATHS  # OpenAPI 3.1 path items of these routes

DAY_NS = 86_400 * NS_PER_S
DEFAULT_WINDOW_NS, MAX_WINDOW_NS = 30 * DAY_NS, 400 * DAY_NS
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
GROUP_BY = ("model", "agent", "user", "tenant", "day")
BY_TURN = frozenset({"agent", "user"})
EMPTY_TOTAL: Row = {"is_total": 1, "group_key": "", "cost_usd": 0.0, "input_tokens": 0, "output_tokens": 0,
                    "cache_read_tokens": 0, "total_tokens": 0, "llm_calls": 0, "embedding_calls": 0,
                    "unpriced_calls": 0, "turns": 0}


def routes(reader: Reader, tenant_of: TenantResolver, *, retention: Retention | None = None) -> list[BaseRoute]:
    """The cost route.

    Args:
        reader: runs query/sql/costs_*.sql.
        tenant_of: the tenant whose data a request may see; every query is filtered by it.
        retention: how long each rollup is kept (default the settings' defaults), which decides
            whether the hourly rollup still holds a range.
    """
    kept = retention or Retention()

    async def costs(request: Request) -> Response:
        query = documented_params(request.query_params.multi_items(), COSTS_PATHS["/api/v1/costs"])
        return JSONResponse(await _costs(reader, tenant_of(request), query, kept, time.time_ns()))

    return [Route("/api/v1/costs", costs, methods=["GET"])]


def _group(row: Row, by_turn: bool, total_cost: float) -> dict[str, Any]:
    cost = amount(float(row["cost_usd"]))
    return {
        "group": row["group_key"], "cost_usd": cost, "share": ratio(cost, total_cost),
        "input_tokens": count(row["input_tokens"]), "output_tokens": count(row["output_tokens"]),
        "cache_read_tokens": None if by_turn else count(row["cache_read_tokens"]),
        "total_tokens": count(row["total_tokens"]),
        "llm_calls": row["llm_calls"], "embedding_calls": row["embedding_calls"],
        "unpriced_calls": None if by_turn else row["unpriced_calls"],
        "turns": row["turns"] if by_turn else None,
    }


async def _costs(reader: Reader, tenant: str, query: Mapping[str, str], retention: Retention,
                 now_ns: int) -> dict[str, Any]:
    group_by = params.choice(query, "group_by", GROUP_BY, "model") or "model"
    span = stored_times(params.time_range(query, default_window_ns=DEFAULT_WINDOW_NS, max_window_ns=MAX_WINDOW_NS,
                                          now_ns=now_ns))
    limit = params.integer(query, "limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT) or DEFAULT_LIMIT
    grain = finest_kept((HOUR, DAY), span.start_ns, retention, now_ns)
    start_s, end_s = grain.floor_s(span.start_ns), grain.ceil_s(span.end_ns)
    buckets = {"table": grain.table, "time_column": grain.column, "tenant": tenant, "start_s": start_s,
               "end_s": end_s}
    by_turn = group_by in BY_TURN
    if by_turn:
        rows = await reader.rows("costs_by_turn", {"tenant": tenant, "group_by": group_by, "start_ns": span.start_ns,
                                                   "end_ns": span.end_ns, "rows": limit + 2})
        covered = {"start": rfc3339_ns(span.start_ns), "end": rfc3339_ns(span.end_ns), "source": "trace_rollup"}
    else:
        rows = await reader.rows("costs_by_span", {**buckets, "group_by": group_by, "rows": limit + 2})
        covered = {"start": rfc3339(start_s), "end": rfc3339(end_s), "source": grain.table}
    unpriced = await reader.rows("costs_unpriced", buckets)

    total_row = next((row for row in rows if row["is_total"]), EMPTY_TOTAL)
    groups = [row for row in rows if not row["is_total"]]
    total_cost = amount(float(total_row["cost_usd"]))
    total = _group(total_row, by_turn, total_cost)
    del total["group"], total["share"]
    return {
        "group_by": group_by, **covered, "total": total,
        "groups": [_group(row, by_turn, total_cost) for row in groups[:limit]],
        "truncated": len(groups) > limit,
        "unpriced_models": [{
            "model": row["model"], "unpriced_calls": row["unpriced_calls"], "calls": row["calls"],
            "input_tokens": count(row["input_tokens"]), "output_tokens": count(row["output_tokens"]),
            "first_bucket": rfc3339(row["first_bucket"]), "last_bucket": rfc3339(row["last_bucket"]),
        } for row in unpriced],
        "unpriced_range": {"start": rfc3339(start_s), "end": rfc3339(end_s),
                           "source": grain.table},
    }
