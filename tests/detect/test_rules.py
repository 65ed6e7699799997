"""Rules from TOML (shipped defaults, overrides, errors) and the four methods."""

from __future__ import annotations

import pytest

from spanhouse.detect.rules import Judgement, judge, load_rules
from spanhouse.errors import ConfigError


def test_the_shipped_rules_cover_every_detector_and_are_enabled():
    rules = load_rules()
    assert sorted(rule.type for rule in rules.enabled) == sorted(
        ["error_rate", "latency_regression", "cost_spike", "traffic_drop", "token_spike", "slow_thread",
         "runaway_loop"])
    assert rules.budgets == ()


def test_the_shipped_latency_rule_is_day_of_week_aware_over_four_weeks():
    [rule] = [rule for rule in load_rules().rules if rule.name == "latency_regression"]
    assert (rule.baseline_s, rule.weekday_min_baseline, rule.min_samples) == (28 * 86_400, 2, 20)
    assert {r.name for r in load_rules().rules if r.weekday_min_baseline} == {"latency_regression"}


def test_a_rules_file_overrides_by_name_adds_disables_and_holds_budgets(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[[rules]]\nname = "error_rate"\nthreshold = 0.2\nwindow = "10m"\n'
                    '[[rules]]\nname = "slow_thread"\nenabled = false\n'
                    '[[rules]]\nname = "cost_jump"\ntype = "cost_spike"\nmetric = "cost_usd"\n'
                    'method = "rate_of_change"\nthreshold = 1.0\nwindow = "1h"\n'
                    '[[budgets]]\nname = "acme"\ntenant = "acme"\nperiod = "monthly"\nlimit_usd = 500.0\n')
    rules = load_rules(path)
    by_name = {rule.name: rule for rule in rules.rules}
    assert (by_name["error_rate"].threshold, by_name["error_rate"].window_s, by_name["error_rate"].min_samples) == (
        0.2, 600, 20)
    assert "slow_thread" not in {rule.name for rule in rules.enabled}
    assert (by_name["cost_jump"].method, by_name["cost_jump"].baseline_s) == ("rate_of_change", 7 * 86_400)
    assert [(b.name, b.tenant, b.limit_usd) for b in rules.budgets] == [("acme", "acme", 500.0)]


@pytest.mark.parametrize(("text", "message"), [
    ('[[rules]]\nname = "x"\ntype = "nope"\nmetric = "m"\nmethod = "ratio"\nthreshold = 1\n', "rule x: type must be"),
    ('[[rules]]\nname = "error_rate"\nmethod = "median"\n', "rule error_rate: method must be"),
    ('[[rules]]\nname = "error_rate"\nwindow = "soon"\n', "rule error_rate: window: expected a duration"),
    ('[[rules]]\nname = "error_rate"\nthreshhold = 1\n', "rule error_rate: unknown keys threshhold"),
    ('[[budgets]]\nname = "b"\nperiod = "weekly"\nlimit_usd = 1\n', "budget b: period must be daily or monthly"),
    ('[[rules]]\nname = "error_rate"\nweekday_min_baseline = 2\n',
     "rule error_rate: weekday_min_baseline is a count of hours, for the rules of type latency_regression"),
    ('[[rules]]\nname = "latency_regression"\nbaseline = "14d"\nweekday_min_baseline = 3\n',
     "rule latency_regression: weekday_min_baseline = 3 needs a baseline of at least 21d"),
])
def test_a_bad_rule_is_refused_naming_it(tmp_path, text, message):
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_rules(path)


@pytest.mark.parametrize(("method", "direction", "threshold", "observed", "expected"), [
    ("threshold", "above", 0.1, 0.3, Judgement(True, 0.1, pytest.approx(3.0), 0.3)),
    ("zscore", "above", 3.0, 20.0, Judgement(True, 10.0, 5.0, 5.0)),
    ("ratio", "above", 2.0, 15.0, Judgement(False, 10.0, 1.5, 1.5)),
    ("ratio", "below", 0.3, 2.0, Judgement(True, 10.0, 0.2, 0.2)),
    ("rate_of_change", "above", 1.0, 25.0, Judgement(True, 12.0, pytest.approx(13 / 12), pytest.approx(13 / 12))),
])
def test_every_method_judges_observed_against_the_baseline(method, direction, threshold, observed, expected):
    assert judge(method, direction, threshold, observed, mean=10.0, std=2.0, previous=12.0) == expected


def test_a_flat_baseline_does_not_make_every_wobble_infinite():
    assert judge("zscore", "above", 4.0, observed=10.4, mean=10.0, std=0.0, previous=0.0).breached is False
