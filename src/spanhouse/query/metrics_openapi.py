"""OpenAPI 3.1 path items of the metrics and cost routes (`metrics.OPENAPI`, `costs.OPENAPI`).

Self-contained (no `$ref` into shared components), so the lead's /openapi.json merges them as they
are; `tests/query/test_metrics.py` validates real answers against these schemas.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

TIME = ("RFC 3339 (`2026-11-22T10:00:00Z`), Unix seconds / ms / ns, `now`, or relative (`-1h`, `-7d`): "
        "always UTC")
COUNT: Schema = {"type": "integer", "minimum": 0}
NUMBER: Schema = {"type": "number"}
MAYBE_NUMBER: Schema = {"type": ["number", "null"]}
TIMESTAMP: Schema = {"type": "string", "format": "date-time"}
RANGE: Schema = {"start": TIMESTAMP, "end": TIMESTAMP}


def obj(properties: dict[str, Schema], description: str | None = None) -> Schema:
    schema: Schema = {"type": "object", "required": list(properties), "properties": properties}
    if description:
        schema["description"] = description
    return schema


def param(name: str, schema: Schema, description: str, *, required: bool = False) -> Schema:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


ERROR = obj({"error": {"type": "object", "required": ["code", "message"], "properties": {
    "code": {"type": "string"}, "message": {"type": "string"},
    "parameter": {"type": "string", "description": "the query parameter at fault (invalid_parameter)"},
    "clickhouse": {"type": "object"}}}})


def responses(ok: Schema, description: str) -> dict[str, Any]:
    def error(text: str) -> Schema:
        return {"description": text, "content": {"application/json": {"schema": ERROR}}}
    return {
        "200": {"description": description, "content": {"application/json": {"schema": ok}}},
        "400": error("a bad parameter: `error.code` is `invalid_parameter`, `error.parameter` names it"),
        "500": error("the store failed the query, or an unexpected error (its message names an incident)"),
        "503": error("the store cannot be reached"),
    }


def get(operation_id: str, summary: str, description: str, parameters: list[Schema], ok: Schema,
        ok_description: str, tag: str) -> Schema:
    return {"get": {"operationId": operation_id, "summary": summary, "description": description, "tags": [tag],
                    "parameters": parameters, "responses": responses(ok, ok_description)}}


def start_end(default: str, maximum: str) -> list[Schema]:
    return [param("start", {"type": "string"}, f"{TIME}; default `end` - {default}; at most {maximum} before `end`"),
            param("end", {"type": "string"}, f"{TIME}; default now")]


def limit(default: int, maximum: int, what: str) -> Schema:
    return param("limit", {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
                 f"at most this many {what}; `truncated` says when more matched")


# --- /metrics/kpi ----------------------------------------------------------------------------------

# KPI -> (JSON type, null when there is nothing to divide by, description)
KPI_NAMES = {
    "active_threads": ("integer", False, "distinct thread ids named by spans that started in the window"),
    "llm_calls": ("integer", False, "spans of category LLM"),
    "input_tokens": ("integer", False, "input tokens of all spans"),
    "output_tokens": ("integer", False, "output tokens of all spans"),
    "total_tokens": ("integer", False, "total tokens of all spans"),
    "cost_usd": ("number", False, "known cost, USD"),
    "avg_llm_latency_ms": ("number", True, "mean LLM call duration; null without LLM calls"),
    "p95_llm_latency_ms": ("number", True, "95th percentile LLM call duration (about 0.4%); null without LLM calls"),
    "error_rate": ("number", True, "spans with status Error / spans; null without spans"),
    "llm_error_rate": ("number", True, "failed LLM calls / LLM calls; null without LLM calls"),
    "spans": ("integer", False, "spans"),
    "errors": ("integer", False, "spans with status Error"),
}


def _kpi(kind: str, nullable: bool, description: str) -> Schema:
    value: Schema = {"type": [kind, "null"] if nullable else kind}
    return obj({"value": value, "previous": value, "change": {"type": [kind, "null"]},
                "change_pct": {"type": ["number", "null"], "description": "null when the previous value is 0 or null"}},
               description)


KPI_RESPONSE = obj({
    "window": {"type": "string"},
    "window_seconds": {"type": "integer", "description": "length of each window (rounded up to hours when hourly)"},
    "bucket": {"type": "string", "enum": ["minute", "hour"], "description": "the rollup the KPIs were read from"},
    "current": obj(RANGE, "the window ending with the running minute (hour)"),
    "previous": obj(RANGE, "the window just before"),
    "kpis": obj({name: _kpi(*spec) for name, spec in KPI_NAMES.items()}),
})

# --- /metrics/timeseries ---------------------------------------------------------------------------

MEASURE_NAMES = ["spans", "llm_calls", "errors", "error_rate", "input_tokens", "output_tokens", "cache_read_tokens",
                 "total_tokens", "cost_usd", "unpriced_spans", "avg_latency_ms", "p50_latency_ms", "p95_latency_ms",
                 "p99_latency_ms", "unique_threads", "unique_users"]
DIMENSION_NAMES = ["agent", "model", "service", "category"]

SERIES_RESPONSE = obj({
    "measure": {"type": "string", "enum": MEASURE_NAMES},
    "bucket": {"type": "string", "enum": ["minute", "hour", "day"]},
    "bucket_seconds": {"type": "integer"},
    "group_by": {"type": ["string", "null"], "enum": [*DIMENSION_NAMES, None]},
    "filters": {"type": "object", "additionalProperties": {"type": "string"}},
    **RANGE,
    "buckets": {"type": "array", "items": TIMESTAMP, "description": "start of every bucket of the range, in order"},
    "series": {"type": "array", "items": obj({
        "group": {"type": ["string", "null"],
                  "description": "the group's value ('' = spans naming none); null for the folded rest or no grouping"},
        "folded": {"type": "integer", "minimum": 0, "description": "how many groups this series folds (0: one group)"},
        "total": {"type": ["number", "null"], "description": "the measure over the whole range"},
        "values": {"type": "array", "items": {"type": ["number", "null"]},
                   "description": "one per bucket: 0 without data for counts, null for ratios and latencies"},
    })},
}, "series sorted by total, largest first; the folded rest last")

TIMESERIES_PARAMETERS = [
    param("measure", {"type": "string", "enum": MEASURE_NAMES}, "what to count; latencies are over the spans the "
          "filters select (`category=LLM` for LLM calls)", required=True),
    param("bucket", {"type": "string", "enum": ["minute", "hour", "day"], "default": "hour"},
          "bucket size: at most 1500 buckets, and only as far back as the rollup is kept"),
    param("group_by", {"type": "string", "enum": DIMENSION_NAMES}, "one series per value (the span's own agent)"),
    param("top", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
          "keep the groups with the largest total, fold the rest into one series"),
    *start_end("1h (minute), 24h (hour), 30d (day)", "1500 buckets"),
    *(param(name, {"type": "string", "maxLength": 512}, f"only spans whose {name} is this (exact)")
      for name in DIMENSION_NAMES),
]

# --- /metrics/agents -------------------------------------------------------------------------------

AGENTS_RESPONSE = obj({**RANGE, "agents": {"type": "array", "items": obj({
    "agent_name": {"type": "string", "description": "the turn's outer agent; '' when no span names one"},
    "turns": COUNT, "threads": COUNT, "users": COUNT, "spans": COUNT, "llm_calls": COUNT, "tool_calls": COUNT,
    "input_tokens": COUNT, "output_tokens": COUNT, "total_tokens": COUNT, "cost_usd": NUMBER, "errors": COUNT,
    "turns_with_errors": COUNT, "error_share": {**MAYBE_NUMBER, "description": "turns with a failed span / turns"},
    "avg_turn_ms": MAYBE_NUMBER, "p95_turn_ms": MAYBE_NUMBER, "avg_llm_latency_ms": MAYBE_NUMBER,
})}, "truncated": {"type": "boolean"}}, "agents sorted by cost, largest first")

# --- /costs ----------------------------------------------------------------------------------------

COST_FIELDS: dict[str, Schema] = {
    "cost_usd": NUMBER, "input_tokens": COUNT, "output_tokens": COUNT,
    "cache_read_tokens": {"type": ["integer", "null"], "description": "null for agent and user"},
    "total_tokens": COUNT, "llm_calls": COUNT, "embedding_calls": COUNT,
    "unpriced_calls": {"type": ["integer", "null"], "description": "null for agent and user"},
    "turns": {"type": ["integer", "null"], "description": "turns, for agent and user; else null"},
}

COSTS_RESPONSE = obj({
    "group_by": {"type": "string", "enum": ["model", "agent", "user", "tenant", "day"]},
    **RANGE,
    "source": {"type": "string", "enum": ["hourly_metrics_rollup", "daily_metrics_rollup", "trace_rollup"]},
    "total": obj(COST_FIELDS),
    "groups": {"type": "array", "items": obj({
        "group": {"type": "string"}, "share": {**MAYBE_NUMBER, "description": "of the total cost"}, **COST_FIELDS})},
    "truncated": {"type": "boolean"},
    "unpriced_models": {"type": "array", "items": obj({
        "model": {"type": "string"}, "unpriced_calls": COUNT, "calls": COUNT, "input_tokens": COUNT,
        "output_tokens": COUNT, "first_bucket": TIMESTAMP, "last_bucket": TIMESTAMP})},
    "unpriced_range": obj({**RANGE, "source": {"type": "string"}}),
}, "groups sorted by cost, largest first")

TAG = "metrics"

METRICS_PATHS: dict[str, Any] = {
    "/api/v1/metrics/kpi": get(
        "getKpis", "Live KPIs against the previous window",
        "From minute rollups when they hold both windows, else hourly ones (window rounded up to hours); "
        "the current window ends with the running minute (hour).",
        [param("window", {"type": "string", "pattern": r"^-?[0-9]+(ns|us|ms|s|m|h|d|w)$", "default": "1h"},
               "5m to 7d, whole minutes")],
        KPI_RESPONSE, "each KPI's value, previous value and change", TAG),
    "/api/v1/metrics/timeseries": get(
        "getTimeseries", "A rollup measure per bucket",
        "From the rollup of the bucket size, never raw spans; the range is widened to whole buckets.",
        TIMESERIES_PARAMETERS, SERIES_RESPONSE, "one series per group", TAG),
    "/api/v1/metrics/agents": get(
        "getAgentMetrics", "Per-agent metrics of the turns started in a range",
        "From trace_rollup: every span of a turn counts for its outer agent.",
        [*start_end("24h", "400 days"), limit(100, 1000, "agents")], AGENTS_RESPONSE, "one row per agent", TAG),
}

COSTS_PATHS: dict[str, Any] = {
    "/api/v1/costs": get(
        "getCosts", "Cost and tokens per group, and unpriced models",
        "model, tenant and day from the hourly rollup (daily beyond its retention), the range widened to whole "
        "buckets; agent and user from trace_rollup, turns started in the range. Tenant-scoped: "
        "`group_by=tenant` shows the caller's tenant only.",
        [param("group_by", {"type": "string", "enum": ["model", "agent", "user", "tenant", "day"], "default": "model"},
               "what to break the cost down by"),
         *start_end("30d", "400 days"), limit(100, 1000, "groups")],
        COSTS_RESPONSE, "groups by cost, the total, and unpriced models", "costs"),
}
