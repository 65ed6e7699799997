"""Posting to a real local webhook: what is retried (connection errors, timeouts, 5xx, 429), with
which backoff, what is not (other 4xx, redirects), and that no secret reaches a detail."""

from __future__ import annotations

import socket

from spanhouse.alert.webhook import Outcome, deliver, equal_jitter
from tests.alert.conftest import T0, FakeClock, route

BODY = b'{"hello": "webhook"}'


def test_a_2xx_is_sent_at_the_first_attempt_with_the_routes_headers(receiver, waits):
    hook = route(receiver.url, headers={"Authorization": "Bearer t0ken"})
    assert deliver(hook, BODY, sleep=waits) == Outcome("sent", 1, 200, "")
    [request] = receiver.wait_for(1)
    assert (request.path, request.body, request.headers["Content-Type"], request.headers["Authorization"]) == (
        "/hook", BODY, "application/json", "Bearer t0ken")
    assert request.headers["User-Agent"].startswith("spanhouse/")
    assert waits.delays == []


def test_5xx_is_retried_with_exponential_backoff_until_it_is_sent(receiver, waits):
    receiver.answer(500, times=2)
    receiver.answer(503)
    outcome = deliver(route(receiver.url, attempts=5, backoff_s=1.0), BODY, sleep=waits, jitter=lambda d: d)
    assert outcome == Outcome("sent", 4, 200, "")
    assert waits.delays == [1.0, 2.0, 4.0]
    assert [r.body for r in receiver.wait_for(4)] == [BODY] * 4


def test_the_backoff_is_capped_and_jittered(receiver, waits):
    receiver.answer(502, times=4)
    deliver(route(receiver.url, attempts=5, backoff_s=1.0, max_backoff_s=3.0), BODY, sleep=waits,
            jitter=lambda d: d)
    assert waits.delays == [1.0, 2.0, 3.0, 3.0]
    assert all(0.5 <= equal_jitter(1.0) <= 1.0 for _ in range(100))


def test_a_permanent_failure_gives_up_after_the_routes_attempts(receiver, waits):
    receiver.answer(500, times=10, body=b"database on fire")
    outcome = deliver(route(receiver.url, attempts=3), BODY, sleep=waits, jitter=lambda d: d)
    assert outcome == Outcome("failed", 3, 500, "HTTP 500: database on fire; gave up after 3 attempts")
    assert len(receiver.requests) == 3


def test_another_4xx_is_not_retried(receiver, waits):
    receiver.answer(400, body=b"invalid_payload")
    outcome = deliver(route(receiver.url, attempts=4), BODY, sleep=waits)
    assert outcome == Outcome("failed", 1, 400, "HTTP 400: invalid_payload; not retried")
    assert (len(receiver.requests), waits.delays) == (1, [])


def test_429_waits_what_retry_after_says_within_the_cap(receiver, waits):
    receiver.answer(429, retry_after="7")
    receiver.answer(429, retry_after="3600")
    receiver.answer(503, retry_after="Mon, 02 Mar 2026 12:00:30 GMT")  # 30 s after the fake clock's now
    outcome = deliver(route(receiver.url, attempts=4, max_backoff_s=60.0), BODY, sleep=waits, jitter=lambda d: d,
                      clock=FakeClock(T0))
    assert outcome == Outcome("sent", 4, 200, "")
    assert waits.delays == [7.0, 60.0, 30.0]


def test_a_timeout_is_retried(receiver, waits):
    receiver.hang(seconds=10)
    outcome = deliver(route(receiver.url, attempts=2, timeout_s=0.3), BODY, sleep=waits, jitter=lambda d: d)
    assert outcome == Outcome("sent", 2, 200, "")
    assert waits.delays == [1.0]


def test_a_refused_connection_is_retried_then_reported(waits):
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    outcome = deliver(route(f"http://127.0.0.1:{port}/hook", attempts=2), BODY, sleep=waits)
    assert (outcome.outcome, outcome.attempts, outcome.http_status) == ("failed", 2, 0)
    assert outcome.detail.startswith("connection error: ") and outcome.detail.endswith("; gave up after 2 attempts")


def test_a_redirect_is_not_followed(receiver, waits):
    receiver.answer(302, body=b"", retry_after=None)
    outcome = deliver(route(receiver.url), BODY, sleep=waits)
    assert outcome == Outcome("failed", 1, 302, "HTTP 302 (redirects are not followed); not retried")


def test_a_stop_during_the_backoff_ends_the_retries(receiver):
    receiver.answer(500, times=3)
    outcome = deliver(route(receiver.url, attempts=3), BODY, sleep=lambda seconds: True)
    assert outcome == Outcome("failed", 1, 500, "HTTP 500; stopped before retrying (shutting down)")
    assert len(receiver.requests) == 1


def test_the_url_and_header_values_are_masked_in_what_the_webhook_echoes(receiver, waits):
    hook = route(receiver.url, headers={"X-Token": "t0ken-value"})
    receiver.answer(404, body=f"no hook at {receiver.url} for t0ken-value".encode())
    outcome = deliver(hook, BODY, sleep=waits)
    assert outcome.detail == "HTTP 404: no hook at [redacted] for [redacted]; not retried"
