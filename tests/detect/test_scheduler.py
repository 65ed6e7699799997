"""The scheduler on a fake clock, its prompt stop, and `spanhouse detect` over a past range."""

from __future__ import annotations

import time
from datetime import timedelta

from spanhouse import cli
from spanhouse.detect.lifecycle import AnomalyStore
from spanhouse.detect.rules import RuleSet
from spanhouse.detect.scheduler import Scheduler
from tests.detect.test_bench import EXPECTED, at, rule_named


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
