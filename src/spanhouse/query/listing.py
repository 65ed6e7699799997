"""What the list endpoints (trace search, threads, a thread's turns) share: a strict reading of
the query string, sort order, keyset cursors, and the JSON answer.

Cursors are opaque to clients: URL-safe base64 of a small JSON object holding the last row's
sort key and id, the time range the first page resolved (so a relative `start=-1h` does not move
while paging and traces arriving later, after that range's end, cannot shift pages) and a
fingerprint of the filters and sort, so a cursor is refused (400) with other filters. A cursor
is not signed, so what it carries is checked as the parameters it stands for are: its time range
within the Int64 ns range, start before end and no longer than the list's maximum (an edited
cursor must not lift the limit on how much one call scans). Keyset
pagination on (sort key, id) returns every row that existed when paging began once, whatever is
inserted meanwhile: a new row sorts before or after the cursor and moves no other row across it.
A row whose own sort key changes while paging (a trace still receiving spans) can move across
the cursor; see the README.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from spanhouse.query.params import LATEST_NS, ParamError, TimeRange, bounded_range, choice, integer, time_range

CURSOR_VERSION = 2  # 2: cost keys are the bits of a Float64, no longer nano-dollars




def strict_params(items: Iterable[tuple[str, str]], allowed: Iterable[str], *,
                  prefix: str | None = None) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The query string as (single values by name, `prefix`ed pairs in order, prefix removed).

    Unknown names (a typo would silently widen a search) and names given twice are a ParamError.
    """
    known = frozenset(allowed)
    values: dict[str, str] = {}
    prefixed: list[tuple[str, str]] = []
    for name, value in items:
        if prefix is not None and name.startswith(prefix):
            prefixed.append((name[len(prefix):], value))
        elif name not in known:
            raise ParamError(name, "unknown parameter")
        elif name in values:
            raise ParamError(name, "given more than once")
        else:
            values[name] = value
    return values, prefixed


def documented_params(items: Iterable[tuple[str, str]], path_item: Mapping[str, Any]) -> dict[str, str]:
    """The query string of a GET whose parameters an OpenAPI path item lists, checked as strict_params
    checks it: the documentation is the list of what the endpoint takes."""
    names = [parameter["name"] for parameter in path_item["get"]["parameters"] if parameter["in"] == "query"]
    return strict_params(items, names)[0]


@dataclass(frozen=True, slots=True)
class Page:
    """How much of a list to return, in which order, and from where."""

    sort: str
    descending: bool
    limit: int
    window: TimeRange | None
    after: tuple[int, str] | None  # (sort key, id) of the last row of the previous page
    fingerprint: str
    extra: Mapping[str, Any]  # what else the previous page's cursor carried

    def sql_parameters(self) -> dict[str, Any]:
        """The keyset parameters every list query takes; `limit` is one more row, to know whether there are more."""
        return {
            "sort": self.sort, "descending": int(self.descending), "limit": self.limit + 1,
            "after": int(self.after is not None), "after_key": self.after[0] if self.after else 0,
            "after_id": self.after[1] if self.after else "",
        }

    def next_cursor(self, kind: str, last_key: int, last_id: str, **extra: Any) -> str:
        payload: dict[str, Any] = {"v": CURSOR_VERSION, "k": kind, "f": self.fingerprint, "key": last_key,
                                   "id": last_id, **extra}
        if self.window is not None:
            payload["start"], payload["end"] = self.window.start_ns, self.window.end_ns
        return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def fingerprint(filters: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(filters, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def page(params: Mapping[str, str], kind: str, filters: Mapping[str, Any], *, sorts: Iterable[str], default_sort: str,
         default_limit: int, max_limit: int, default_window_ns: int | None = None,
         max_window_ns: int | None = None, default_order: str = "desc") -> Page:
    """Sort, order, limit, time range and cursor from the query string.

    Args:
        params: the query string (`strict_params`).
        kind: what is listed; a cursor of another kind is refused.
        filters: the list's filters, as parsed: a cursor is valid only with the same ones.
        sorts: the allowed `sort` values.
        default_sort, default_order, default_limit, max_limit: as named.
        default_window_ns, max_window_ns: the `start` / `end` range's default and maximum length;
            None for a list not bounded in time.
    """
    sort = choice(params, "sort", sorts, default_sort)
    order = choice(params, "order", ("asc", "desc"), default_order)
    limit = integer(params, "limit", default_limit, minimum=1, maximum=max_limit)
    assert sort is not None and order is not None and limit is not None
    mark = fingerprint({"kind": kind, "sort": sort, "order": order, **filters})
    window = None
    after = None
    extra: dict[str, Any] = {}
    token = params.get("cursor")
    if token:
        cursor = _decode(token, kind, mark, bounded=max_window_ns is not None)
        after = (cursor.pop("key"), cursor.pop("id"))
        if max_window_ns is not None:
            try:
                window = bounded_range(cursor.pop("start"), cursor.pop("end"), max_window_ns=max_window_ns)
            except ParamError as exc:
                raise ParamError("cursor", f"not a cursor this API returned ({exc})") from exc
        extra = cursor
    elif max_window_ns is not None:
        assert default_window_ns is not None
        window = time_range(params, default_window_ns=default_window_ns, max_window_ns=max_window_ns)
    return Page(sort, order == "desc", limit, window, after, mark, extra)


def _decode(token: str, kind: str, mark: str, *, bounded: bool) -> dict[str, Any]:
    try:
        cursor = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise ParamError("cursor", "not a cursor this API returned") from exc
    if not isinstance(cursor, dict) or cursor.get("v") != CURSOR_VERSION or cursor.get("k") != kind:
        raise ParamError("cursor", "not a cursor this API returned")
    if cursor.get("f") != mark:
        raise ParamError("cursor", "belongs to a search with other filters, sort or order: "
                                   "repeat the first page's parameters with it")
    wanted = ("key", "start", "end") if bounded else ("key",)
    if (not all(type(cursor.get(name)) is int and -LATEST_NS <= cursor[name] <= LATEST_NS for name in wanted)
            or not isinstance(cursor.get("id"), str)):
        raise ParamError("cursor", "not a cursor this API returned")
    del cursor["v"], cursor["k"], cursor["f"]
    return cursor
