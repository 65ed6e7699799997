"""What each format posts, as pure functions: the generic JSON document and Slack's text + blocks."""

from __future__ import annotations

from datetime import timedelta

import orjson

from spanhouse.alert.payloads import SCHEMA, render, render_test
from tests.alert.conftest import T0

ROW = {
    "tenant": "acme", "id": "0123456789abcdef0123456789abcdef", "version": 1, "fingerprint": "f", "rule": "error_rate",
    "type": "error_rate", "severity": "critical", "status": "OPEN", "condition_active": True,
    "agent_name": "planner", "model": "gpt-4o", "tool_name": "", "thread_id": "", "trace_id": "",
    "metric": "error_rate", "method": "threshold", "observed": 0.62, "expected": 0.1, "deviation": 6.2,
    "samples": 80, "window_start": T0 - timedelta(minutes=5), "window_end": T0,
    "evidence_thread_ids": [], "evidence_trace_ids": ["ab" * 16], "summary": "planner <gpt-4o> errors & retries",
    "first_seen": T0, "last_seen": T0, "updated_at": T0,
}


def test_the_json_document_carries_the_anomaly_as_the_api_shows_it_and_a_link():
    body = orjson.loads(render("json", "oncall", "opened", ROW, sent_at=T0, api_url="https://sh.example.com"))
    assert body == {
        "schema": SCHEMA, "event": "opened", "route": "oncall", "tenant": "acme", "sent_at": "2026-03-02T12:00:00.000Z",
        "title": "[CRITICAL] error_rate opened: planner <gpt-4o> errors & retries",
        "anomaly": {
            "id": ROW["id"], "type": "error_rate", "rule": "error_rate", "severity": "critical", "status": "OPEN",
            "condition_active": True,
            "scope": {"tenant": "acme", "agent": "planner", "model": "gpt-4o", "tool": None, "thread_id": None,
                      "trace_id": None},
            "metric": "error_rate", "method": "threshold", "observed": 0.62, "expected": 0.1, "deviation": 6.2,
            "samples": 80, "window": {"start": "2026-03-02T11:55:00.000Z", "end": "2026-03-02T12:00:00.000Z"},
            "evidence": {"thread_ids": [], "trace_ids": ["ab" * 16]}, "summary": ROW["summary"],
            "first_seen": "2026-03-02T12:00:00.000Z", "last_seen": "2026-03-02T12:00:00.000Z",
            "updated_at": "2026-03-02T12:00:00.000Z"},
        "links": {"anomaly": f"https://sh.example.com/api/v1/anomalies/{ROW['id']}"},
    }


def test_without_api_url_the_link_is_the_api_path():
    body = orjson.loads(render("json", "oncall", "resolved", ROW, sent_at=T0))
    assert body["links"] == {"anomaly": f"/api/v1/anomalies/{ROW['id']}"}


def test_the_slack_message_has_a_notification_text_and_escaped_blocks():
    body = orjson.loads(render("slack", "oncall", "opened", ROW, sent_at=T0, api_url="https://sh.example.com"))
    assert body["text"] == "[CRITICAL] error_rate opened: planner <gpt-4o> errors & retries"
    header, section, context = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text",
                                                 "text": f":red_circle: {body['text']}"}}
    assert section["text"] == {"type": "mrkdwn", "text": "planner &lt;gpt-4o&gt; errors &amp; retries"}
    assert [field["text"] for field in section["fields"]] == [
        "*Tenant*\nacme", "*Status*\nOPEN", "*Agent*\nplanner", "*Model*\ngpt-4o", "*Observed error_rate*\n0.62",
        "*Expected*\n0.1", "*Samples*\n80"]
    assert context == {"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f"<https://sh.example.com/api/v1/anomalies/{ROW['id']}|anomaly {ROW['id']}> · "
        "window 2026-03-02T11:55:00.000Z - 2026-03-02T12:00:00.000Z")}]}


def test_slack_limits_are_kept():
    long = {**ROW, "summary": "x" * 5000}
    header, section, _ = orjson.loads(render("slack", "oncall", "resolved", long, sent_at=T0))["blocks"]
    assert (len(header["text"]["text"]), len(section["text"]["text"])) == (150, 3000)
    assert header["text"]["text"].startswith(":white_check_mark: [CRITICAL] error_rate resolved: xxx")


def test_a_test_message_says_it_is_one():
    assert orjson.loads(render_test("json", "oncall", "acme", sent_at=T0)) == {
        "schema": SCHEMA, "event": "test", "route": "oncall", "tenant": "acme", "sent_at": "2026-03-02T12:00:00.000Z",
        "title": "spanhouse test alert for route oncall", "anomaly": None, "links": {}}
    slack = orjson.loads(render_test("slack", "oncall", "acme", sent_at=T0))
    assert slack["text"] == "spanhouse test alert for route oncall"
    assert "Not an anomaly." in slack["blocks"][0]["text"]["text"]
