"""Detectors: each rule's SQL over the rollups, judged by the rule's method, as findings.

Every detector query (sql/*.sql) answers the same columns, one row per scope: tenant,
agent_name, model, tool_name, thread_id, trace_id, observed, samples, mean, std, previous,
baseline_points, evidence_threads, evidence_traces (hourly_metric.sql adds baseline_kind). So the
methods (rules.judge) apply to every rule alike. Findings of the rules over the rollups get their
evidence from the raw spans afterwards (evidence.py), once per rule run and only when they exist.
Detection is a pure function of the stored data and `now`: a backfill or a test passes the time
it wants. One rule's failure (its query refused, say) is logged naming the rule and does not stop
the others; the failed rule is left out of what ran, so its open anomalies stay as they are.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from clickhouse_connect.driver.client import Client

from spanhouse.detect import sql
from spanhouse.detect.evidence import with_evidence
from spanhouse.detect.failures import FailureLog
from spanhouse.detect.lifecycle import Finding, utc
from spanhouse.detect.rules import BASELINE_METHODS, Budget, Rule, RuleSet, judge
from spanhouse.errors import StoreError
from spanhouse.store.client import map_error

# rule type -> (query, fixed parameters, hourly: the window is the last complete hour)
QUERIES: dict[str, tuple[str, dict[str, Any], bool]] = {
    "error_rate": ("error_rate", {}, False),
    "latency_regression": ("hourly_metric", {"metric": "p95_latency_ms", "by_model": 1}, True),
    "cost_spike": ("hourly_metric", {"metric": "cost_usd", "by_model": 0}, True),
    "traffic_drop": ("hourly_metric", {"metric": "calls", "by_model": 0}, True),
    "token_spike": ("threads", {"metric": "total_tokens"}, False),
    "slow_thread": ("threads", {"metric": "duration_ms"}, False),
    "runaway_loop": ("runaway_loop", {}, False),
}
BUDGET_RULE = "budget"


def _rows(client: Client, name: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
    try:
        result = client.query(sql.load(name), parameters=dict(parameters))
    except Exception as exc:
        raise map_error(exc, f"run detector query {name}") from exc
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def window_of(rule: Rule, now: datetime) -> tuple[datetime, datetime]:
    if QUERIES[rule.type][2]:
        end = now.replace(minute=0, second=0, microsecond=0)
        return end - timedelta(hours=1), end
    return now - timedelta(seconds=rule.window_s), now


def run_rule(client: Client, rule: Rule, now: datetime) -> list[Finding]:
    """What one rule finds at `now`."""
    now = utc(now)
    name, fixed, _hourly = QUERIES[rule.type]
    parameters = {"now": now, "window_s": rule.window_s, "baseline_s": rule.baseline_s,
                  "weekday_min": rule.weekday_min_baseline, "min_samples": rule.min_samples, **fixed}
    if rule.type == "runaway_loop":
        parameters["min_calls"] = max(1, int(rule.threshold))
    start, end = window_of(rule, now)
    findings = []
    for row in _rows(client, name, parameters):
        # a weekday baseline has its own minimum (weekday_min_baseline, checked by the query)
        min_baseline = rule.weekday_min_baseline if row.get("baseline_kind") == "weekday_hour" else rule.min_baseline
        if rule.method in BASELINE_METHODS:
            # A scope with no baseline yet (a new agent) has nothing to be compared with, whatever
            # min_baseline says: its mean of 0 would make any traffic an infinite z.
            min_baseline = max(min_baseline, 1)
        if row["samples"] < rule.min_samples or row["baseline_points"] < min_baseline:
            continue
        verdict = judge(rule.method, rule.direction, rule.threshold, float(row["observed"]), float(row["mean"]),
                        float(row["std"]), float(row["previous"]))
        if not verdict.breached:
            continue
        if rule.significance is not None:
            z = (row["observed"] - row["mean"]) / max(row["std"], 1e-9)
            if z < rule.significance:
                continue
        severity = rule.severity
        if rule.critical_threshold is not None and (
                verdict.value >= rule.critical_threshold if rule.direction == "above"
                else verdict.value <= rule.critical_threshold):
            severity = "critical"
        findings.append(Finding(
            tenant=row["tenant"], rule=rule.name, type=rule.type, severity=severity, metric=rule.metric,
            method=rule.method, observed=float(row["observed"]), expected=verdict.expected,
            deviation=verdict.deviation, samples=int(row["samples"]), window_start=start, window_end=end,
            summary=_summary(rule, row, verdict.expected),
            agent_name=row["agent_name"], model=row["model"], tool_name=row["tool_name"],
            thread_id=row["thread_id"], trace_id=row["trace_id"],
            evidence_thread_ids=tuple(row["evidence_threads"]), evidence_trace_ids=tuple(row["evidence_traces"]),
        ))
    return with_evidence(client, rule.type, findings, start, end)


def _summary(rule: Rule, row: Mapping[str, Any], expected: float) -> str:
    where = " ".join(f"{label} {row[key]}" for label, key in (("agent", "agent_name"), ("model", "model"),
                                                             ("tool", "tool_name"), ("thread", "thread_id"),
                                                             ("trace", "trace_id")) if row[key])
    baseline = " on this weekday" if row.get("baseline_kind") == "weekday_hour" else ""
    return f"{rule.type.replace('_', ' ')}: {rule.metric} {row['observed']:.4g} (expected {expected:.4g}{baseline}) " \
           f"for {where or 'the tenant'}"


def run_budgets(client: Client, budgets: Sequence[Budget], now: datetime) -> list[Finding]:
    """Budgets at `now`: warning at warn_ratio of the limit (or a month-end projection past it), critical past it."""
    if not budgets:
        return []
    now = utc(now)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    days_in_month = calendar.monthrange(now.year, now.month)[1]
    elapsed = max((now - month_start).total_seconds() / (days_in_month * 86_400), 1 / (days_in_month * 24))
    findings = []
    for row in _rows(client, "budget_spend", {"now": now}):
        for budget in budgets:
            if budget.tenant not in ("*", "", row["tenant"]):
                continue
            level = "agent" if budget.agent else "model" if budget.model else "tenant"
            if row["level"] != level or row["agent_name"] != budget.agent or row["model"] != budget.model:
                continue
            spent = float(row["day_cost"] if budget.period == "daily" else row["month_cost"])
            projected = spent / elapsed if budget.period == "monthly" else spent
            ratio = spent / budget.limit_usd
            if ratio >= 1:
                severity = "critical"
            elif ratio >= budget.warn_ratio or projected >= budget.limit_usd:
                severity = "warning"
            else:
                continue
            findings.append(Finding(
                tenant=row["tenant"], rule=f"{BUDGET_RULE}:{budget.name}", type="budget", severity=severity,
                metric=f"{budget.period}_cost_usd", method="threshold", observed=spent, expected=budget.limit_usd,
                deviation=ratio, samples=1, window_start=day_start if budget.period == "daily" else month_start,
                window_end=now, agent_name=budget.agent, model=budget.model,
                summary=f"budget {budget.name}: {spent:.2f} of {budget.limit_usd:.2f} USD {budget.period} "
                        f"({ratio:.0%}; month-end projection {projected:.2f})",
            ))
    return findings


def detect(client: Client, rules: RuleSet, now: datetime,
           failures: FailureLog | None = None) -> tuple[list[Finding], dict[str, bool]]:
    """Run every enabled rule and budget at `now`: the findings, and each rule that ran -> its auto_resolve.

    A rule that fails is logged, naming it and the error, and left out of the answer while the
    others still run: a failed query says nothing about whether its condition cleared, so
    AnomalyStore.record must not resolve that rule's anomalies (it resolves only those of rules
    that ran). `rule_names(rules)` less the answer's keys is what failed. `failures`, kept across
    runs, logs a failure once rather than every run (a fresh one logs each).
    """
    failures = failures if failures is not None else FailureLog()
    findings: list[Finding] = []
    evaluated: dict[str, bool] = {}
    for rule in rules.enabled:
        found = _guarded((rule.name,), now, partial(run_rule, client, rule, now), failures)
        if found is not None:
            findings += found
            evaluated[rule.name] = rule.auto_resolve
    if rules.budgets:
        # one query answers every budget: when it fails, they all did
        found = _guarded(_budget_names(rules.budgets), now, partial(run_budgets, client, rules.budgets, now),
                         failures)
        if found is not None:
            findings += found
            for budget in rules.budgets:
                evaluated[f"{BUDGET_RULE}:{budget.name}"] = budget.auto_resolve
    return findings, evaluated


def rule_names(rules: RuleSet) -> list[str]:
    """The name of every rule `detect` runs, as its answer and the anomalies name them."""
    return [rule.name for rule in rules.enabled] + _budget_names(rules.budgets)


def _budget_names(budgets: Sequence[Budget]) -> list[str]:
    return [f"{BUDGET_RULE}:{budget.name}" for budget in budgets]


def _guarded(names: Sequence[str], now: datetime, run: Callable[[], list[Finding]],
             failures: FailureLog) -> list[Finding] | None:
    """What `run` found, or None when it failed (logged): one rule's failure must not stop the others."""
    rule, when = ", ".join(names), utc(now).isoformat()
    try:
        found = run()
    except StoreError as exc:
        # ClickHouse's code and message say what went wrong; a traceback would only repeat each run
        failures.failed(rule, when, str(exc))
    except Exception as exc:  # a loop boundary: a bug in one rule is still one rule's failure
        failures.failed(rule, when, f"{type(exc).__name__}: {exc}", traceback=True)
    else:
        failures.succeeded(rule)
        return found
    return None
