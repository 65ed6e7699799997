"""Runs detection every interval inside `spanhouse serve`, and over a past range for a backfill.

`Scheduler` is a context manager entered in the app's lifespan stack: a thread waits on an event
between runs (so leaving the context interrupts the wait at once), runs every enabled rule at the
clock's `now`, folds the findings into the anomalies, and hands what changed to `on_changes`
(the alerter). A rule that fails is logged and skipped, the others' findings recorded and handed
on; a failed run is logged and the next one tried; neither stops the server. A backfill
(`spanhouse detect`) runs `run_and_record` at each step the same way and reports failed rules at the end.
The clock is injected: tests and backfills decide what `now` is.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType

from clickhouse_connect.driver.client import Client

from spanhouse.detect.detectors import detect, rule_names
from spanhouse.detect.failures import FailureLog
from spanhouse.detect.lifecycle import AnomalyStore, Change, RunResult
from spanhouse.detect.rules import RuleSet

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
ChangeSink = Callable[[Sequence[Change]], None]


def system_clock() -> datetime:
    return datetime.now(UTC)


def run_and_record(client: Client, anomalies: AnomalyStore, rules: RuleSet, now: datetime,
                   failures: FailureLog | None = None) -> RunResult:
    """One detection pass at `now`: every enabled rule and budget, folded into the anomalies.

    A rule that fails does not stop the others; the result's `failed` names it (detect logged why)
    and its anomalies are left as they were.
    """
    findings, evaluated = detect(client, rules, now, failures)
    result = anomalies.record(findings, evaluated, now)
    result.failed = tuple(name for name in rule_names(rules) if name not in evaluated)
    return result


def backfill_times(since: datetime, until: datetime, step: timedelta) -> Iterator[datetime]:
    now = since
    while now <= until:
        yield now
        now += step


class Scheduler:
    """Detection every `interval_s` seconds on a thread of its own.

    Args:
        client: a client of its own for the detector queries (chDB runs one call at a time per handle).
        anomalies: the process's AnomalyStore (shared with the API's status changes).
        rules: the rules and budgets to run.
        interval_s: seconds between the starts of two runs; 0 disables the scheduler.
        clock: what `now` is at each run.
        on_changes: receives the anomalies opened, escalated or resolved by each run (alerting).
    """

    def __init__(self, client: Client, anomalies: AnomalyStore, rules: RuleSet, interval_s: float, *,
                 clock: Clock = system_clock, on_changes: ChangeSink | None = None) -> None:
        self._client = client
        self._anomalies = anomalies
        self._rules = rules
        self._interval_s = interval_s
        self._clock = clock
        self._on_changes = on_changes
        self._failures = FailureLog()  # across runs: a rule that keeps failing is logged once, not every run
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def run_once(self) -> RunResult:
        result = run_and_record(self._client, self._anomalies, self._rules, self._clock(), self._failures)
        self.runs += 1
        if result.changes and self._on_changes is not None:
            self._on_changes(result.changes)
        return result

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                result = self.run_once()
                if result.opened or result.cleared:
                    logger.info("detection: %d anomalies opened, %d updated, %d cleared", result.opened,
                                result.updated, result.cleared)
            except Exception:
                logger.exception("detection run failed; next run in %ss", self._interval_s)

    def __enter__(self) -> Scheduler:
        if self._interval_s > 0:
            self._thread = threading.Thread(target=self._loop, name="anomaly-detector", daemon=True)
            self._thread.start()
            logger.info("anomaly detection every %ss (%d rules, %d budgets)", self._interval_s,
                        len(self._rules.enabled), len(self._rules.budgets))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            # a run in progress finishes its current query; give it a bounded time
            self._thread.join(timeout=30)
            if self._thread.is_alive():
                logger.error("anomaly detector did not stop within 30 s")
