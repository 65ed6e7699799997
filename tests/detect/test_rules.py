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
    ('[[rules]]\nname = "runaway_loop"\nmethod = "zscore"\n',
     "rule runaway_loop: a runaway_loop rule has no baseline, so its method must be threshold, got 'zscore'"),
    ('[[rules]]\nname = "error_rate"\nthreshhold = 1\n', "rule error_rate: unknown keys threshhold"),
    ('[[budgets]]\nname = "b"\nperiod = "weekly"\nlimit_usd = 1\n', "budget b: period must be daily or monthly"),
    ('[[rules]]\nname = "error_rate"\nweekday_min_baseline = 2\n',
     "rule error_rate: weekday_min_baseline is a count of hours, for the rules of type latency_regression"),
    ('[[rules]]\nname = "latency_regression"\nbaseline = "14d"\nweekday_min_baseline = 3\n',
     "rule latency_regression: weekday_min_baseline = 3 needs a baseline of at least 21d"),
    # every key of its type, so that a rule does not load only to fail at each run
    ('[[rules]]\nname = "error_rate"\nthreshold = "high"\n', "rule error_rate: threshold must be a number, got 'high'"),
    ('[[rules]]\nname = "error_rate"\nthreshold = true\n', "rule error_rate: threshold must be a number, got True"),
    ('[[rules]]\nname = "error_rate"\nthreshold = nan\n', "rule error_rate: threshold must be a number, got nan"),
    ('[[rules]]\nname = "error_rate"\nsignificance = "3"\n', "rule error_rate: significance must be a number"),
    ('[[rules]]\nname = "error_rate"\ncritical_threshold = inf\n',
     "rule error_rate: critical_threshold must be a number, got inf"),
    ('[[rules]]\nname = "error_rate"\nmin_samples = 20.5\n',
     "rule error_rate: min_samples must be a whole number from 0 to 4294967295, got 20.5"),
    ('[[rules]]\nname = "error_rate"\nmin_baseline = -1\n', "rule error_rate: min_baseline must be a whole number"),
    ('[[rules]]\nname = "error_rate"\nmin_samples = false\n', "rule error_rate: min_samples must be a whole number"),
    ('[[rules]]\nname = "error_rate"\nenabled = "no"\n', "rule error_rate: enabled must be true or false, got 'no'"),
    ('[[rules]]\nname = "error_rate"\nauto_resolve = 1\n', "rule error_rate: auto_resolve must be true or false"),
    ('[[rules]]\nname = "error_rate"\nmetric = 5\n', "rule error_rate: metric must be a string, got 5"),
    ('[[rules]]\nname = "error_rate"\nwindow = 300\n',
     "rule error_rate: window must be a duration such as 5m, 1h or 7d, got 300"),
    ('[[rules]]\nname = "error_rate"\nbaseline = "50000d"\n', "rule error_rate: baseline must be at most 49710d"),
    ('[[rules]]\nname = "x"\ntype = "error_rate"\nthreshold = 0.2\n', "rule x: missing keys metric, method"),
    ('[[rules]]\nname = 7\n', "a rule's name must be a string, got 7"),
    ('[rules]\nname = "error_rate"\n', "rules must be \\[\\[rules\\]\\] tables"),
    ('[[rule]]\nname = "error_rate"\n', "unknown keys rule"),
    ('[[budgets]]\nname = "b"\nperiod = "daily"\nlimit_usd = "500"\n',
     "budget b: limit_usd must be a number, got '500'"),
    ('[[budgets]]\nname = "b"\nperiod = "daily"\nlimit_usd = true\n', "budget b: limit_usd must be a number"),
    ('[[budgets]]\nname = "b"\nperiod = "daily"\nlimit_usd = 5\nwarn_ratio = "80%"\n',
     "budget b: warn_ratio must be a number"),
    ('[[budgets]]\nname = "b"\nperiod = "daily"\nlimit_usd = 5\nagent = 1\n', "budget b: agent must be a string"),
    ('[[budgets]]\nname = "b"\nperiod = "daily"\nlimit_usd = 5\nauto_resolve = "yes"\n',
     "budget b: auto_resolve must be true or false"),
    ('[[budgets]]\nname = "b"\nperiod = "daily"\nlimit = 5\n', "budget b: unknown keys limit"),
    ('[[budgets]]\nname = "b"\nperiod = "daily"\n', "budget b: missing keys limit_usd"),
])
def test_a_bad_rule_is_refused_naming_it(tmp_path, text, message):
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_rules(path)


def test_a_whole_number_stands_for_a_number(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[[rules]]\nname = "error_rate"\nthreshold = 1\n'
                    '[[budgets]]\nname = "b"\nperiod = "daily"\nlimit_usd = 5\n')
    rules = load_rules(path)
    assert [(rule.threshold, type(rule.threshold)) for rule in rules.rules if rule.name == "error_rate"] == [
        (1.0, float)]
    assert [(budget.limit_usd, type(budget.limit_usd)) for budget in rules.budgets] == [(5.0, float)]


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
