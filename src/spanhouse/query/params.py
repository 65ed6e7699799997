"""Query-string parameters of the query API: parsed once, strictly, with errors naming the parameter.

Every handler reads its parameters through these functions, so every endpoint accepts the same
forms and answers a bad value with 400 `invalid_parameter` naming it (api.py turns
`ParamError` into that answer):
  * times: RFC 3339 (`2026-11-22T10:00:00Z`, offsets allowed, fractions to ns), Unix seconds or
    ms or ns as digits, `now`, and relative forms `-15m`, `-1h`, `-7d`, `-2w` (also `30s`,
    with or without the sign: always in the past);
  * time ranges: `start` / `end` (or the names given), defaulting to a window ending now, and
    never longer than a maximum, so no call scans the whole table;
  * integers and numbers with bounds, choices from a fixed set, comma-separated lists.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

NS_PER_S = 1_000_000_000
# Times travel to ClickHouse as Int64 nanoseconds (DateTime64(9)): 1970-01-01 to 2262-04-11.
LATEST_NS = 2**63 - 1
_RELATIVE = re.compile(r"^-?(\d+)(ns|us|ms|s|m|h|d|w)$")
_UNIT_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": NS_PER_S, "m": 60 * NS_PER_S, "h": 3600 * NS_PER_S,
            "d": 86_400 * NS_PER_S, "w": 7 * 86_400 * NS_PER_S}
_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$")


T = TypeVar("T", int, float)


class ParamError(ValueError):
    """A query parameter with a bad value: answered 400 naming the parameter."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass(frozen=True, slots=True)
class TimeRange:
    start_ns: int
    end_ns: int

    @property
    def seconds(self) -> float:
        return (self.end_ns - self.start_ns) / NS_PER_S


def duration_ns(value: str, name: str) -> int:
    """`15m`, `1h`, `7d`, `250ms` ... as nanoseconds (a leading `-` is allowed and ignored)."""
    match = _RELATIVE.fullmatch(value.strip())
    if not match:
        raise ParamError(name, f"expected a duration such as 30s, 15m, 1h, 7d, got {value[:40]!r}")
    return int(match.group(1)) * _UNIT_NS[match.group(2)]


def time_ns(value: str, name: str, now_ns: int) -> int:
    """One point in time, in any of the module's forms, as Unix nanoseconds within the Int64 range."""
    point = _time_ns(value, name, now_ns)
    if not 0 <= point <= LATEST_NS:
        raise ParamError(name, f"must be between 1970-01-01 and 2262-04-11 (nanosecond timestamps), got {value[:40]!r}")
    return point


def _time_ns(value: str, name: str, now_ns: int) -> int:
    text = value.strip()
    if text == "now":
        return now_ns
    if _RELATIVE.fullmatch(text):
        return now_ns - duration_ns(text, name)
    if text.isdigit():
        number = int(text)
        # seconds, ms, us or ns since the epoch, told apart by magnitude (each covers 1973-5138)
        for limit, scale in ((10**11, NS_PER_S), (10**14, 1_000_000), (10**17, 1_000), (10**20, 1)):
            if number < limit:
                return number * scale
        raise ParamError(name, f"timestamp out of range: {text[:40]}")
    match = _RFC3339.fullmatch(text)
    if not match:
        raise ParamError(name, f"expected RFC 3339 (2026-11-22T10:00:00Z), Unix time or -1h/-7d, got {text[:40]!r}")
    day, clock, fraction, zone = match.groups()
    try:
        parsed = datetime.fromisoformat(f"{day}T{clock}{'+00:00' if zone in ('Z', 'z') else zone}")
    except ValueError as exc:
        raise ParamError(name, f"not a valid date and time: {text[:40]!r}") from exc
    return int(parsed.timestamp()) * NS_PER_S + int((fraction or "0").ljust(9, "0"))


def time_range(params: Mapping[str, str], *, default_window_ns: int, max_window_ns: int,
               start: str = "start", end: str = "end", now_ns: int | None = None) -> TimeRange:
    """`start`..`end` from the query string; a missing start is `end - default window`, a missing end now."""
    now = time.time_ns() if now_ns is None else now_ns
    end_ns = time_ns(params[end], end, now) if params.get(end) else now
    start_ns = time_ns(params[start], start, now) if params.get(start) else max(0, end_ns - default_window_ns)
    if start_ns >= end_ns:
        raise ParamError(start, f"must be before {end}")
    if end_ns - start_ns > max_window_ns:
        raise ParamError(start, f"the range may cover at most {max_window_ns // (86_400 * NS_PER_S)} days")
    return TimeRange(start_ns, end_ns)


def integer(params: Mapping[str, str], name: str, default: int | None = None, *, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
    return _bounded(params, name, default, int, "an integer", minimum, maximum)


def number(params: Mapping[str, str], name: str, default: float | None = None, *, minimum: float | None = None,
           maximum: float | None = None) -> float | None:
    return _bounded(params, name, default, float, "a number", minimum, maximum)


def choice(params: Mapping[str, str], name: str, allowed: Iterable[str], default: str | None = None) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    options = list(allowed)
    if value not in options:
        raise ParamError(name, f"must be one of {', '.join(options)}, got {value[:40]!r}")
    return value


def text(params: Mapping[str, str], name: str, *, max_length: int = 1024) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if len(value) > max_length:
        raise ParamError(name, f"longer than {max_length} characters")
    return value


def _bounded(params: Mapping[str, str], name: str, default: T | None, kind: Callable[[str], T],
                              what: str, minimum: T | None, maximum: T | None) -> T | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise ParamError(name, f"must be {what}, got {raw[:40]!r}") from exc
    if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
        raise ParamError(name, f"must be a finite number, got {raw[:40]!r}")
    if minimum is not None and value < minimum:
        raise ParamError(name, f"must be at least {minimum}, got {raw[:40]}")
    if maximum is not None and value > maximum:
        raise ParamError(name, f"must be at most {maximum}, got {raw[:40]}")
    return value
