"""Detection on a store as a newcomer's is: agents seen for the first time. Each test has a fresh
database of its own; the hourly rules observe 09:00-10:00 of the bench's incident day."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from spanhouse.detect.detectors import detect, run_rule
from spanhouse.detect.rules import load_rules
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

