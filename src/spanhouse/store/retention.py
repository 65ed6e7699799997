"""Retention: the TTL of every table that grows with time, kept equal to the settings.

Run after the migrations at every start (and by `spanhouse migrate`): a table whose TTL differs
from the configured number of days gets `ALTER TABLE ... MODIFY TTL`, one configured as 0 days
(keep forever) gets `REMOVE TTL`, and a table already right is left alone, so a restart with
unchanged settings issues no DDL. Raw spans and logs sit in day partitions with
`ttl_only_drop_parts`, so expiry drops whole days instead of rewriting parts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from clickhouse_connect.driver.client import Client

from spanhouse.store import sql
from spanhouse.store.client import map_error

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Retention:
    """Days each kind of data is kept; 0 keeps it forever."""

    raw_days: int = 30
    minute_days: int = 7
    hourly_days: int = 90
    daily_days: int = 400


# table -> the Retention field that sets its TTL. Per-trace rollups (thread_activity's source)
# live as long as the daily metrics: they are one small row per trace.
TABLE_RETENTION: dict[str, str] = {
    "otel_traces": "raw_days",
    "otel_logs": "raw_days",
    "otel_traces_trace_id_ts": "raw_days",
    # counted from the latest copy's insert: text still referenced by a recent span is recent
    "message_content": "raw_days",
    "minute_metrics_rollup": "minute_days",
    "hourly_metrics_rollup": "hourly_days",
    "daily_metrics_rollup": "daily_days",
    "trace_rollup": "daily_days",
    "thread_traces": "daily_days",
    # anomalies and what was done about them are kept as long as the daily metrics they explain
    "anomalies": "daily_days",
    "anomaly_history": "daily_days",
    "alert_deliveries": "daily_days",
}

# engine_full spells a bound parameter as _CAST(30, 'UInt32') and a literal as 30.
_TTL_DAYS = re.compile(r"\bTTL\b.*?toIntervalDay\((?:_CAST\()?(\d+)")


def current_ttl_days(engine_full: str) -> int | None:
    """Days of the TTL in a table's `engine_full`; None when it has no TTL."""
    if not re.search(r"\bTTL\b", engine_full):
        return None
    match = _TTL_DAYS.search(engine_full)
    return int(match.group(1)) if match else -1  # a TTL not written by us: replace it


def apply_retention(client: Client, retention: Retention) -> list[str]:
    """Bring every table's TTL to `retention`; return what changed, e.g. ['otel_traces: 30 -> 14 days']."""
    changed: list[str] = []
    try:
        rows = client.query(sql.load("table_engines"), parameters={"tables": list(TABLE_RETENTION)}).result_rows
        engines: dict[str, str] = {name: full for name, full, engine in rows if engine != "Distributed"}
        distributed = sorted(name for name, _full, engine in rows if engine == "Distributed")
        if distributed:
            # On a cluster the TTL belongs to the *_local tables, altered ON CLUSTER: the operator
            # applies that DDL (deploy/clickhouse-cluster); ALTER on a Distributed table fails.
            logger.warning("retention not applied to distributed tables %s: apply the cluster DDL", distributed)
        for table, field in TABLE_RETENTION.items():
            if table not in engines:
                continue
            wanted: int = getattr(retention, field)
            current = current_ttl_days(engines[table])
            if current == (wanted or None):
                continue
            if wanted:
                client.command(sql.load(f"retention/{table}"), parameters={"days": wanted})
            else:
                client.command(sql.load("remove_ttl"), parameters={"table": table})
            changed.append(f"{table}: {_describe(current)} -> {_describe(wanted or None)}")
    except Exception as exc:
        raise map_error(exc, "apply retention") from exc
    for change in changed:
        logger.info("retention changed: %s", change)
    return changed


def _describe(days: int | None) -> str:
    return "forever" if days is None else "a foreign TTL" if days < 0 else f"{days} days"
