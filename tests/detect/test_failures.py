"""A rule that keeps failing is logged when it starts, when its error changes, hourly while it
lasts and when it works again: not once per run."""

from __future__ import annotations

import logging

import pytest

from spanhouse.detect.failures import FailureLog


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.DEBUG, logger="spanhouse.detect.detectors")

    def lines(level=logging.INFO):
        return [(record.levelname, record.getMessage()) for record in caplog.records if record.levelno >= level]

    return lines


def test_a_failure_repeated_each_run_is_logged_once_until_the_rule_works_again(log):
    failures = FailureLog(clock=lambda: 0.0)
    for minute in range(5):
        failures.failed("cost_spike", f"10:0{minute}", "UNKNOWN_TABLE hourly_metrics_rollup")
    failures.succeeded("cost_spike")
    failures.succeeded("cost_spike")  # working on: nothing more to say
    assert log() == [
        ("ERROR", "detection rule cost_spike failed at 10:00, its anomalies left as they are: "
                  "UNKNOWN_TABLE hourly_metrics_rollup"),
        ("INFO", "detection rule cost_spike runs again, after 5 failed runs"),
    ]
    assert len(log(logging.DEBUG)) == 2 + 4  # the repeats, at debug level


def test_a_new_error_is_logged_and_a_lasting_one_again_after_the_repeat_interval(log):
    now = [0.0]
    failures = FailureLog(repeat_after_s=3600, clock=lambda: now[0])
    failures.failed("slow_thread", "t0", "first error")
    failures.failed("slow_thread", "t1", "second error")
    now[0] = 1800.0
    failures.failed("slow_thread", "t2", "second error")
    now[0] = 3601.0
    failures.failed("slow_thread", "t3", "second error")
    assert [message.split(": ")[-1] for _, message in log()] == ["first error", "second error", "second error"]
    assert "(failing for 4 runs in a row)" in log()[-1][1]


def test_rules_are_followed_apart(log):
    failures = FailureLog(clock=lambda: 0.0)
    failures.failed("a", "t0", "boom")
    failures.failed("b", "t0", "boom")
    failures.succeeded("a")
    failures.failed("b", "t1", "boom")
    assert [message.split(" failed at")[0].split(" runs again")[0] for _, message in log()] == [
        "detection rule a", "detection rule b", "detection rule a"]


def test_an_unexpected_exception_is_logged_with_its_traceback(caplog):
    failures = FailureLog()
    with caplog.at_level(logging.ERROR, logger="spanhouse.detect.detectors"):
        try:
            raise ZeroDivisionError("division by zero")
        except ZeroDivisionError:
            failures.failed("bug", "t0", "ZeroDivisionError: division by zero", traceback=True)
    assert caplog.records[0].exc_info is not None
