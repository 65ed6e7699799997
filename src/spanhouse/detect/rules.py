"""Detection rules and budgets from TOML, and the four methods every rule may judge with.

The shipped `rules.toml` is always read first; a rules file given in the settings replaces rules
of the same name, adds others, and disables one with `enabled = false`. Methods compare an
observed value with its baseline (mean, standard deviation, previous window):
  threshold       observed past `threshold`                          deviation = observed / threshold
  zscore          (observed - mean) / std past `threshold`           deviation = z
  ratio           observed / mean past `threshold`                   deviation = ratio
  rate_of_change  (observed - previous) / previous past `threshold`  deviation = relative change
"Past" is above, or below for `direction = "below"` (a traffic drop).
zscore and ratio never judge a scope with no baseline point (a new agent), whatever min_baseline.
Rules over the last hour (latency_regression, cost_spike, traffic_drop) take as baseline the same
hour of every day of the baseline window, or, with `weekday_min_baseline = n` and at least n such
hours on the same weekday (each with `min_samples` observations), those hours only.
Every key is checked for its type when the rules load: a rule that would only fail at its first
run (`threshold = "high"`) is refused at start-up, naming it and the key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any, get_type_hints

from spanhouse.errors import ConfigError
from spanhouse.query.params import NS_PER_S, ParamError, duration_ns

TYPES = ("error_rate", "latency_regression", "cost_spike", "traffic_drop", "token_spike", "slow_thread",
         "runaway_loop")
HOURLY_TYPES = ("latency_regression", "cost_spike", "traffic_drop")
WEEK_S = 7 * 86_400
METHODS = ("threshold", "zscore", "ratio", "rate_of_change")
BASELINE_METHODS = ("zscore", "ratio")  # judged against the baseline's mean: need at least one baseline point
SEVERITIES = ("info", "warning", "critical")
UINT32_MAX = 2**32 - 1  # counts and seconds reach the detector queries as UInt32 parameters


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    type: str
    metric: str
    method: str
    threshold: float
    severity: str = "warning"
    window_s: int = 300
    baseline_s: int = 7 * 86_400
    direction: str = "above"
    min_samples: int = 0
    min_baseline: int = 0
    weekday_min_baseline: int = 0  # same-weekday hours needed to judge against them alone; 0 = never
    significance: float | None = None
    critical_threshold: float | None = None
    auto_resolve: bool = True
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Budget:
    name: str
    period: str
    limit_usd: float
    tenant: str = "*"
    agent: str = ""
    model: str = ""
    warn_ratio: float = 0.8
    auto_resolve: bool = True


@dataclass(frozen=True, slots=True)
class Judgement:
    breached: bool
    expected: float
    deviation: float
    value: float  # what was compared with the threshold (observed, z, ratio or change)


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...]
    budgets: tuple[Budget, ...] = ()

    @property
    def enabled(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)


def judge(method: str, direction: str, threshold: float, observed: float, mean: float, std: float,
          previous: float) -> Judgement:
    """Whether `observed` breaches the rule, what was expected, and by how much it deviates."""
    if method == "threshold":
        value, expected = observed, threshold
        deviation = observed / threshold if threshold else observed
    elif method == "zscore":
        # A flat baseline has no spread: floor it at 5% of the mean, so a constant series does not
        # turn every wobble into an infinite z.
        spread = max(std, abs(mean) * 0.05, 1e-9)
        value = deviation = (observed - mean) / spread
        expected = mean
    elif method == "ratio":
        if mean <= 0:
            return Judgement(False, mean, 0.0, 0.0)
        value = deviation = observed / mean
        expected = mean
    elif method == "rate_of_change":
        if previous <= 0:
            return Judgement(False, previous, 0.0, 0.0)
        value = deviation = (observed - previous) / previous
        expected = previous
    else:
        raise ValueError(method)
    breached = value > threshold if direction == "above" else value < threshold
    return Judgement(breached, expected, deviation, value)


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The shipped rules, overridden and extended by the TOML file at `path` (if any).

    Raises:
        ConfigError: the file is unreadable, or a rule or budget is malformed (named in the message).
    """
    shipped = tomllib.loads(resources.files(__package__).joinpath("rules.toml").read_text(encoding="utf-8"))
    rules = {raw["name"]: raw for raw in shipped.get("rules", [])}
    budgets: list[dict[str, Any]] = list(shipped.get("budgets", []))
    if path:
        try:
            with Path(path).open("rb") as fh:
                custom = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"cannot read rules file {path}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"rules file {path} is not valid TOML: {exc}") from exc
        unknown = sorted(set(custom) - {"rules", "budgets"})
        if unknown:
            raise ConfigError(f"rules file {path}: unknown keys {', '.join(unknown)} (it holds [[rules]] and "
                              f"[[budgets]])")
        for raw in _tables(custom, "rules", path):
            name = raw.get("name")
            if not name:
                raise ConfigError(f"rules file {path}: a rule has no name")
            if not isinstance(name, str):
                raise ConfigError(f"rules file {path}: a rule's name must be a string, got {name!r}")
            rules[name] = {**rules.get(name, {}), **raw}
        budgets += _tables(custom, "budgets", path)
    return RuleSet(tuple(_rule(raw) for raw in rules.values()), tuple(_budget(raw) for raw in budgets))


def _tables(document: Mapping[str, Any], key: str, path: str | Path) -> list[dict[str, Any]]:
    tables = document.get(key, [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise ConfigError(f"rules file {path}: {key} must be [[{key}]] tables")
    return tables


_RULE_KEYS = {f.name for f in fields(Rule)} - {"window_s", "baseline_s"} | {"window", "baseline"}


def _rule(raw: dict[str, Any]) -> Rule:
    name = raw.get("name", "?")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise ConfigError(f"rule {name}: unknown keys {', '.join(unknown)}")
    values = _typed(f"rule {name}", Rule, {key: value for key, value in raw.items()
                                           if key not in ("window", "baseline")})
    for key in ("window", "baseline"):
        if key in raw:
            value = raw[key]
            if not isinstance(value, str):
                raise ConfigError(f"rule {name}: {key} must be a duration such as 5m, 1h or 7d, got {value!r}")
            try:
                values[f"{key}_s"] = duration_ns(value, key) // NS_PER_S
            except ParamError as exc:
                raise ConfigError(f"rule {name}: {exc}") from exc
    rule = Rule(**values)
    for label, value, allowed in (("type", rule.type, TYPES), ("method", rule.method, METHODS),
                                  ("severity", rule.severity, SEVERITIES),
                                  ("direction", rule.direction, ("above", "below"))):
        if value not in allowed:
            raise ConfigError(f"rule {name}: {label} must be one of {', '.join(allowed)}, got {value!r}")
    if rule.type == "runaway_loop" and rule.method != "threshold":
        # its query counts a thread's tool calls in the window and has no baseline nor previous
        # window, so any other method would judge against zeros and never fire
        raise ConfigError(f"rule {name}: a runaway_loop rule has no baseline, so its method must be threshold, "
                          f"got {rule.method!r}")
    if rule.window_s <= 0 or rule.baseline_s <= rule.window_s:
        raise ConfigError(f"rule {name}: window must be positive and shorter than baseline")
    if rule.baseline_s > UINT32_MAX:
        raise ConfigError(f"rule {name}: baseline must be at most {UINT32_MAX // 86_400}d")
    if rule.weekday_min_baseline < 0 or (rule.weekday_min_baseline and rule.type not in HOURLY_TYPES):
        raise ConfigError(f"rule {name}: weekday_min_baseline is a count of hours, for the rules of type "
                          f"{', '.join(HOURLY_TYPES)} only")
    if rule.baseline_s < rule.weekday_min_baseline * WEEK_S:
        # each same-weekday hour is a week apart: a shorter baseline could never hold enough of them
        raise ConfigError(f"rule {name}: weekday_min_baseline = {rule.weekday_min_baseline} needs a baseline of "
                          f"at least {rule.weekday_min_baseline * 7}d")
    return rule


def _budget(raw: dict[str, Any]) -> Budget:
    name = raw.get("name", "?")
    unknown = sorted(set(raw) - {f.name for f in fields(Budget)})
    if unknown:
        raise ConfigError(f"budget {name}: unknown keys {', '.join(unknown)}")
    budget = Budget(**_typed(f"budget {name}", Budget, raw))
    if budget.period not in ("daily", "monthly"):
        raise ConfigError(f"budget {name}: period must be daily or monthly, got {budget.period!r}")
    if budget.limit_usd <= 0 or (budget.agent and budget.model):
        raise ConfigError(f"budget {name}: limit_usd must be positive, and a budget is per agent or per model")
    return budget


def _typed(what: str, cls: type[Rule] | type[Budget], raw: Mapping[str, Any]) -> dict[str, Any]:
    """`raw` as keyword arguments of `cls`: each value of its field's type, every required key there.

    A TOML integer may stand for a number (`threshold = 25`); a boolean may not, though Python
    counts it an int; nor may nan or inf, which TOML allows and no comparison survives.
    """
    hints = get_type_hints(cls)
    values = {key: _value(what, key, value, hints[key]) for key, value in raw.items()}
    missing = [f.name for f in fields(cls) if f.default is MISSING and f.name not in values]
    if missing:
        raise ConfigError(f"{what}: missing keys {', '.join(missing)}")
    return values


def _value(what: str, key: str, value: Any, hint: Any) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
        expected = "true or false"
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= UINT32_MAX:
            return value
        expected = f"a whole number from 0 to {UINT32_MAX}"
    elif hint is str:
        if isinstance(value, str):
            return value
        expected = "a string"
    elif hint in (float, float | None):  # None only as the default: TOML has no null
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        expected = "a number"
    else:
        raise TypeError(f"{what}: no check for {key} of type {hint}")
    raise ConfigError(f"{what}: {key} must be {expected}, got {value!r}")
