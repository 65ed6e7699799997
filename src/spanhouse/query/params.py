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

Numbers are ASCII only: `str.isdigit`, `\\d` and `int()` also take `²`, `①` or Arabic-Indic digits
(and `int()` takes `1_0` and spaces), which a client never means and `int()` sometimes refuses
with a ValueError. So every digit string of every parameter, here and in jaeger_params.py, is read
by `digits` (at most MAX_DIGITS of them, well within what `int()` converts).
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
# More than any parameter needs (a ns timestamp has 19 digits), far fewer than int()'s 4300.
MAX_DIGITS = 32
MAX_NUMBER_LENGTH = 64
_DIGITS = re.compile(r"[0-9]+")
_INTEGER = re.compile(r"([+-]?)([0-9]+)")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RELATIVE = re.compile(r"^-?([0-9]+)(ns|us|ms|s|m|h|d|w)$")
_UNIT_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": NS_PER_S, "m": 60 * NS_PER_S, "h": 3600 * NS_PER_S,
            "d": 86_400 * NS_PER_S, "w": 7 * 86_400 * NS_PER_S}
_RFC3339 = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,9}))?([Zz]|[+-][0-9]{2}:[0-9]{2})$")


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


def digits(value: str, name: str) -> int:
    """A non-negative integer written as 1 to MAX_DIGITS ASCII digits: how every parameter reads digits."""
    if not _DIGITS.fullmatch(value):
        raise ParamError(name, f"expected digits 0-9, got {value[:40]!r}")
    if len(value) > MAX_DIGITS:
        raise ParamError(name, f"more than {MAX_DIGITS} digits")
    return int(value)


def duration_ns(value: str, name: str) -> int:
    """`15m`, `1h`, `7d`, `250ms` ... as nanoseconds (a leading `-` is allowed and ignored)."""
    match = _RELATIVE.fullmatch(value.strip())
    if not match:
        raise ParamError(name, f"expected a duration such as 30s, 15m, 1h, 7d, got {value[:40]!r}")
    return digits(match.group(1), name) * _UNIT_NS[match.group(2)]


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
    if _DIGITS.fullmatch(text):
        number = digits(text, name)
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
    return bounded_range(start_ns, end_ns, max_window_ns=max_window_ns, start=start, end=end)


def bounded_range(start_ns: int, end_ns: int, *, max_window_ns: int, start: str = "start",
                  end: str = "end") -> TimeRange:
    """[start_ns, end_ns) checked as `time_range` checks it: within the Int64 ns range, start before
    end, at most `max_window_ns` long; the errors name `start` / `end`."""
    for name, point in ((start, start_ns), (end, end_ns)):
        if not 0 <= point <= LATEST_NS:
            raise ParamError(name, "must be between 1970-01-01 and 2262-04-11 (nanosecond timestamps)")
    if start_ns >= end_ns:
        raise ParamError(start, f"must be before {end}")
    if end_ns - start_ns > max_window_ns:
        raise ParamError(start, f"the range may cover at most {max_window_ns // (86_400 * NS_PER_S)} days")
    return TimeRange(start_ns, end_ns)


def integer(params: Mapping[str, str], name: str, default: int | None = None, *, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
    """An optionally signed integer in ASCII digits, within the bounds given."""
    return _bounded(params, name, default, _integer, minimum, maximum)


def number(params: Mapping[str, str], name: str, default: float | None = None, *, minimum: float | None = None,
           maximum: float | None = None) -> float | None:
    """A finite decimal number (`0.25`, `-3`, `1e3`) in ASCII, within the bounds given."""
    return _bounded(params, name, default, _number, minimum, maximum)


def _integer(value: str, name: str) -> int:
    match = _INTEGER.fullmatch(value)
    if not match:
        raise ParamError(name, f"must be an integer, got {value[:40]!r}")
    magnitude = digits(match.group(2), name)
    return -magnitude if match.group(1) == "-" else magnitude


def _number(value: str, name: str) -> float:
    # float() would also take `1_0`, `infinity`, surrounding spaces and other scripts' digits
    if len(value) > MAX_NUMBER_LENGTH or not _NUMBER.fullmatch(value):
        raise ParamError(name, f"must be a number, got {value[:40]!r}")
    return float(value)


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


def _bounded(params: Mapping[str, str], name: str, default: T | None, kind: Callable[[str, str], T],
             minimum: T | None, maximum: T | None) -> T | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = kind(raw, name)
    if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
        raise ParamError(name, f"must be a finite number, got {raw[:40]!r}")
    if minimum is not None and value < minimum:
        raise ParamError(name, f"must be at least {minimum}, got {raw[:40]}")
    if maximum is not None and value > maximum:
        raise ParamError(name, f"must be at most {maximum}, got {raw[:40]}")
    return value
