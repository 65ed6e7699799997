"""The scheduler on a fake clock, its prompt stop, and `spanhouse detect` over a past range."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from spanhouse import cli
from spanhouse.detect.lifecycle import AnomalyStore
from spanhouse.detect.rules import RuleSet
from spanhouse.detect.scheduler import Scheduler
from tests.detect.test_bench import EXPECTED, at, rule_named
from tests.detect.test_detectors import usual_traffic_then_silence


def test_each_run_uses_the_clocks_now_and_hands_over_what_changed(incident_store):
    times = iter([at(10, 3), at(10, 4), at(10, 30)])
    changed = []
    scheduler = Scheduler(incident_store, AnomalyStore(incident_store), RuleSet((rule_named("error_rate"),)), 0,
                          clock=lambda: next(times), on_changes=changed.append)
    opened = scheduler.run_once()
    again = scheduler.run_once()
    cleared = scheduler.run_once()
    assert (opened.opened, again.opened, again.updated, cleared.cleared) == (opened.opened, 0, opened.opened,
                                                                            opened.opened)
    assert opened.opened >= 1
    assert [[c.event for c in batch] for batch in changed] == [["opened"] * opened.opened,
                                                               ["resolved"] * opened.opened]


def test_the_scheduler_runs_every_interval_and_stops_promptly(incident_store):
    with Scheduler(incident_store, AnomalyStore(incident_store), RuleSet(()), 0.05,
                   clock=lambda: EXPECTED["error_rate"][0]) as scheduler:
        deadline = time.monotonic() + 10
        while scheduler.runs < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        stopping = time.monotonic()
    assert scheduler.runs >= 3
    assert time.monotonic() - stopping < 1


def test_spanhouse_detect_backfills_a_past_range(settings, store, capsys, monkeypatch):
    monkeypatch.setenv("SPANHOUSE_CLICKHOUSE_DSN", settings.clickhouse_dsn)
    monkeypatch.setenv("SPANHOUSE_CLICKHOUSE_DATABASE", settings.clickhouse_database)
    since = at(10).isoformat().replace("+00:00", "Z")
    until = (at(10) + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    assert cli.main(["detect", "--since", since, "--until", until, "--step", "5m"]) == 0
    assert capsys.readouterr().out.startswith(f"3 detection runs from {at(10).isoformat()}")


def test_spanhouse_detect_refuses_a_bad_time(capsys):
    assert cli.main(["detect", "--since", "yesterday"]) == 2
    assert "--since: expected RFC 3339" in capsys.readouterr().err


def rfc3339(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def test_a_failing_rule_neither_resolves_its_anomalies_nor_holds_back_the_others(store, calls, tool_loop):
    usual_traffic_then_silence(calls)
    changed = []
    times = iter([at(10, 5), at(10, 10)])
    scheduler = Scheduler(store, AnomalyStore(store), RuleSet((rule_named("traffic_drop"), rule_named("runaway_loop"))),
                          0, clock=lambda: next(times), on_changes=changed.append)
    [drop] = [change.anomaly for change in scheduler.run_once().changes]
    tool_loop("agent-2", "thread-loop", at(10, 6))
    store.command("DROP TABLE hourly_metrics_rollup")  # traffic_drop's query fails from now on
    result = scheduler.run_once()
    assert result.failed == ("traffic_drop",)
    assert [[(c.event, c.anomaly["rule"]) for c in batch] for batch in changed] == [
        [("opened", "traffic_drop")], [("opened", "runaway_loop")]]
    # the failed query said nothing about the drop: it is neither cleared nor resolved
    current = AnomalyStore(store).get("default", drop["id"])
    assert (current["status"], current["condition_active"], current["version"]) == ("OPEN", True, drop["version"])


def test_the_scheduler_logs_a_rule_that_keeps_failing_once_not_every_run(store, calls, caplog):
    usual_traffic_then_silence(calls)
    store.command("DROP TABLE hourly_metrics_rollup")  # traffic_drop's query fails at every run
    times = iter([at(10, minute) for minute in range(5)])
    scheduler = Scheduler(store, AnomalyStore(store), RuleSet((rule_named("traffic_drop"),)), 0,
                          clock=lambda: next(times))
    with caplog.at_level(logging.INFO, logger="spanhouse.detect.detectors"):
        results = [scheduler.run_once() for _ in range(5)]
    assert [result.failed for result in results] == [("traffic_drop",)] * 5
    assert [record.levelname for record in caplog.records] == ["ERROR"]
    assert "UNKNOWN_TABLE" in caplog.records[0].getMessage()


def test_spanhouse_detect_records_what_the_other_rules_found_then_exits_1_naming_the_failed_ones(
        settings, store, tool_loop, query, capsys, monkeypatch):
    monkeypatch.setenv("SPANHOUSE_CLICKHOUSE_DSN", settings.clickhouse_dsn)
    monkeypatch.setenv("SPANHOUSE_CLICKHOUSE_DATABASE", settings.clickhouse_database)
    for kept in ("raw", "minute", "hourly", "daily"):  # the bench's day is older than the default retention
        monkeypatch.setenv(f"SPANHOUSE_RETENTION_{kept.upper()}_DAYS", "0")
    tool_loop("agent-2", "thread-loop", at(10, 6))
    store.command("DROP TABLE hourly_metrics_rollup")  # read by error_rate and the three hourly rules
    assert cli.main(["detect", "--since", rfc3339(at(10, 5)), "--until", rfc3339(at(10, 10)), "--step", "5m"]) == 1
    printed = capsys.readouterr()
    assert printed.out.startswith("2 detection runs from")  # every step ran, not only those before a failure
    assert printed.err == (
        "spanhouse: rules error_rate, latency_regression, cost_spike, traffic_drop failed in 2 of 2 runs (the log "
        "says why); the other rules ran and what they found was recorded\n")
    assert query("SELECT rule, thread_id, status FROM anomalies") == [("runaway_loop", "thread-loop", "OPEN")]
