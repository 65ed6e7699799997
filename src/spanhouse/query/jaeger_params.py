"""Query parameters in the forms Jaeger's clients send them (pure; errors are `ParamError`s naming the parameter).

  * trace ids: 1 to 32 hex characters, left-padded to the 32 spanhouse stores (Jaeger prints a
    128-bit id whose high half is zero as 16 characters);
  * v1 times: Unix microseconds, as Jaeger's `start` / `end`; spanhouse's other forms (RFC 3339,
    `-1h`) are accepted too, since digits are always read as microseconds here;
  * v3 times: RFC 3339 with up to nanoseconds (and spanhouse's other forms); a `+` offset that
    arrived as a space (Grafana appends these times to the URL unencoded, so `+02:00` is decoded
    as ` 02:00`) is read as `+`;
  * durations: Go's `time.ParseDuration` forms (`1.2s`, `100ms`, `1h30m`, `250us`, `250µs`);
  * tags: Jaeger's `tags` (a JSON object of strings) and repeated `tag=key:value`;
  * booleans: Go's `strconv.ParseBool` forms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

import orjson

from spanhouse.query.params import ParamError, digits, duration_ns, time_ns

MAX_TAGS = 32
_HEX = re.compile(r"^[0-9a-fA-F]{1,32}$")
_GO_DURATION = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
_DIGITS = re.compile(r"[0-9]+")
MAX_GO_DURATION = 64  # characters: `1h30m15.5s` and the like are far shorter
_GO_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9,
               "h": 3600 * 10**9}
_SPACED_OFFSET = re.compile(r"^(.*[0-9]) ([0-9]{2}:[0-9]{2})$")
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
MAX_DURATION_NS = 2**63 - 1


def trace_id(value: str, name: str) -> str:
    """A trace id as the 32 lower-case hex characters it is stored under."""
    text = value.strip()
    if not _HEX.fullmatch(text):
        raise ParamError(name, f"trace id must be 1 to 32 hex characters, got {value[:80]!r}")
    return text.lower().rjust(32, "0")


def micros(params: Mapping[str, str], name: str, now_ns: int) -> int | None:
    """A v1 time (Unix microseconds, or any form of `params.time_ns`) as Unix ns; None when absent."""
    value = params.get(name, "").strip()
    if not value:
        return None
    if _DIGITS.fullmatch(value):
        number = digits(value, name)
        if number > MAX_DURATION_NS // 1_000:
            raise ParamError(name, f"microseconds out of range: {value[:40]}")
        return number * 1_000
    return time_ns(value, name, now_ns)


def rfc3339(params: Mapping[str, str], names: Sequence[str], now_ns: int) -> tuple[int | None, str]:
    """A v3 time from the first of `names` present, as Unix ns (None when absent), and the name read."""
    for name in names:
        value = params.get(name, "").strip()
        if value:
            spaced = _SPACED_OFFSET.fullmatch(value)
            if spaced and "T" in value:
                value = f"{spaced.group(1)}+{spaced.group(2)}"
            return time_ns(value, name, now_ns), name
    return None, names[0]


def go_duration(params: Mapping[str, str], names: Sequence[str]) -> int | None:
    """A Go duration (`1.2s`, `100ms`, `1h30m`) from the first of `names` present, as ns; None when absent."""
    for name in names:
        value = params.get(name, "").strip()
        if value:
            return _go_duration(value, name)
    return None


def _go_duration(text: str, name: str) -> int:
    if len(text) > MAX_GO_DURATION:
        raise ParamError(name, f"longer than {MAX_GO_DURATION} characters")
    body = text[1:] if text[:1] == "+" else text
    if body == "0":
        return 0
    if text[:1] == "-":
        raise ParamError(name, f"must not be negative, got {text[:40]!r}")
    position, total = 0, Decimal(0)
    for match in _GO_DURATION.finditer(body):
        if match.start() != position:
            break
        try:
            total += Decimal(match.group(1)) * _GO_UNIT_NS[match.group(2)]
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
            raise ParamError(name, f"not a duration: {text[:40]!r}") from exc
        position = match.end()
    if position == 0 or position != len(body):
        raise ParamError(name, f"expected a duration such as 1.2s, 100ms or 1h30m, got {text[:40]!r}")
    if total > MAX_DURATION_NS:
        raise ParamError(name, f"duration out of range: {text[:40]!r}")
    return int(total)


def lookback(params: Mapping[str, str], name: str) -> int | None:
    """Jaeger UI's `lookback` (`1h`, `2d`, `7d`, or a Go duration) as ns; None when absent or `custom`
    (the UI then sends `start` and `end`)."""
    value = params.get(name, "").strip()
    if not value or value == "custom":
        return None
    try:
        return duration_ns(value, name)
    except ParamError:
        return _go_duration(value, name)


def boolean(params: Mapping[str, str], names: Sequence[str]) -> bool | None:
    for name in names:
        value = params.get(name, "").strip()
        if value:
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
            raise ParamError(name, f"must be true or false, got {value[:40]!r}")
    return None


def tags_json(values: Sequence[str], name: str) -> dict[str, str]:
    """Jaeger's `tags` / v3's `query.attributes`: JSON objects of strings (numbers and booleans are
    taken as their text, as stored); several are merged, a later key winning."""
    found: dict[str, str] = {}
    for value in values:
        if not value:
            continue
        try:
            document = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ParamError(name, f"not valid JSON (at character {exc.pos})") from exc
        if not isinstance(document, dict):
            raise ParamError(name, "expected a JSON object of tag values, such as {\"error\":\"true\"}")
        for key, tag in document.items():
            if isinstance(tag, bool):
                found[key] = "true" if tag else "false"
            elif isinstance(tag, (str, int, float)):
                found[key] = str(tag)
            else:
                raise ParamError(name, f"the value of {key[:80]!r} must be a string, number or boolean")
    return found


def tags_pairs(values: Sequence[str], name: str) -> dict[str, str]:
    """Jaeger's repeated `tag=key:value` (the value may contain colons)."""
    found: dict[str, str] = {}
    for value in values:
        key, colon, tag = value.partition(":")
        if not colon:
            raise ParamError(name, f"malformed 'tag' parameter, expecting key:value, received: {value[:80]!r}")
        found[key] = tag
    return found


def bounded_tags(tags: dict[str, str], name: str) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise ParamError(name, f"at most {MAX_TAGS} tags")
    for key, value in tags.items():
        if not key or len(key) > 1024 or len(value) > 4096:
            raise ParamError(name, f"tag keys must be 1 to 1024 characters and values at most 4096, got {key[:80]!r}")
    return tags
