"""What a route posts: pure functions from an anomaly change (or a test message) to bytes.

`json` (generic), schema "spanhouse.alert/v1":
    {"schema": "spanhouse.alert/v1", "event": "opened" | "escalated" | "resolved" | "test",
     "route": "<route name>", "tenant": "<tenant>", "sent_at": "<RFC 3339>", "title": "<one line>",
     "anomaly": <the anomaly as GET /api/v1/anomalies/{id} shows it, without history> | null,
     "links": {"anomaly": "<api_url>/api/v1/anomalies/<id>"} | {}}
A link is absolute when the routes file sets `api_url`, else the API path alone.

`slack`: a Slack incoming-webhook message, `text` (the notification line) and `blocks` (header,
the summary with the scope and numbers as fields, a context line with the link and window),
cut to Slack's limits and with mrkdwn's `&`, `<`, `>` escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from spanhouse.query.anomalies import public

SCHEMA = "spanhouse.alert/v1"
TEST_EVENT = "test"
# Slack's limits (api.slack.com/reference/block-kit/blocks): header text 150, section text 3000,
# a field 2000, ten fields.
_HEADER_MAX, _TEXT_MAX, _FIELD_MAX, _FIELDS_MAX = 150, 3000, 2000, 10
_ICON = {"critical": ":red_circle:", "warning": ":warning:", "info": ":information_source:"}


def anomaly_path(anomaly_id: str) -> str:
    return f"/api/v1/anomalies/{anomaly_id}"


def title(event: str, anomaly: Mapping[str, Any]) -> str:
    """One line: `[CRITICAL] error_rate opened: <summary>`."""
    return f"[{str(anomaly['severity']).upper()}] {anomaly['type']} {event}: {anomaly['summary']}"


def test_title(route: str) -> str:
    return f"spanhouse test alert for route {route}"


def render(form: str, route: str, event: str, anomaly: Mapping[str, Any], *, sent_at: datetime,
           api_url: str = "") -> bytes:
    """The body `form` ("json" or "slack") posts about `event` happening to `anomaly` (an anomalies row)."""
    link = api_url + anomaly_path(str(anomaly["id"]))
    if form == "slack":
        return orjson.dumps(_slack(event, anomaly, link))
    return orjson.dumps({
        "schema": SCHEMA, "event": event, "route": route, "tenant": anomaly["tenant"], "sent_at": _time(sent_at),
        "title": title(event, anomaly), "anomaly": public(anomaly), "links": {"anomaly": link},
    })


def render_test(form: str, route: str, tenant: str, *, sent_at: datetime) -> bytes:
    """A test message: proves the route reaches its webhook, says it is not an anomaly."""
    line = test_title(route)
    if form == "slack":
        return orjson.dumps({"text": line, "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": _escape(
                f":white_check_mark: {line} (tenant {tenant}), sent {_time(sent_at)}. Not an anomaly.")}}]})
    return orjson.dumps({"schema": SCHEMA, "event": TEST_EVENT, "route": route, "tenant": tenant,
                         "sent_at": _time(sent_at), "title": line, "anomaly": None, "links": {}})


def _slack(event: str, anomaly: Mapping[str, Any], link: str) -> dict[str, Any]:
    line = title(event, anomaly)
    icon = ":white_check_mark:" if event == "resolved" else _ICON.get(str(anomaly["severity"]), "")
    fields = [(label, value) for label, value in (
        ("Tenant", anomaly["tenant"]), ("Status", anomaly["status"]), ("Agent", anomaly["agent_name"]),
        ("Model", anomaly["model"]), ("Tool", anomaly["tool_name"]), ("Thread", anomaly["thread_id"]),
        ("Trace", anomaly["trace_id"]),
        (f"Observed {anomaly['metric']}", f"{float(anomaly['observed']):.4g}"),
        ("Expected", f"{float(anomaly['expected']):.4g}"), ("Samples", str(anomaly["samples"])),
    ) if value][:_FIELDS_MAX]
    where = f"<{link}|anomaly {anomaly['id']}>" if link.startswith("http") else f"anomaly `{link}`"
    window = f"window {_time(anomaly['window_start'])} - {_time(anomaly['window_end'])}"
    return {
        "text": _cut(line, _TEXT_MAX),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": _cut(f"{icon} {line}".strip(), _HEADER_MAX)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(_escape(str(anomaly["summary"])), _TEXT_MAX)},
             "fields": [{"type": "mrkdwn", "text": _cut(f"*{label}*\n{_escape(str(value))}", _FIELD_MAX)}
                        for label, value in fields]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(f"{where} · {window}", _TEXT_MAX)}]},
        ],
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
