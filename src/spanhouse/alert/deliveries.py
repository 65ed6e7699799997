"""Every alert outcome (sent, failed, throttled) as a row of `alert_deliveries` (append-only).

A row names the route, never its URL or headers. The log holds a client of its own and one lock:
the delivery thread, the detector's thread (a full queue) and the test endpoint all write here,
and chDB runs one call at a time per client handle.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from datetime import datetime

from clickhouse_connect.driver.client import Client

from spanhouse.store import sql
from spanhouse.store.client import map_error

TABLE = "alert_deliveries"
SENT, FAILED, THROTTLED = "sent", "failed", "throttled"
OUTCOMES = (SENT, FAILED, THROTTLED)
_DETAIL_MAX = 1000


@dataclass(frozen=True, slots=True)
class Attempt:
    """An alert that was sent or tried (alert/throttle.py counts them), as recorded."""

    route: str
    event: str
    sent: bool
    at: float  # seconds since the epoch
    anomaly_id: str
    fingerprint: str  # empty when the anomaly is no longer stored


@dataclass(frozen=True, slots=True)
class Delivery:
    tenant: str
    id: str
    at: datetime
    route: str
    format: str
    anomaly_id: str  # empty for a test message
    event: str  # opened, escalated, resolved or test
    outcome: str
    attempts: int
    http_status: int  # 0 when no answer came
    detail: str

    @classmethod
    def new(cls, *, tenant: str, at: datetime, route: str, format: str, anomaly_id: str, event: str, outcome: str,
            attempts: int = 0, http_status: int = 0, detail: str = "") -> Delivery:
        return cls(tenant, uuid.uuid4().hex, at, route, format, anomaly_id, event, outcome, min(attempts, 255),
                   http_status, detail[:_DETAIL_MAX])


COLUMNS = tuple(f.name for f in fields(Delivery))


class DeliveryLog:
    """Appends deliveries to `alert_deliveries`, and reads back the recent attempts.

    Args:
        client: a client of its own (chDB runs one call at a time per handle).
    """

    def __init__(self, client: Client) -> None:
        self._client = client
        self._lock = threading.Lock()

    def write(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        with self._lock:
            try:
                self._client.insert(TABLE, [list(astuple(d)) for d in deliveries], column_names=list(COLUMNS))
            except Exception as exc:
                raise map_error(exc, f"write {TABLE}") from exc

    def attempts_since(self, since: datetime) -> list[Attempt]:
        """The alerts sent or tried since `since`, oldest first (not throttled ones, not test messages)."""
        parameters = {"since_ms": round(since.timestamp() * 1000)}
        with self._lock:
            try:
                rows = self._client.query(sql.load("recent_alert_attempts"), parameters=parameters).result_rows
            except Exception as exc:
                raise map_error(exc, f"read {TABLE}") from exc
        return [Attempt(route, event, bool(sent), at_ms / 1000, anomaly_id, fingerprint)
                for route, event, sent, at_ms, anomaly_id, fingerprint in rows]
