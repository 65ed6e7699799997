"""The seeded test bench: eight days of normal traffic with daily and weekly patterns, incidents of
every type injected at known times on the last day. Every incident is found within its window and
points at the right agent / thread; the clean week raises no critical anomaly. Detection runs on a
fake clock (each run gets its `now`)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from spanhouse.app import open_store
from spanhouse.detect.detectors import detect, run_rule
from spanhouse.detect.lifecycle import AnomalyStore, Finding
from spanhouse.detect.rules import Budget, RuleSet, load_rules
from spanhouse.settings import Settings

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
DAY7 = START + timedelta(days=7)
TRAFFIC = (Path(__file__).parents[2] / "benchmarks" / "sql" / "detect_traffic.sql").read_text()
SPAN_COLUMNS = ["Tenant", "Timestamp", "TraceId", "SpanId", "ParentSpanId", "SpanName", "ServiceName", "Duration",
                "StatusCode", "Category", "RequestModel", "InputTokens", "OutputTokens", "TotalTokens", "TotalCost",
                "ThreadId", "AgentName", "ToolName"]
_ids = itertools.count(1)


def at(hour: int, minute: int = 0) -> datetime:
    return DAY7 + timedelta(hours=hour, minutes=minute)


def span(when: datetime, agent: str, category: str, *, trace: str, thread: str = "", duration_ms: float = 500,
         error: bool = False, tokens: int = 0, cost: float | None = None, tool: str = "",
         model: str = "gpt-4o") -> list[Any]:
    llm = category == "LLM"
    return ["default", when, trace, f"{next(_ids):016x}", "", category.lower(), "bench-app",
            int(duration_ms * 1e6), "Error" if error else "Unset", category, model if llm else "",
            tokens if llm else None, 0 if llm else None, tokens if llm else None,
            (cost if cost is not None else 0.003) if llm else None, thread, agent, tool]


def trace_id(name: str) -> str:
    return f"{abs(hash(name)) % 16**32:032x}"


def incidents() -> list[list[Any]]:
    rows: list[list[Any]] = []
    # error_rate: agent-1's LLM calls fail, 10:00-10:05
    for n in range(60):
        rows.append(span(at(10) + timedelta(seconds=5 * n), "agent-1", "LLM", trace=trace_id(f"err{n}"),
                         error=True, tokens=900))
    # latency_regression: agent-2's gpt-4o calls take 10 s, 12:00-13:00
    for n in range(200):
        rows.append(span(at(12) + timedelta(seconds=18 * n), "agent-2", "LLM", trace=trace_id(f"slow{n}"),
                         duration_ms=10_000, tokens=900))
    # cost_spike: agent-3 runs 300 expensive calls, 15:00-16:00
    for n in range(300):
        rows.append(span(at(15) + timedelta(seconds=12 * n), "agent-3", "LLM", trace=trace_id(f"cost{n}"),
                         tokens=900, cost=0.5))
    # token_spike: one thread of agent-1 burns 400k tokens, 19:00
    rows.append(span(at(19), "agent-1", "AGENT", trace=trace_id("tok"), thread="thread-tokens"))
    for n in range(4):
        rows.append(span(at(19) + timedelta(seconds=n), "agent-1", "LLM", trace=trace_id("tok"), tokens=100_000))
    # runaway_loop: agent-2 calls `search` 40 times in one trace of one thread, 20:00
    rows.append(span(at(20), "agent-2", "AGENT", trace=trace_id("loop"), thread="thread-loop"))
    for n in range(40):
        rows.append(span(at(20) + timedelta(seconds=n), "", "TOOL", trace=trace_id("loop"), tool="search"))
    # slow_thread: a thread of agent-3 that lasts two hours, 21:00-23:00
    for hour in (21, 22, 23):
        name = f"long{hour}"
        rows.append(span(at(hour), "agent-3", "AGENT", trace=trace_id(name), thread="thread-long"))
        rows.append(span(at(hour), "agent-3", "LLM", trace=trace_id(name), tokens=900))
    return rows


# incident -> (detector clock, type, agent, thread or None)
EXPECTED = {
    "error_rate": (at(10, 5), "agent-1", None),
    "latency_regression": (at(13, 5), "agent-2", None),
    "cost_spike": (at(16, 5), "agent-3", None),
    "traffic_drop": (at(18, 5), "agent-0", None),
    "token_spike": (at(19, 10), "agent-1", "thread-tokens"),
    "runaway_loop": (at(20, 10), "agent-2", "thread-loop"),
    "slow_thread": (at(23, 5), "agent-3", "thread-long"),
}


def seeded_store(chdb_path: Path, name: str, *, with_incidents: bool) -> Client:
    settings = Settings(clickhouse_dsn=f"chdb://{chdb_path}", clickhouse_database=name, retention_raw_days=0,
                        retention_minute_days=0, retention_hourly_days=0, retention_daily_days=0)
    client = open_store(settings)
    gap = (0, at(17), at(18)) if with_incidents else (-1, START, START)
    client.command(TRAFFIC, parameters={"tenant": "default", "start": START, "days": 8, "agents": 4,
                                        "gap_agent": gap[0], "gap_start": gap[1], "gap_end": gap[2]})
    if with_incidents:
        client.insert("otel_traces", incidents(), column_names=SPAN_COLUMNS)
    return client


def rule_named(name: str):
    [rule] = [rule for rule in load_rules().rules if rule.name == name]
    return rule


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_injected_incident_is_found_pointing_at_its_agent_and_thread(incident_store, name):
    now, agent, thread = EXPECTED[name]
    findings = run_rule(incident_store, rule_named(name), now)
    assert [(f.type, f.agent_name) for f in findings] and {f.agent_name for f in findings} == {agent}, findings
    if thread is not None:
        assert {f.thread_id for f in findings} == {thread}
        assert all(thread in f.evidence_thread_ids and f.evidence_trace_ids for f in findings)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_incident_is_not_found_an_hour_before_it(incident_store, name):
    now, _, _ = EXPECTED[name]
    assert run_rule(incident_store, rule_named(name), now - timedelta(hours=2)) == []


def test_the_clean_week_raises_no_critical_anomaly(clean_store):
    rules = load_rules()
    found: list[Finding] = []
    now = START + timedelta(days=3, minutes=5)
    while now < START + timedelta(days=8):
        findings, _ = detect(clean_store, rules, now)
        found += findings
        now += timedelta(hours=3, minutes=7)  # walks through every hour of day over the days
    assert [f for f in found if f.severity == "critical"] == []


def test_budgets_warn_at_80_percent_and_turn_critical_past_the_limit(clean_store):
    # A weekday costs agent-0 about 0.003 USD x 2 calls x ~560 turns = ~3.4 USD; by noon, ~1.1 USD.
    rules = RuleSet((), (Budget("a0-daily", "daily", 1.2, agent="agent-0"), Budget("a0-big", "daily", 100.0,
                                                                                   agent="agent-0")))
    findings, evaluated = detect(clean_store, rules, START + timedelta(days=3, hours=11))
    assert [(f.rule, f.severity, f.agent_name) for f in findings] == [("budget:a0-daily", "warning", "agent-0")]
    later, _ = detect(clean_store, rules, START + timedelta(days=3, hours=14))
    assert [(f.rule, f.severity) for f in later] == [("budget:a0-daily", "critical")]
    assert evaluated == {"budget:a0-daily": True, "budget:a0-big": True}


def test_a_run_on_the_incident_day_opens_one_anomaly_per_ongoing_condition(incident_store):
    store = AnomalyStore(incident_store)
    rules = RuleSet((rule_named("error_rate"),))
    for minute in (3, 4, 5):
        findings, evaluated = detect(incident_store, rules, at(10, minute))
        store.record(findings, evaluated, at(10, minute))
    rows = incident_store.query("SELECT id, status FROM anomalies ORDER BY id, version DESC LIMIT 1 BY id").result_rows
    assert [status for _, status in rows] == ["OPEN"] * len(rows) and len(rows) >= 1
    findings, evaluated = detect(incident_store, rules, at(10, 30))
    store.record(findings, evaluated, at(10, 30))
    rows = incident_store.query("SELECT status FROM anomalies ORDER BY id, version DESC LIMIT 1 BY id").result_rows
    assert {status for (status,) in rows} == {"RESOLVED"}
