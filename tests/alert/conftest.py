"""Fixtures of the alert tests: a real webhook receiver, a fake clock, a waiter that records the
backoff instead of sleeping it, anomalies made by the real AnomalyStore, and alerters writing to
the test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from spanhouse.alert.alerter import Alerter
from spanhouse.alert.deliveries import DeliveryLog
from spanhouse.alert.routes import AlertConfig, AlertRoute
from spanhouse.detect.lifecycle import AnomalyStore, Change, Finding
from spanhouse.store.client import connect
from tests.alert.receiver import Receiver

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Waits:
    """The backoff an alerter asked for, without waiting it."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> bool:
        self.delays.append(seconds)
        return False  # not stopping


def finding(*, agent: str = "planner", type: str = "error_rate", severity: str = "warning", tenant: str = "acme",
            rule: str | None = None, summary: str | None = None) -> Finding:
    return Finding(tenant=tenant, rule=rule or type, type=type, severity=severity, metric="error_rate",
                   method="threshold", observed=0.4, expected=0.02, deviation=4.0, samples=50,
                   window_start=T0 - timedelta(minutes=5), window_end=T0,
                   summary=summary or f"{agent}: error rate 40%", agent_name=agent, model="gpt-4o",
                   evidence_trace_ids=("ab" * 16,))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def anomalies(settings, store) -> Iterator[AnomalyStore]:
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
    yield AnomalyStore(client)
    client.close()


@pytest.fixture
def changes(anomalies: AnomalyStore, clock: FakeClock) -> Callable[..., list[Change]]:
    """Open (or update) anomalies of the given findings at the clock's now; their changes. Conditions not
    found again stay open unless `rules` says which rules ran and auto-resolve ({"error_rate": True})."""
    def record(*findings: Finding, rules: dict[str, bool] | None = None) -> list[Change]:
        evaluated = rules or {f.rule: False for f in findings}
        return anomalies.record(findings, evaluated, clock()).changes
    return record


def route(url: str, name: str = "hook", **fields: Any) -> AlertRoute:
    return AlertRoute(name=name, url=url, **{"backoff_s": 1.0, "timeout_s": 5.0, **fields})


@pytest.fixture
def make_alerter(settings, store, clock: FakeClock, waits: Waits) -> Iterator[Callable[..., Alerter]]:
    """An entered Alerter on the test database, with the fake clock and the recording waiter."""
    opened: list[Alerter] = []
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database)

    def make(*routes: AlertRoute, real_waits: bool = False, **config: Any) -> Alerter:
        alerter = Alerter(AlertConfig(routes, **config), DeliveryLog(client), clock=clock,
                          sleep=None if real_waits else waits, jitter=lambda delay: delay)
        opened.append(alerter.__enter__())
        return alerter

    yield make
    for alerter in reversed(opened):
        alerter.__exit__(None, None, None)
    client.close()


@pytest.fixture
def deliveries(query) -> Callable[[], list[tuple[Any, ...]]]:
    """(route, event, outcome, attempts, http_status, detail) of every delivery, in time order."""
    def rows() -> list[tuple[Any, ...]]:
        return query("SELECT route, event, outcome, attempts, http_status, detail FROM alert_deliveries "
                     "ORDER BY at, event")
    return rows
