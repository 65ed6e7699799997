"""The routes file: read once at start, every mistake a ConfigError naming the route and field, and
never quoting a URL or header value (they are secrets)."""

from __future__ import annotations

import pytest

from spanhouse.alert.routes import EVENTS, NO_ALERTS, TYPES, AlertConfig, AlertRoute, load_routes
from spanhouse.errors import ConfigError

SECRET_URL = "https://hooks.slack.com/services/T000/B000/s3cr3t-t0ken"

EXAMPLE = f"""
api_url = "https://spanhouse.example.com/"
queue_max = 50

[[routes]]
name = "oncall"
url = "{SECRET_URL}"
format = "slack"
types = ["error_rate", "budget"]
min_severity = "warning"
tenants = ["acme"]
events = ["opened", "escalated"]
cooldown_s = 600
max_per_hour = 5
headers = {{ Authorization = "Bearer very-secret" }}
attempts = 3
backoff_s = 0.5
max_backoff_s = 8
timeout_s = 2.5

[[routes]]
name = "archive"
url = "http://127.0.0.1:9999/alerts"
"""


def write(tmp_path, text: str) -> str:
    path = tmp_path / "alerts.toml"
    path.write_text(text)
    return str(path)


def test_a_full_file_is_read_with_defaults_filled_in(tmp_path):
    config = load_routes(write(tmp_path, EXAMPLE))
    assert (config.api_url, config.queue_max) == ("https://spanhouse.example.com", 50)
    assert config.routes == (
        AlertRoute(name="oncall", url=SECRET_URL, format="slack", types=frozenset({"error_rate", "budget"}),
                   severities=frozenset({"warning", "critical"}), tenants=frozenset({"acme"}),
                   events=frozenset({"opened", "escalated"}), cooldown_s=600.0, max_per_hour=5,
                   headers={"Authorization": "Bearer very-secret"}, attempts=3, backoff_s=0.5, max_backoff_s=8.0,
                   timeout_s=2.5),
        AlertRoute(name="archive", url="http://127.0.0.1:9999/alerts", format="json", types=frozenset(),
                   severities=frozenset({"info", "warning", "critical"}), tenants=frozenset(),
                   events=frozenset(EVENTS), cooldown_s=1800.0, max_per_hour=20, headers={}, attempts=4,
                   backoff_s=2.0, max_backoff_s=60.0, timeout_s=10.0),
    )


def test_no_file_means_no_routes():
    assert load_routes(None) == load_routes("") == NO_ALERTS == AlertConfig((), "", 1000)


def test_a_route_never_shows_its_url_or_headers():
    oncall = AlertRoute(name="oncall", url=SECRET_URL, headers={"Authorization": "Bearer very-secret"})
    assert "s3cr3t" not in repr(oncall) and "very-secret" not in repr(oncall)


ONE_ROUTE = f'[[routes]]\nname = "oncall"\nurl = "{SECRET_URL}"\n'


def one_route_with(change: str) -> str:
    """ONE_ROUTE with `key = value` added, or replacing the line of that key."""
    key = change.split(" = ")[0]
    return "".join(line + "\n" for line in ONE_ROUTE.splitlines() if not line.startswith(f"{key} = ")) + change


@pytest.mark.parametrize(("change", "message"), [
    ('name = "on call"', "route 'on call': name must be 1-64 letters"),
    ('url = "ftp://example.com/x"', "route 'oncall': url must be an http:// or https:// URL with a host"),
    ('format = "teams"', "route 'oncall': format must be json or slack, got 'teams'"),
    ('types = ["error_rate", "errors"]', "route 'oncall': types must be a list of error_rate"),
    ('severities = ["critical"]\nmin_severity = "warning"', "route 'oncall': give severities or min_severity"),
    ('min_severity = "high"', "route 'oncall': min_severity must be one of info, warning, critical, got 'high'"),
    ('tenants = "acme"', "route 'oncall': tenants must be a list of tenant names"),
    ('events = ["acknowledged"]', "route 'oncall': events must be a list of opened, escalated, resolved"),
    ("events = []", "route 'oncall': events must name at least one of opened, escalated, resolved"),
    ("cooldown_s = -1", "route 'oncall': cooldown_s must be a number from 0 to 2.592e+06, got -1"),
    ("max_per_hour = 0", "route 'oncall': max_per_hour must be an integer from 1 to 100000, got 0"),
    ("attempts = 11", "route 'oncall': attempts must be an integer from 1 to 10, got 11"),
    ('timeout_s = "10s"', "route 'oncall': timeout_s must be a number from 0.1 to 120, got '10s'"),
    ('headers = { "Content-Type" = "text/plain" }', "route 'oncall': headers: 'Content-Type' is not a header"),
    ("webhook = 1", "route 'oncall': unknown fields webhook"),
])
def test_a_mistake_names_the_file_route_and_field(tmp_path, change, message):
    path = write(tmp_path, one_route_with(change))
    with pytest.raises(ConfigError) as caught:
        load_routes(path)
    assert str(caught.value).startswith(f"alert routes file {path}, ")
    assert message in str(caught.value)


def test_the_url_and_header_values_never_appear_in_an_error(tmp_path):
    bad_url = EXAMPLE.replace(SECRET_URL, "hooks.slack.com/services/T000/B000/s3cr3t-t0ken")
    with pytest.raises(ConfigError) as caught:
        load_routes(write(tmp_path, bad_url))
    assert "s3cr3t" not in str(caught.value)
    bad_header = EXAMPLE.replace('"Bearer very-secret"', '"Bearer very-secret\\nX-Evil: 1"')
    with pytest.raises(ConfigError, match="headers: the value of Authorization must be a string on one line") as caught:
        load_routes(write(tmp_path, bad_header))
    assert "very-secret" not in str(caught.value)


def test_two_routes_of_one_name_and_unknown_top_level_keys_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="two routes are named 'oncall'"):
        load_routes(write(tmp_path, EXAMPLE.replace('name = "archive"', 'name = "oncall"')))
    with pytest.raises(ConfigError, match="unknown keys route"):
        load_routes(write(tmp_path, EXAMPLE.replace("[[routes]]", "[[route]]")))


def test_an_unreadable_or_broken_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the alert routes file"):
        load_routes(str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_routes(write(tmp_path, "[[routes]\n"))


def row(**fields):
    return {"tenant": "acme", "type": "error_rate", "severity": "warning", **fields}


def test_a_route_wants_what_its_filters_let_through():
    oncall = AlertRoute(name="oncall", url=SECRET_URL, types=frozenset({"error_rate"}),
                        severities=frozenset({"warning", "critical"}), tenants=frozenset({"acme"}),
                        events=frozenset({"opened"}))
    assert oncall.wants("opened", row())
    assert not oncall.wants("resolved", row())
    assert not oncall.wants("opened", row(type="cost_spike"))
    assert not oncall.wants("opened", row(severity="info"))
    assert not oncall.wants("opened", row(tenant="globex"))
    everything = AlertRoute(name="all", url=SECRET_URL)
    assert all(everything.wants(event, row(type=kind, severity="info", tenant="t"))
               for event in EVENTS for kind in TYPES)
