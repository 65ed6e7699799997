"""`spanhouse demo`: conversations that arrive whole, and a clear failure when they do not arrive."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest

from spanhouse.demo import DemoNotDelivered, make_exporter, send_demo


def test_the_demo_sends_conversations_of_one_user_each_with_their_messages(server, query):
    # the endpoint written as the full traces URL, as a user may well type it
    result = send_demo(make_exporter(server.http_endpoint + "/v1/traces", "http"), traces=12, seed=3)

    assert query("SELECT uniqExact(TraceId) FROM otel_traces") == [(12,)]
    users_per_thread = query("SELECT ThreadId, uniqExactIf(UserId, UserId != '') FROM otel_traces "
                             "WHERE ThreadId != '' "
                             "GROUP BY ThreadId")
    assert {thread for thread, _ in users_per_thread} <= set(result.threads)
    assert {users for _, users in users_per_thread} == {1}

    doc = httpx.get(f"{server.api}/api/v1/traces/{result.trace_ids[-1]}", timeout=30).json()
    answers = [span for span in doc["spans"] if span["ai"]["category"] == "LLM" and span["ai"]["messages"]["output"]]
    assert answers, "every turn has at least one model call that answered"
    roles = [message["role"] for message in answers[-1]["ai"]["messages"]["input"]]
    assert roles[0] == "system" and "user" in roles


def test_the_demo_e_mail_address_is_masked_before_it_is_stored(server, query):
    send_demo(make_exporter(server.http_endpoint, "http"), traces=12, seed=3)
    [(raw, masked)] = query("SELECT countIf(content LIKE '%jane.doe@example.com%'), "
                            "countIf(content LIKE '%[REDACTED:email]%') FROM message_content")
    assert (raw, masked > 0) == (0, True)


def test_the_demo_fails_at_once_naming_the_address_when_nothing_listens():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the demo runs: nothing listens there
    result = subprocess.run([sys.executable, "-m", "spanhouse", "demo", "--endpoint", f"http://127.0.0.1:{port}"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"nothing answers at 127.0.0.1:{port}" in result.stderr and "make run" in result.stderr
    assert "sent" not in result.stdout


def test_the_demo_reports_spans_the_server_refused(server):
    # The query API listens but is no OTLP receiver: every export gets a 404.
    with pytest.raises(DemoNotDelivered, match=r"of the demo's spans were not delivered \(the exporter said: .*404"):
        send_demo(make_exporter(server.api, "http"), traces=2, seed=1)
