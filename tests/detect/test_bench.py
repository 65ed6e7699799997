"""The seeded test bench: three weeks of normal traffic with daily and weekly patterns (quieter,
and slower LLM calls, at weekends), incidents of every type injected at known times on the last
day. Every incident is found within its window and points at the right agent / tool / thread; the
clean last week raises no critical anomaly, and no latency regression on its slower weekend, which
a day-of-week-unaware baseline would flag. Detection runs on a fake clock (each run gets its `now`)."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from clickhouse_connect.driver.client import Client

from spanhouse.app import open_store
from spanhouse.detect.detectors import detect, run_rule
from spanhouse.detect.lifecycle import AnomalyStore, Finding
from spanhouse.detect.rules import Budget, Rule, RuleSet, load_rules
from spanhouse.settings import Settings

START = datetime(2026, 2, 16, tzinfo=UTC)  # a Monday
DAYS = 22  # three weeks of history before the incident day: two same-weekday hours for every hour of it
INCIDENT_DAY = START + timedelta(days=21)  # a Monday
LAST_WEEK = INCIDENT_DAY - timedelta(days=6)  # Tuesday to Monday: the clean week
TRAFFIC = (Path(__file__).parents[2] / "benchmarks" / "sql" / "detect_traffic.sql").read_text()
SPAN_COLUMNS = ["Tenant", "Timestamp", "TraceId", "SpanId", "ParentSpanId", "SpanName", "ServiceName", "Duration",
                "StatusCode", "Category", "RequestModel", "InputTokens", "OutputTokens", "TotalTokens", "TotalCost",
                "ThreadId", "AgentName", "ToolName"]
_ids = itertools.count(1)


def at(hour: int, minute: int = 0) -> datetime:
    return INCIDENT_DAY + timedelta(hours=hour, minutes=minute)


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


def traces(prefix: str, count: int) -> set[str]:
    return {trace_id(f"{prefix}{n}") for n in range(count)}


def incidents() -> list[list[Any]]:
    rows: list[list[Any]] = []
    # error_rate: agent-1's LLM calls fail, 10:00-10:05
    for n in range(60):
        rows.append(span(at(10) + timedelta(seconds=5 * n), "agent-1", "LLM", trace=trace_id(f"err{n}"),
                         error=True, tokens=900))
    # tool_error_rate: agent-2's `search` tool fails 11:00-11:05 (its LLM calls do not), in four threads
    for n in range(40):
        when, trace = at(11) + timedelta(seconds=7 * n), trace_id(f"toolerr{n}")
        rows.append(span(when, "agent-2", "AGENT", trace=trace, thread=f"thread-search-{n % 4}"))
        rows.append(span(when, "agent-2", "TOOL", trace=trace, tool="search", error=True))
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


class Incident(NamedTuple):
    clock: datetime  # when the detector runs
    agent: str
    thread: str | None = None
    rule: str = ""  # the rule that finds it: the incident's name when empty
    tool: str = ""
    evidence: frozenset[str] | None = None  # the injected traces its evidence must come from


EXPECTED = {
    "error_rate": Incident(at(10, 5), "agent-1", evidence=frozenset(traces("err", 60))),
    "tool_error_rate": Incident(at(11, 5), "agent-2", rule="error_rate", tool="search",
                                evidence=frozenset(traces("toolerr", 40))),
    "latency_regression": Incident(at(13, 5), "agent-2", evidence=frozenset(traces("slow", 200))),
    "cost_spike": Incident(at(16, 5), "agent-3", evidence=frozenset(traces("cost", 300))),
    "traffic_drop": Incident(at(18, 5), "agent-0"),
    "token_spike": Incident(at(19, 10), "agent-1", "thread-tokens"),
    "runaway_loop": Incident(at(20, 10), "agent-2", "thread-loop", tool="search"),
    "slow_thread": Incident(at(23, 5), "agent-3", "thread-long"),
}


def seeded_store(chdb_path: Path, name: str, *, with_incidents: bool) -> Client:
    settings = Settings(clickhouse_dsn=f"chdb://{chdb_path}", clickhouse_database=name, retention_raw_days=0,
                        retention_minute_days=0, retention_hourly_days=0, retention_daily_days=0)
    client = open_store(settings)
    gap = (0, at(17), at(18)) if with_incidents else (-1, START, START)
    client.command(TRAFFIC, parameters={"tenant": "default", "start": START, "days": DAYS, "agents": 4,
                                        "gap_agent": gap[0], "gap_start": gap[1], "gap_end": gap[2]})
    if with_incidents:
        client.insert("otel_traces", incidents(), column_names=SPAN_COLUMNS)
    return client


def rule_named(name: str) -> Rule:
    [rule] = [rule for rule in load_rules().rules if rule.name == name]
    return rule


def found(store: Client, name: str, now: datetime | None = None) -> list[Finding]:
    incident = EXPECTED[name]
    return run_rule(store, rule_named(incident.rule or name), now or incident.clock)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_injected_incident_is_found_pointing_at_its_agent_tool_and_thread(incident_store, name):
    incident = EXPECTED[name]
    findings = found(incident_store, name)
    assert [(f.agent_name, f.tool_name) for f in findings] == [(incident.agent, incident.tool)], findings
    if incident.thread is not None:
        assert [f.thread_id for f in findings] == [incident.thread]
        assert all(incident.thread in f.evidence_thread_ids and f.evidence_trace_ids for f in findings)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_incident_is_not_found_an_hour_before_it(incident_store, name):
    assert found(incident_store, name, EXPECTED[name].clock - timedelta(hours=2)) == []


def test_a_failing_tool_is_its_own_scope_apart_from_the_agents_llm_calls(incident_store):
    # 40 failed `search` calls among the agent's few ordinary ones; its LLM calls, in the same
    # minutes, are a scope of their own and stay quiet
    [finding] = found(incident_store, "tool_error_rate")
    assert (finding.agent_name, finding.model, finding.tool_name) == ("agent-2", "", "search")
    assert finding.observed > 0.9 and finding.samples >= 40 and finding.severity == "critical"


def test_the_clean_week_raises_no_critical_anomaly(clean_store):
    rules = load_rules()
    found: list[Finding] = []
    now = LAST_WEEK + timedelta(minutes=5)
    while now < INCIDENT_DAY + timedelta(days=1):
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


# -- day-of-week-aware baselines ------------------------------------------------------------------

def weekend_hours(day: datetime) -> list[datetime]:
    """The detector's clock just after each busy hour of a Saturday and the Sunday after it."""
    return [day + timedelta(days=d, hours=h, minutes=5) for d in (0, 1) for h in range(9, 21)]


def test_a_slower_weekend_with_two_same_weekdays_of_history_is_no_latency_regression(clean_store):
    saturday = LAST_WEEK + timedelta(days=4)
    assert saturday.weekday() == 5
    aware = rule_named("latency_regression")
    unaware = dataclasses.replace(aware, weekday_min_baseline=0)
    assert [f for now in weekend_hours(saturday) for f in run_rule(clean_store, aware, now)] == []
    false_alarms = [f for now in weekend_hours(saturday) for f in run_rule(clean_store, unaware, now)]
    # the week's calls are a quarter as slow: against every day's same hour the weekend looks 2x+ slower
    assert {f.agent_name for f in false_alarms} == {"agent-0", "agent-1", "agent-2", "agent-3"}
    assert all(f.deviation > 2 and "on this weekday" not in f.summary for f in false_alarms)


def test_with_one_same_weekday_of_history_the_baseline_is_every_days_same_hour(clean_store):
    saturday = START + timedelta(days=12)  # the second Saturday: one Saturday before it
    findings = run_rule(clean_store, rule_named("latency_regression"), saturday + timedelta(hours=14, minutes=5))
    # what the rule can know: against the same hour of the twelve days before, this Saturday is slow
    assert {f.agent_name for f in findings} == {"agent-0", "agent-1", "agent-2", "agent-3"}
    assert all("on this weekday" not in f.summary for f in findings)


def test_a_real_regression_is_judged_against_the_same_weekday_and_hour(incident_store):
    [finding] = found(incident_store, "latency_regression")
    assert "on this weekday" in finding.summary
    assert finding.expected < 1300 and finding.observed > 9000  # Mondays at noon: p95 about 1.2 s
