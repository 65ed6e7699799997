"""How a failing detection rule is logged: once when it starts failing, not once per run.

The scheduler runs every rule every minute or so. A rule whose query keeps failing (a custom
rule's SQL refused, a table dropped) used to log the same error each run, burying everything
else in the log. A `FailureLog` kept across runs logs a failure when it starts, when its error
changes, and then again every `repeat_after_s` while it lasts, saying for how many runs; and it
logs the run after which the rule works again. A fresh one (what a single `detect` call gets by
default) logs every failure it sees, as a one-off run should.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("spanhouse.detect.detectors")  # where operators already look for rule failures

REPEAT_AFTER_S = 3600.0


@dataclass(slots=True)
class _Failing:
    error: str
    runs: int
    logged_at: float


class FailureLog:
    def __init__(self, repeat_after_s: float = REPEAT_AFTER_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._repeat_after_s = repeat_after_s
        self._clock = clock
        self._failing: dict[str, _Failing] = {}
        self._lock = threading.Lock()  # the scheduler's thread and a CLI or test run may share one

    def failed(self, rule: str, when: str, error: str, *, traceback: bool = False) -> None:
        """`rule` failed in the run at `when` with `error`; `traceback`: log the exception being handled."""
        now = self._clock()
        with self._lock:
            failing = self._failing.get(rule)
            if failing is not None and failing.error == error and now - failing.logged_at < self._repeat_after_s:
                failing.runs += 1
                logger.debug("detection rule %s failed again at %s (%d runs in a row)", rule, when, failing.runs)
                return
            runs = failing.runs + 1 if failing is not None else 1
            self._failing[rule] = _Failing(error, runs, now)
        still = f" (failing for {runs} runs in a row)" if runs > 1 else ""
        logger.error("detection rule %s failed at %s, its anomalies left as they are%s: %s", rule, when, still, error,
                     exc_info=traceback)

    def succeeded(self, rule: str) -> None:
        with self._lock:
            failing = self._failing.pop(rule, None)
        if failing is not None:
            logger.info("detection rule %s runs again, after %d failed runs", rule, failing.runs)
