"""Attribute tables: each convention's mapping attribute key -> canonical field, written out as data.

A convention lists `Row`s; `Table` compiles them once into what the hot path needs:
  * `keys`, the exact keys it reads; the normaliser intersects a span's attributes with the
    union of all tables' keys once per span (`SpanView.keys`), so every later lookup works on a
    handful of present keys instead of the whole table;
  * `markers`, the keys whose presence makes the span this convention's (generic keys such as
    `session.id` or `error.type` are read but mark nothing);
  * `content_keys` / `content_prefixes`, the attributes carrying prompt or completion content,
    which the content policy redacts or removes;
  * `read(span)`, the table-driven part of `extract`: present keys in row order, first row
    that yields a value wins its field. A reader is compiled per key set (reader.py), because
    the spans of one instrumentation all carry the same keys.
Rows with `parse=None` are read by the convention's own code (JSON payloads, indexed lists);
they are still listed so the docs and the content lists come from the same table.
The same rows generate `docs/conventions.md` (see `docs.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spanhouse.normalise.fields import CONTENT_FIELDS, Fields
from spanhouse.normalise.reader import Reader, compile_reader

Parse = Callable[[str | None], Any]
Event = tuple[str, Mapping[str, str]]

_MAX_PLANS = 4096


@dataclass(frozen=True, slots=True)
class Row:
    """One attribute of a convention.

    `key` ending in `.*` is a prefix family (indexed lists, metadata maps); `{N}` marks an index.
    `field` is the canonical field it feeds ("" when it only marks the span or carries content
    with no field of its own). `content` marks prompt/completion text even without a content field.
    """

    key: str
    field: str
    parse: Parse | None
    note: str = ""
    marker: bool = True
    content: bool = False

    @property
    def prefix(self) -> str | None:
        if self.key.endswith(".*"):
            return self.key[:-1].split("{", 1)[0]
        return None

    @property
    def is_content(self) -> bool:
        return self.content or self.field in CONTENT_FIELDS


class Table:
    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = tuple(rows)
        exact = [row for row in self.rows if row.prefix is None]
        self.keys = frozenset(row.key for row in exact)
        self.markers = frozenset(row.key for row in exact if row.marker)
        self.content_keys = frozenset(row.key for row in exact if row.is_content)
        self.content_prefixes = tuple(dict.fromkeys(
            prefix for row in self.rows if row.is_content and (prefix := row.prefix) is not None))
        self._readable = tuple((row.key, row.field, row.parse) for row in exact if row.parse and row.field)
        self._readable_keys = frozenset(key for key, _, _ in self._readable)
        self._readers: dict[frozenset[str], Reader] = {}

    def read(self, span: SpanView) -> Fields:
        """Fields from the rows with a parser: for each field the first row present and readable wins."""
        reader = self._readers.get(span.keys)
        if reader is None:
            reader = self._reader(span.keys)
        return reader(span.attrs)

    def _reader(self, keys: frozenset[str]) -> Reader:
        if len(self._readers) >= _MAX_PLANS:
            self._readers.clear()
        present = self._readable_keys & keys
        reader = self._readers[keys] = compile_reader([entry for entry in self._readable if entry[0] in present])
        return reader


class SpanView:
    """What a convention may look at for one span. The normaliser reuses one instance per batch.

    `keys` holds the span's attribute keys that some table reads exactly (a frozenset, so it can
    key caches); `content` says whether to build content fields (False when capture is off);
    `events` is (name, attributes) per span event, empty for most spans, with `event_times`
    (ns) beside it and the span's `start_ns`.
    """

    __slots__ = ("attrs", "content", "event_times", "events", "keys", "name", "scope", "start_ns")

    def __init__(self, attrs: Mapping[str, str], keys: frozenset[str], name: str = "", scope: str = "",
                 events: Sequence[Event] = (), content: bool = True, event_times: Sequence[int] = (),
                 start_ns: int = 0) -> None:
        self.attrs = attrs
        self.keys = keys
        self.name = name
        self.scope = scope
        self.events = events
        self.content = content
        self.event_times = event_times
        self.start_ns = start_ns
