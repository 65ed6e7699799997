"""The metrics rollups the metrics and cost endpoints read, and their buckets (pure).

A rollup table is chosen from this fixed allow-list and passed to the SQL as `{table:Identifier}`
and `{time_column:Identifier}`, a dimension as `{dimension:Identifier}`; no value from a request
ever reaches SQL text. Buckets are whole UTC minutes, hours or days: a rollup cannot split one,
so a range is widened to whole buckets (start rounded down, end up) and the answers say which
range they cover. A grain is usable only as far back as its retention keeps it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from spanhouse.query.params import NS_PER_S, ParamError, TimeRange
from spanhouse.store.retention import Retention


@dataclass(frozen=True, slots=True)
class Grain:
    name: str
    table: str
    column: str
    seconds: int

    def retention_days(self, retention: Retention) -> int:
        """Days the grain's rollup is kept; 0 = forever."""
        return {"minute": retention.minute_days, "hour": retention.hourly_days, "day": retention.daily_days}[self.name]

    def kept_since_ns(self, retention: Retention, now_ns: int) -> int | None:
        """The oldest time the rollup still holds (None: forever)."""
        days = self.retention_days(retention)
        return now_ns - days * 86_400 * NS_PER_S if days else None

    def floor_s(self, at_ns: int) -> int:
        """Start of the bucket holding `at_ns`, Unix seconds."""
        return at_ns // (self.seconds * NS_PER_S) * self.seconds

    def ceil_s(self, at_ns: int) -> int:
        """`at_ns` rounded up to a bucket boundary, Unix seconds."""
        return -(-at_ns // (self.seconds * NS_PER_S)) * self.seconds


MINUTE = Grain("minute", "minute_metrics_rollup", "minute", 60)
HOUR = Grain("hour", "hourly_metrics_rollup", "hour", 3600)
DAY = Grain("day", "daily_metrics_rollup", "day", 86_400)
GRAINS = {grain.name: grain for grain in (MINUTE, HOUR, DAY)}

# dimension a caller may group or filter by -> the rollup column
DIMENSIONS = {"agent": "agent_name", "model": "model", "service": "service_name", "category": "category"}
# the rollup column to group by when the caller groups by nothing: constant under the tenant filter
NO_DIMENSION = "tenant"


# DateTime, the rollups' bucket type, ends in 2106; nothing is stored before 1970
LATEST_NS = 4_291_747_200 * NS_PER_S  # 2106-01-01T00:00:00Z


def stored_times(span: TimeRange) -> TimeRange:
    """`span`, unless it reaches outside the times a store can hold (ParamError)."""
    if span.start_ns < 0:
        raise ParamError("start", "must be 1970-01-01 or later")
    if span.end_ns >= LATEST_NS:
        raise ParamError("end", "must be before 2106-01-01")
    return span


def finest_kept(grains: tuple[Grain, ...], start_ns: int, retention: Retention, now_ns: int) -> Grain:
    """The first of `grains` whose rollup still holds `start_ns` (the last one if none does)."""
    for grain in grains:
        kept_since = grain.kept_since_ns(retention, now_ns)
        if kept_since is None or start_ns >= kept_since:
            return grain
    return grains[-1]


def rfc3339(seconds: int) -> str:
    """Unix seconds as `2026-11-22T10:00:00Z`."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_ns(at_ns: int) -> str:
    """Unix nanoseconds as RFC 3339 in UTC, with the fraction when there is one."""
    seconds, fraction = divmod(at_ns, NS_PER_S)
    text = rfc3339(seconds)
    return f"{text[:-1]}.{fraction:09d}".rstrip("0") + "Z" if fraction else text


def finite(value: float | None) -> float | None:
    """None for NaN and the infinities (an aggregate over nothing), which JSON cannot carry."""
    return None if value is None or not math.isfinite(value) else float(value)


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


