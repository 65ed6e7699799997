"""Anomalies as records: open, update, resolve, and the status changes people make.

Contract:
  * A finding is keyed by its fingerprint (rule + tenant + scope). While an anomaly with that
    fingerprint has `condition_active`, every new finding updates it (last_seen, observed,
    evidence, a higher severity) instead of opening another: one ongoing condition, one anomaly.
  * When a rule runs and no longer finds the condition, its anomaly's condition_active becomes
    false and, if the rule auto-resolves, an OPEN or ACKNOWLEDGED anomaly becomes RESOLVED (actor
    "detector"). The next occurrence opens a new anomaly. A rule whose query failed did not run:
    its anomalies stay as they are until it runs again.
  * People move OPEN -> ACKNOWLEDGED -> RESOLVED, or OPEN / ACKNOWLEDGED -> FALSE_POSITIVE. An
    anomaly resolved or marked false positive by a person while its condition lasts keeps
    absorbing the findings (it does not reopen every minute); its status stays theirs.
  * Every change writes a whole new row with a higher version (anomalies is a
    ReplacingMergeTree) and every status change a row of anomaly_history.
Read-modify-write is serialised by one lock per store: the scheduler and the API of one process
share one `AnomalyStore`, so a person's acknowledgement is never overwritten by a detector run
that read the anomaly before it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from clickhouse_connect.driver.client import Client

from spanhouse.detect import sql
from spanhouse.store.client import map_error

OPEN, ACKNOWLEDGED, RESOLVED, FALSE_POSITIVE = "OPEN", "ACKNOWLEDGED", "RESOLVED", "FALSE_POSITIVE"
STATUSES = (OPEN, ACKNOWLEDGED, RESOLVED, FALSE_POSITIVE)
SEVERITIES = ("info", "warning", "critical")
DETECTOR = "detector"

# status a person may ask for -> statuses it may come from
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ACKNOWLEDGED: (OPEN,),
    RESOLVED: (OPEN, ACKNOWLEDGED),
    FALSE_POSITIVE: (OPEN, ACKNOWLEDGED),
}

COLUMNS = (
    "tenant", "id", "version", "fingerprint", "rule", "type", "severity", "status", "condition_active",
    "agent_name", "model", "tool_name", "thread_id", "trace_id", "metric", "method", "observed", "expected",
    "deviation", "samples", "window_start", "window_end", "evidence_thread_ids", "evidence_trace_ids", "summary",
    "first_seen", "last_seen", "updated_at",
)
HISTORY_COLUMNS = ("tenant", "anomaly_id", "at", "actor", "from_status", "to_status", "note")

Row = dict[str, Any]
Event = Literal["opened", "escalated", "resolved"]


class AnomalyNotFound(LookupError):
    """No anomaly with that id for that tenant."""


class TransitionRefused(ValueError):
    """The status change is not allowed from the anomaly's current status."""


@dataclass(frozen=True, slots=True)
class Finding:
    """What one rule saw in one scope at one run."""

    tenant: str
    rule: str
    type: str
    severity: str
    metric: str
    method: str
    observed: float
    expected: float
    deviation: float
    samples: int
    window_start: datetime
    window_end: datetime
    summary: str
    agent_name: str = ""
    model: str = ""
    tool_name: str = ""
    thread_id: str = ""
    trace_id: str = ""
    evidence_thread_ids: tuple[str, ...] = ()
    evidence_trace_ids: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        return "|".join((self.rule, self.tenant, self.agent_name, self.model, self.tool_name, self.thread_id,
                         self.trace_id))


@dataclass(frozen=True, slots=True)
class Change:
    """Something alert routes may care about: an anomaly opened, got more severe, or resolved."""

    event: Event
    anomaly: Row


@dataclass(slots=True)
class RunResult:
    changes: list[Change] = field(default_factory=list)
    opened: int = 0
    updated: int = 0
    cleared: int = 0
    failed: tuple[str, ...] = ()  # rules that failed at this run (the scheduler fills it in)


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AnomalyStore:
    """Writes anomalies and their history; one per process, shared by the scheduler and the API.

    Args:
        client: a client of its own (chDB runs one call at a time per handle).
    """

    def __init__(self, client: Client) -> None:
        self._client = client
        self._lock = threading.Lock()

    # -- reads -------------------------------------------------------------------------------

    def _rows(self, name: str, parameters: Mapping[str, Any]) -> list[Row]:
        try:
            result = self._client.query(sql.load(name), parameters=dict(parameters))
        except Exception as exc:
            raise map_error(exc, f"run {name}") from exc
        return [_normalised(dict(zip(result.column_names, row, strict=True))) for row in result.result_rows]

    def get(self, tenant: str, anomaly_id: str) -> Row:
        rows = self._rows("anomaly", {"tenant": tenant, "id": anomaly_id})
        if not rows:
            raise AnomalyNotFound(anomaly_id)
        return rows[0]

    def history(self, tenant: str, anomaly_id: str) -> list[Row]:
        return self._rows("anomaly_history", {"tenant": tenant, "id": anomaly_id})

    # -- writes ------------------------------------------------------------------------------

    def record(self, findings: Iterable[Finding], evaluated: Mapping[str, bool], now: datetime) -> RunResult:
        """Fold one detector run into the anomalies.

        Args:
            findings: what the rules found at this run.
            evaluated: every rule that ran (whether it found anything) -> whether it auto-resolves.
                Anomalies of rules that did not run, or whose query failed, are left alone: a failure
                says nothing about whether their condition cleared.
            now: the run's time (the detector's clock: a backfill passes past times).
        """
        now = utc(now)
        result = RunResult()
        with self._lock:
            active = {row["fingerprint"]: row for row in self._rows("active_anomalies", {})
                      if row["rule"] in evaluated}
            rows: list[Row] = []
            history: list[Row] = []
            seen: set[str] = set()
            for finding in findings:
                key = finding.fingerprint
                if key in seen:
                    continue
                seen.add(key)
                current = active.get(key)
                if current is None:
                    row = _new_row(finding, now)
                    rows.append(row)
                    history.append(_history(row, now, DETECTOR, "", OPEN, finding.summary))
                    result.changes.append(Change("opened", row))
                    result.opened += 1
                    continue
                row = {**current, **_measured(finding), "last_seen": max(current["last_seen"], now),
                       "version": _next_version(current), "updated_at": now}
                escalated = SEVERITIES.index(finding.severity) > SEVERITIES.index(current["severity"])
                row["severity"] = finding.severity if escalated else current["severity"]
                rows.append(row)
                result.updated += 1
                if escalated and row["status"] in (OPEN, ACKNOWLEDGED):
                    result.changes.append(Change("escalated", row))
            for key, current in active.items():
                if key in seen:
                    continue
                row = {**current, "condition_active": False, "version": _next_version(current), "updated_at": now}
                if evaluated[current["rule"]] and current["status"] in (OPEN, ACKNOWLEDGED):
                    row["status"] = RESOLVED
                    history.append(_history(row, now, DETECTOR, current["status"], RESOLVED, "condition cleared"))
                    result.changes.append(Change("resolved", row))
                rows.append(row)
                result.cleared += 1
            self._write(rows, history)
        return result

    def transition(self, tenant: str, anomaly_id: str, to_status: str, actor: str, note: str,
                   now: datetime | None = None) -> Row:
        """A person's status change; returns the anomaly as it now is.

        Raises:
            AnomalyNotFound: no such anomaly for the tenant.
            TransitionRefused: `to_status` cannot follow the current status.
        """
        at = utc(now or datetime.now(UTC))
        with self._lock:
            current = self.get(tenant, anomaly_id)
            if current["status"] not in TRANSITIONS[to_status]:
                raise TransitionRefused(f"an anomaly {current['status']} cannot become {to_status}")
            row = {**current, "status": to_status, "version": _next_version(current), "updated_at": at}
            self._write([row], [_history(row, at, actor, current["status"], to_status, note)])
        return row

    def _write(self, rows: Sequence[Row], history: Sequence[Row]) -> None:
        try:
            if history:
                self._client.insert("anomaly_history", [[h[c] for c in HISTORY_COLUMNS] for h in history],
                                    column_names=list(HISTORY_COLUMNS))
            if rows:
                self._client.insert("anomalies", [[r[c] for c in COLUMNS] for r in rows], column_names=list(COLUMNS))
        except Exception as exc:
            raise map_error(exc, "write anomalies") from exc


def _measured(finding: Finding) -> Row:
    return {
        "metric": finding.metric, "method": finding.method, "observed": float(finding.observed),
        "expected": float(finding.expected), "deviation": float(finding.deviation), "samples": int(finding.samples),
        "window_start": utc(finding.window_start), "window_end": utc(finding.window_end),
        "evidence_thread_ids": list(finding.evidence_thread_ids),
        "evidence_trace_ids": list(finding.evidence_trace_ids), "summary": finding.summary,
    }


def _new_row(finding: Finding, now: datetime) -> Row:
    return {
        "tenant": finding.tenant, "id": uuid.uuid4().hex, "version": time.time_ns(),
        "fingerprint": finding.fingerprint, "rule": finding.rule, "type": finding.type,
        "severity": finding.severity, "status": OPEN, "condition_active": True,
        "agent_name": finding.agent_name, "model": finding.model, "tool_name": finding.tool_name,
        "thread_id": finding.thread_id, "trace_id": finding.trace_id, **_measured(finding),
        "first_seen": now, "last_seen": now, "updated_at": now,
    }


def _next_version(current: Row) -> int:
    # Wall-clock ns, never below the current version: the detector's clock may be a backfill's past.
    return max(time.time_ns(), int(current["version"]) + 1)


def _history(row: Row, at: datetime, actor: str, from_status: str, to_status: str, note: str) -> Row:
    return {"tenant": row["tenant"], "anomaly_id": row["id"], "at": at, "actor": actor, "from_status": from_status,
            "to_status": to_status, "note": note}


def _normalised(row: Row) -> Row:
    for name, value in row.items():
        if isinstance(value, datetime):
            row[name] = utc(value)
    return row
