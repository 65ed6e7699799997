"""Alert routes: which anomaly changes go to which webhook, read once from a TOML file at start.

    api_url = "https://spanhouse.example.com"  # optional: links in alerts become absolute
    queue_max = 1000                          # optional: alerts waiting for delivery, at most

    [[routes]]
    name = "oncall"                           # named in every delivery row, log line and API answer
    url = "https://hooks.slack.com/services/..."
    format = "slack"                          # or "json" (the default)
    types = ["error_rate", "cost_spike"]      # default: every type
    min_severity = "warning"                  # or severities = ["critical"]; default: every severity
    tenants = ["acme"]                        # default: every tenant
    events = ["opened", "escalated"]          # default: opened, escalated, resolved
    cooldown_s = 1800                         # same anomaly (or a recurrence of it) not re-sent within it
    max_per_hour = 20                         # past it, alerts of this route are throttled
    headers = { Authorization = "Bearer ..." }
    attempts = 4                              # retries: on connection errors, timeouts, 5xx and 429
    backoff_s = 2.0                           # first wait, doubling up to max_backoff_s
    max_backoff_s = 60.0                      # also the most a Retry-After is honoured
    timeout_s = 10.0                          # per attempt

Every problem is a ConfigError naming the file, the route and the field. The URL and header
values are secrets (a Slack webhook URL is the credential): `AlertRoute` keeps them out of its
repr and no message quotes them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from spanhouse.detect.detectors import BUDGET_RULE
from spanhouse.detect.lifecycle import SEVERITIES
from spanhouse.detect.rules import TYPES as RULE_TYPES
from spanhouse.errors import ConfigError

Format = Literal["json", "slack"]
FORMATS: tuple[str, ...] = ("json", "slack")
EVENTS: tuple[str, ...] = ("opened", "escalated", "resolved")
TYPES: tuple[str, ...] = (*RULE_TYPES, BUDGET_RULE)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")
# We set these ourselves: a route overriding them would break the payload or the connection.
_RESERVED_HEADERS = frozenset({"content-type", "content-length", "host", "transfer-encoding", "connection"})
_TOP_KEYS = frozenset({"api_url", "queue_max", "routes"})


@dataclass(frozen=True, slots=True)
class AlertRoute:
    name: str
    url: str = field(repr=False)
    format: Format = "json"
    types: frozenset[str] = frozenset()  # empty: every type
    severities: frozenset[str] = frozenset(SEVERITIES)
    tenants: frozenset[str] = frozenset()  # empty: every tenant
    events: frozenset[str] = frozenset(EVENTS)
    cooldown_s: float = 1800.0
    max_per_hour: int = 20
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    attempts: int = 4
    backoff_s: float = 2.0
    max_backoff_s: float = 60.0
    timeout_s: float = 10.0

    def serves(self, tenant: str) -> bool:
        return not self.tenants or tenant in self.tenants

    def wants(self, event: str, anomaly: Mapping[str, Any]) -> bool:
        """Whether this route alerts about `event` happening to `anomaly` (an anomalies row)."""
        return (event in self.events and self.serves(str(anomaly["tenant"]))
                and (not self.types or anomaly["type"] in self.types) and anomaly["severity"] in self.severities)

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in a log line or a stored detail."""
        return (self.url, *(value for value in self.headers.values() if len(value) >= 4))


@dataclass(frozen=True, slots=True)
class AlertConfig:
    routes: tuple[AlertRoute, ...] = ()
    api_url: str = ""
    queue_max: int = 1000

    def route(self, name: str) -> AlertRoute | None:
        return next((route for route in self.routes if route.name == name), None)


NO_ALERTS = AlertConfig()


def load_routes(path: str | Path | None) -> AlertConfig:
    """The routes of the TOML file at `path`; no path: no routes (nothing is ever sent).

    Raises:
        ConfigError: the file is unreadable or malformed; the message names the route and field.
    """
    if not path:
        return NO_ALERTS
    try:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read the alert routes file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"alert routes file {path} is not valid TOML: {exc}") from exc
    where = f"alert routes file {path}"
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(unknown)} (expected api_url, queue_max, [[routes]])")
    api_url = data.get("api_url", "")
    if not isinstance(api_url, str) or (api_url and not _is_http_url(api_url)):
        raise ConfigError(f"{where}: api_url must be an http:// or https:// URL, got {api_url!r}")
    queue_max = _integer(data, "queue_max", 1000, 1, 1_000_000, where)
    entries = data.get("routes", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ConfigError(f"{where}: routes must be [[routes]] tables")
    routes: list[AlertRoute] = []
    for number, entry in enumerate(entries, 1):
        route = _route(entry, f"{where}, route {entry.get('name') or number!r}")
        if any(other.name == route.name for other in routes):
            raise ConfigError(f"{where}: two routes are named {route.name!r}")
        routes.append(route)
    return AlertConfig(tuple(routes), api_url.rstrip("/"), queue_max)


_ROUTE_KEYS = frozenset({"name", "url", "format", "types", "severities", "min_severity", "tenants", "events",
                         "cooldown_s", "max_per_hour", "headers", "attempts", "backoff_s", "max_backoff_s",
                         "timeout_s"})


def _route(entry: dict[str, Any], where: str) -> AlertRoute:
    unknown = sorted(set(entry) - _ROUTE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown fields {', '.join(unknown)}")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"{where}: name must be 1-64 letters, digits, '_', '.' or '-', got {name!r}")
    url = entry.get("url")
    if not isinstance(url, str) or not _is_http_url(url):
        # never quote the URL: it is the webhook's credential
        raise ConfigError(f"{where}: url must be an http:// or https:// URL with a host")
    form = entry.get("format", "json")
    if form not in FORMATS:
        raise ConfigError(f"{where}: format must be json or slack, got {form!r}")
    if "severities" in entry and "min_severity" in entry:
        raise ConfigError(f"{where}: give severities or min_severity, not both")
    severities = _choices(entry, "severities", SEVERITIES, where) or frozenset(SEVERITIES)
    if "min_severity" in entry:
        least = entry["min_severity"]
        if least not in SEVERITIES:
            raise ConfigError(f"{where}: min_severity must be one of {', '.join(SEVERITIES)}, got {least!r}")
        severities = frozenset(SEVERITIES[SEVERITIES.index(least):])
    tenants = entry.get("tenants", [])
    if not isinstance(tenants, list) or not all(isinstance(t, str) and t for t in tenants):
        raise ConfigError(f"{where}: tenants must be a list of tenant names")
    events = _choices(entry, "events", EVENTS, where)
    if "events" in entry and not events:
        raise ConfigError(f"{where}: events must name at least one of {', '.join(EVENTS)}")
    attempts = _integer(entry, "attempts", 4, 1, 10, where)
    backoff_s = _number(entry, "backoff_s", 2.0, 0.0, 3600.0, where)
    max_backoff_s = _number(entry, "max_backoff_s", max(60.0, backoff_s), backoff_s, 3600.0, where)
    return AlertRoute(
        name=name, url=url, format="slack" if form == "slack" else "json",
        types=_choices(entry, "types", TYPES, where), severities=severities, tenants=frozenset(tenants),
        events=events or frozenset(EVENTS), cooldown_s=_number(entry, "cooldown_s", 1800.0, 0.0, 30 * 86_400.0, where),
        max_per_hour=_integer(entry, "max_per_hour", 20, 1, 100_000, where), headers=_headers(entry, where),
        attempts=attempts, backoff_s=backoff_s, max_backoff_s=max_backoff_s,
        timeout_s=_number(entry, "timeout_s", 10.0, 0.1, 120.0, where),
    )


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)


def _choices(entry: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str) -> frozenset[str]:
    values = entry.get(key, [])
    if not isinstance(values, list) or not all(value in allowed for value in values):
        raise ConfigError(f"{where}: {key} must be a list of {', '.join(allowed)}, got {values!r}")
    return frozenset(values)


def _integer(entry: Mapping[str, Any], key: str, default: int, least: int, most: int, where: str) -> int:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise ConfigError(f"{where}: {key} must be an integer from {least} to {most}, got {value!r}")
    return value


def _number(entry: Mapping[str, Any], key: str, default: float, least: float, most: float, where: str) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not least <= value <= most:
        raise ConfigError(f"{where}: {key} must be a number from {least:g} to {most:g}, got {value!r}")
    return float(value)


def _headers(entry: Mapping[str, Any], where: str) -> dict[str, str]:
    headers = entry.get("headers", {})
    if not isinstance(headers, dict):
        raise ConfigError(f"{where}: headers must be a table of header names to values")
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name) or name.lower() in _RESERVED_HEADERS:
            raise ConfigError(f"{where}: headers: {name!r} is not a header a route may set")
        # the value may be a credential: say what is wrong with it, never what it is
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            raise ConfigError(f"{where}: headers: the value of {name} must be a string on one line")
    return dict(headers)
