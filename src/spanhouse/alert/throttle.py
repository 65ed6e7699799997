"""Cooldown per anomaly and hourly cap per route: what keeps a storm from flooding anyone.

Rules, per route:
  * Cooldown: after an alert about an anomaly is sent, further `opened` / `escalated` alerts about
    it, or about a recurrence of the same condition (same rule and scope: its fingerprint; a
    flapping condition opens a new anomaly each time), are throttled for `cooldown_s`.
  * A `resolved` alert passes the cooldown when this route sent the anomaly's opening (or an
    escalation): whoever was told it started is told it ended. The resolution of an anomaly whose
    alerts were all throttled is throttled too while the cooldown lasts.
  * Hourly cap: once `max_per_hour` alerts were attempted (sent or failed) in the last hour, the
    rest are throttled until the hour slides on. Failed attempts count: a dead webhook is not
    retried for every anomaly of a storm.
Throttled alerts are not sent and do not count. State is in memory, touched by the alerter's one
delivery thread only; at start the alerter restores it from alert_deliveries (`restore`), so a
restart in the middle of a storm neither sends again what the cooldown holds back nor resets the
hourly cap. Time comes from the injected clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from spanhouse.alert.deliveries import Attempt
from spanhouse.alert.routes import AlertRoute

HOUR_S = 3600.0
_PRUNE_EVERY_S = 300.0

Clock = Callable[[], datetime]


@dataclass(slots=True)
class _Recent:
    sent_at: float
    announced: set[str] = field(default_factory=set)  # anomaly ids whose opening / escalation was sent


class Throttle:
    def __init__(self, routes: Iterable[AlertRoute], clock: Clock) -> None:
        self._routes = {route.name: route for route in routes}
        self._clock = clock
        self._attempts: dict[str, deque[float]] = {}
        self._recent: dict[tuple[str, str], _Recent] = {}
        self._pruned = 0.0

    def verdict(self, route: AlertRoute, event: str, anomaly: Mapping[str, Any]) -> str | None:
        """Why the alert must not be sent now, or None when it may be."""
        now = self._clock().timestamp()
        self._prune(route, now)
        recent = self._recent.get(_key(route, anomaly))
        if recent is not None and now - recent.sent_at < route.cooldown_s:
            announced = str(anomaly["id"]) in recent.announced
            if event != "resolved" or not announced:
                why = "" if event != "resolved" else "; its opening was not sent either"
                return (f"cooldown: an alert about this anomaly (or a recurrence of it) was sent "
                        f"{now - recent.sent_at:.0f}s ago, cooldown_s is {route.cooldown_s:g}{why}")
        attempts = self._attempts.get(route.name)
        if attempts is not None and len(attempts) >= route.max_per_hour:
            return f"hourly cap: {len(attempts)} alerts attempted on this route in the last hour (max_per_hour)"
        return None

    def attempted(self, route: AlertRoute, event: str, anomaly: Mapping[str, Any], sent: bool) -> None:
        """Count an alert that went out (`sent`) or was tried and failed."""
        self._count(route, event, _key(route, anomaly), str(anomaly["id"]), sent, self._clock().timestamp())

    def restore(self, attempts: Iterable[Attempt]) -> int:
        """Count the attempts recorded before a restart (oldest first); how many were of a configured route."""
        restored = 0
        for attempt in attempts:
            route = self._routes.get(attempt.route)
            if route is None:  # a route since removed or renamed
                continue
            key = (route.name, attempt.fingerprint or attempt.anomaly_id)
            self._count(route, attempt.event, key, attempt.anomaly_id, attempt.sent, attempt.at)
            restored += 1
        return restored

    def _count(self, route: AlertRoute, event: str, key: tuple[str, str], anomaly_id: str, sent: bool,
               at: float) -> None:
        self._attempts.setdefault(route.name, deque()).append(at)
        if not sent:
            return
        recent = self._recent.get(key)
        if recent is None or at - recent.sent_at >= route.cooldown_s:
            recent = self._recent[key] = _Recent(at)
        recent.sent_at = at
        if event != "resolved":
            recent.announced.add(anomaly_id)

    def _prune(self, route: AlertRoute, now: float) -> None:
        attempts = self._attempts.get(route.name)
        while attempts and now - attempts[0] >= HOUR_S:
            attempts.popleft()
        if now - self._pruned >= _PRUNE_EVERY_S:  # forget cooldowns that ended, now and then
            self._pruned = now
            self._recent = {key: recent for key, recent in self._recent.items()
                            if now - recent.sent_at < self._routes.get(key[0], route).cooldown_s}


def _key(route: AlertRoute, anomaly: Mapping[str, Any]) -> tuple[str, str]:
    return route.name, str(anomaly.get("fingerprint") or anomaly["id"])

