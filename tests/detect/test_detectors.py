"""Detection on a store as a newcomer's is: agents seen for the first time, and one rule failing
among rules that work. Each test has a fresh database of its own; the hourly rules observe 09:00-10:00
of the bench's incident day."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import pytest

from spanhouse.detect.detectors import detect, rule_names, run_rule
from spanhouse.detect.rules import Budget, RuleSet, load_rules
from tests.detect.test_bench import at, rule_named

NOW = at(10, 5)


def usual_traffic_then_silence(calls) -> None:
    """`veteran` calls 60 times at 09:00 on each of the four days before, and not today: a traffic drop."""
    for days in range(1, 5):
        calls("veteran", at(9) - timedelta(days=days))


def test_an_agent_seen_only_in_the_observed_hour_is_not_judged_and_the_others_still_are(store, calls):
    usual_traffic_then_silence(calls)
    calls("newcomer", at(9))  # no baseline hour yet: avg over none is NaN, which broke the hourly query
    rules = load_rules()
    findings, evaluated = detect(store, rules, NOW)
    assert [(f.rule, f.agent_name) for f in findings] == [("traffic_drop", "veteran")]
    assert evaluated == {rule.name: rule.auto_resolve for rule in rules.enabled}


def test_on_a_store_whose_every_agent_is_new_every_rule_runs_and_finds_nothing(store, calls):
    calls("newcomer", at(9))
    calls("newcomer", at(10))  # and in the minutes the error rate reads
    rules = load_rules()
    assert detect(store, rules, NOW) == ([], {rule.name: rule.auto_resolve for rule in rules.enabled})


@pytest.mark.parametrize(("method", "threshold"), [("zscore", 4.0), ("ratio", 2.0)])
def test_a_scope_without_baseline_is_not_judged_against_one_even_when_no_baseline_is_asked_for(
        store, calls, method, threshold):
    calls("newcomer", at(9))
    rule = dataclasses.replace(rule_named("cost_spike"), method=method, threshold=threshold, min_baseline=0)
    # its mean of 0 would make the newcomer's first spend an infinite z
    assert run_rule(store, rule, NOW) == []


def test_a_failing_rule_is_logged_and_left_out_while_the_others_find_what_they_find(store, calls, tool_loop,
                                                                                   caplog):
    usual_traffic_then_silence(calls)
    tool_loop("agent-2", "thread-loop", at(10))
    store.command("DROP TABLE hourly_metrics_rollup")  # what the hourly rules and the budgets read
    rules = RuleSet((rule_named("traffic_drop"), rule_named("runaway_loop")), (Budget("all", "daily", 10.0),))
    with caplog.at_level(logging.ERROR, logger="spanhouse.detect.detectors"):
        findings, evaluated = detect(store, rules, NOW)
    assert [(f.rule, f.thread_id) for f in findings] == [("runaway_loop", "thread-loop")]
    assert evaluated == {"runaway_loop": True}
    assert [name for name in rule_names(rules) if name not in evaluated] == ["traffic_drop", "budget:all"]
    assert [(r.levelname, r.getMessage().split(" failed at ")[0]) for r in caplog.records] == [
        ("ERROR", "detection rule traffic_drop"), ("ERROR", "detection rule budget:all")]
    assert all("hourly_metrics_rollup" in r.getMessage() and "UNKNOWN_TABLE" in r.getMessage()
               for r in caplog.records)
