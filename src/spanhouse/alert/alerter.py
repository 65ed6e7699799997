"""The alerter: anomaly changes in (from the detector), webhook deliveries out, every outcome recorded.

`Alerter` is a context manager entered in the app's lifespan stack before the scheduler, so it
stops after it. `notify` (the scheduler's `on_changes`) only matches routes and queues: the
detector never waits on a webhook. One thread of its own takes the queue in order, applies the
cooldown and hourly cap (throttle.py), posts with retries (webhook.py) and writes the outcome.

Invariants:
  * Every alert a route wanted ends as exactly one row of alert_deliveries: sent, failed, or
    throttled. A full queue (`queue_max`) is recorded as failed at once, not dropped in silence;
    so are alerts still queued when the alerter stops.
  * Leaving the context stops promptly: a backoff wait is an Event wait that the stop interrupts;
    an attempt in flight finishes within its route's timeout.
  * Test messages (`test`) go out on the caller's thread, one attempt each, outside the cooldown
    and the hourly cap, and are recorded with event "test".
Time and waiting are injected (`clock`, `sleep`), so tests of cooldown, cap and backoff are
deterministic and fast.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any

from spanhouse.alert.deliveries import FAILED, SENT, THROTTLED, Delivery, DeliveryLog
from spanhouse.alert.payloads import TEST_EVENT, render, render_test
from spanhouse.alert.routes import AlertConfig, AlertRoute
from spanhouse.alert.throttle import HOUR_S, Clock, Throttle
from spanhouse.alert.webhook import Jitter, Outcome, Sleep, deliver, equal_jitter
from spanhouse.detect.lifecycle import Change
from spanhouse.detect.scheduler import system_clock
from spanhouse.errors import StoreError

logger = logging.getLogger(__name__)


class NoRoutes(LookupError):
    """No alert route is configured, or none serves the tenant."""


class UnknownRoute(LookupError):
    """No alert route of that name serves the tenant."""


@dataclass(frozen=True, slots=True)
class _Alert:
    route: AlertRoute
    event: str
    anomaly: Mapping[str, Any]


class Alerter:
    """Delivers anomaly changes to the routes that want them.

    Args:
        config: the routes (routes.load_routes); without routes nothing is queued or sent.
        log: where every outcome is written.
        clock: now, for cooldowns, the hourly cap and the rows' time.
        sleep: waits between attempts; returns True when stopping. Default: the stop event's wait.
        jitter: turns a backoff delay into the delay waited.
    """

    def __init__(self, config: AlertConfig, log: DeliveryLog, *, clock: Clock = system_clock,
                 sleep: Sleep | None = None, jitter: Jitter = equal_jitter) -> None:
        self._config = config
        self._log = log
        self._clock = clock
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._jitter = jitter
        self._queue: queue.Queue[_Alert | None] = queue.Queue(maxsize=config.queue_max)
        self._throttle = Throttle(config.routes, clock)
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._pending = 0

    @property
    def routes(self) -> tuple[AlertRoute, ...]:
        return self._config.routes

    # -- the detector's side -----------------------------------------------------------------

    def notify(self, changes: Sequence[Change]) -> None:
        """Queue an alert for every route that wants each change; never blocks, never raises."""
        refused: list[Delivery] = []
        for change in changes:
            for route in self._config.routes:
                if not route.wants(change.event, change.anomaly):
                    continue
                alert = _Alert(route, change.event, change.anomaly)
                if self._stop.is_set() or self._thread is None:
                    refused.append(self._row(alert, FAILED, detail="not sent: the alerter is not running"))
                    continue
                with self._idle:
                    self._pending += 1
                try:
                    self._queue.put_nowait(alert)
                except queue.Full:
                    self._done()
                    refused.append(self._row(alert, FAILED, detail=(
                        f"not sent: the alert queue is full ({self._config.queue_max} alerts waiting)")))
        if refused:
            logger.error("%d alerts not queued (queue full or alerter stopped)", len(refused))
            self._write(refused)

    # -- the delivery thread -----------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            alert = self._queue.get()
            if alert is None:
                break
            try:
                row = self._deliver(alert)
            except Exception as exc:  # a loop boundary: the next alert is still delivered
                logger.exception("alert route %s: delivering failed", alert.route.name)
                row = self._row(alert, FAILED, detail=f"not sent: {type(exc).__name__} in spanhouse (see its log)")
            try:
                self._write([row])
            finally:
                self._done()
        left: list[Delivery] = []
        while True:
            try:
                alert = self._queue.get_nowait()
            except queue.Empty:
                break
            if alert is not None:
                left.append(self._row(alert, FAILED, detail="not sent: spanhouse stopped first"))
                self._done()
        if left:
            logger.error("%d queued alerts not sent: stopping", len(left))
            self._write(left)

    def _deliver(self, alert: _Alert) -> Delivery:
        if self._stop.is_set():
            return self._row(alert, FAILED, detail="not sent: spanhouse stopped first")
        reason = self._throttle.verdict(alert.route, alert.event, alert.anomaly)
        if reason is not None:
            logger.info("alert route %s: %s of anomaly %s throttled: %s", alert.route.name, alert.event,
                        alert.anomaly["id"], reason)
            return self._row(alert, THROTTLED, detail=reason)
        body = render(alert.route.format, alert.route.name, alert.event, alert.anomaly, sent_at=self._clock(),
                      api_url=self._config.api_url)
        outcome = deliver(alert.route, body, sleep=self._sleep, jitter=self._jitter, clock=self._clock)
        self._throttle.attempted(alert.route, alert.event, alert.anomaly, outcome.outcome == SENT)
        if outcome.outcome == SENT:
            logger.info("alert route %s: %s of anomaly %s sent", alert.route.name, alert.event, alert.anomaly["id"])
        return self._row(alert, outcome.outcome, outcome)

    def _row(self, alert: _Alert, outcome: str, sent: Outcome | None = None, detail: str = "") -> Delivery:
        return Delivery.new(tenant=str(alert.anomaly["tenant"]), at=self._clock(), route=alert.route.name,
                            format=alert.route.format, anomaly_id=str(alert.anomaly["id"]), event=alert.event,
                            outcome=outcome, attempts=sent.attempts if sent else 0,
                            http_status=sent.http_status if sent else 0, detail=sent.detail if sent else detail)

    def _write(self, rows: Sequence[Delivery]) -> None:
        try:
            self._log.write(rows)
        except Exception:  # a loop boundary: the detector and the delivery thread carry on
            logger.exception("could not record %d alert deliveries", len(rows))

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until every queued alert has its outcome recorded; False if `timeout_s` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout_s)

    # -- test messages -----------------------------------------------------------------------

    def test(self, tenant: str, route_name: str | None = None) -> list[Delivery]:
        """Send a test message to one route, or to every route serving `tenant`; the outcomes, recorded.

        Raises:
            NoRoutes: no route is configured, or none serves the tenant.
            UnknownRoute: `route_name` names no route serving the tenant.
        """
        if not self._config.routes:
            raise NoRoutes("no alert routes are configured: set SPANHOUSE_ALERT_ROUTES_FILE (README "
                           "'Anomalies and alerts')")
        if route_name is not None:
            route = self._config.route(route_name)
            if route is None or not route.serves(tenant):
                # another tenant's route is as unknown as a route that does not exist
                raise UnknownRoute(f"no alert route {route_name!r} for tenant {tenant}")
            routes = [route]
        else:
            routes = [route for route in self._config.routes if route.serves(tenant)]
            if not routes:
                raise NoRoutes(f"no alert route sends tenant {tenant}'s alerts")
        rows = []
        for route in routes:
            body = render_test(route.format, route.name, tenant, sent_at=self._clock())
            outcome = deliver(route, body, sleep=self._sleep, clock=self._clock, attempts=1)
            rows.append(Delivery.new(tenant=tenant, at=self._clock(), route=route.name, format=route.format,
                                     anomaly_id="", event=TEST_EVENT, outcome=outcome.outcome,
                                     attempts=outcome.attempts, http_status=outcome.http_status,
                                     detail=outcome.detail))
        self._log.write(rows)
        return rows

    # -- lifespan ----------------------------------------------------------------------------

    def __enter__(self) -> Alerter:
        if self._config.routes:
            self._restore_throttle()
            self._thread = threading.Thread(target=self._run, name="alert-delivery", daemon=True)
            self._thread.start()
            logger.info("alerting: %d routes (%s)", len(self._config.routes),
                        ", ".join(route.name for route in self._config.routes))
        return self

    def _restore_throttle(self) -> None:
        # What was sent before a restart still holds: otherwise a restart during a storm would page
        # again for every anomaly the cooldown held back, and reset the hourly cap.
        window_s = max(HOUR_S, *(route.cooldown_s for route in self._config.routes))
        try:
            attempts = self._log.attempts_since(self._clock() - timedelta(seconds=window_s))
        except StoreError as exc:
            logger.warning("alerting: cooldowns and hourly caps start afresh, recent deliveries unreadable: %s", exc)
            return
        restored = self._throttle.restore(attempts)
        if restored:
            logger.info("alerting: cooldowns and hourly caps go on from %d alerts sent or tried in the last %.0f s",
                        restored, window_s)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is None:
            return
        # wakes a thread waiting for work; a full queue means it is busy, and sees the stop after this alert
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        # an attempt in flight finishes within its route's timeout
        limit = max(route.timeout_s for route in self._config.routes) + 5
        self._thread.join(timeout=limit)
        if self._thread.is_alive():
            logger.error("alert delivery did not stop within %.0f s", limit)
