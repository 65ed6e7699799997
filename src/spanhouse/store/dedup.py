"""Retried exports store each span once: the same (tenant, trace id, span id) arriving again
within `window_s` seconds of being stored is dropped before it reaches ClickHouse.

Why before the insert and not in the table: spans are immutable rows in a plain MergeTree
(ReplacingMergeTree's read-time dedup would tax every query), and the rollups are fed by
materialized views that see every inserted row, so a duplicate that reached the table would be
counted in every rollup forever. OTLP clients retry a whole request when an answer is lost,
and the retry may be split or merged differently by a collector in between, so dedup works
per span, not per request (ClickHouse's insert-block dedup would miss those).

The pieces:
  * `span_keys`: a 64-bit key per span, mixed from the trace id and span id. The same
    arithmetic runs in SQL (`sql/recent_span_keys.sql`) so a restart reloads the keys of the
    spans received in the window (ReceivedAt) without pulling ids into Python.
  * `RecentSpans`: keys of the spans stored in the window, per tenant, as a few sorted numpy
    arrays by age (8 bytes a key) plus a small set of the newest; expired by whole generations.
  * `SpanDedup`: adds the spans in flight. A key is claimed by the write that carries it when
    that write is submitted; a copy arriving meanwhile is dropped from its own request, which
    then waits for the claiming write and fails (retryably) if that write failed. Keys become
    "recent" only once durable, and a failed write releases its claims, so a retry after a
    store failure is stored, never lost.

Per process: several spanhouse instances behind one load balancer each dedup what they saw.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
from clickhouse_connect.driver.client import Client

from spanhouse.store import sql
from spanhouse.store.client import map_error

Keys = np.ndarray  # 1-d, dtype uint64

# Odd 64-bit multipliers (golden ratio, xxhash prime): spread sequential ids over the key space.
_MIX_HIGH = np.uint64(11400714819323198485)
_MIX_LOW = np.uint64(14029467366897019727)
_NO_KEYS: Keys = np.empty(0, dtype=np.uint64)
# Newest keys sit in a Python set (cheap to add to and probe) until this many, then are folded
# into the current generation's sorted array.
_FOLD_AT = 65_536


def span_keys(trace_ids: Sequence[str], span_ids: Sequence[str]) -> Keys:
    """The dedup key of each span, from 32-hex trace ids and 16-hex span ids."""
    if not span_ids:
        return _NO_KEYS
    traces = np.frombuffer(bytes.fromhex("".join(trace_ids)), dtype=">u8").astype(np.uint64).reshape(-1, 2)
    spans = np.frombuffer(bytes.fromhex("".join(span_ids)), dtype=">u8").astype(np.uint64)
    # uint64 array arithmetic wraps modulo 2**64, as ClickHouse's UInt64 does.
    return spans ^ (traces[:, 0] * _MIX_HIGH) ^ (traces[:, 1] * _MIX_LOW)  # type: ignore[no-any-return]


def first_occurrences(keys: Keys) -> np.ndarray:
    """Boolean mask keeping the first row of every key (a span sent twice in one request)."""
    keep = np.zeros(len(keys), dtype=bool)
    keep[np.unique(keys, return_index=True)[1]] = True
    return keep


@dataclass
class _Generation:
    started: float
    last_added: float
    keys: Keys = field(default_factory=lambda: _NO_KEYS)


class RecentSpans:
    """Keys stored in the last `window_s` seconds (some kept up to one generation, window/4, longer).

    Every lookup searches every generation, and a search in a large sorted array is a chain of
    cache misses: with a full 15-minute window at ~20k spans/s (1.1M keys in each of 16
    generations) that took 10-16 us per span, on the event loop. Four generations of 4.4M take
    ~3 (`searchsorted` of the request's keys sorted first, so that consecutive searches share
    their first steps); the price is keys kept up to a quarter of the window longer.
    """

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic, generations: int = 4) -> None:
        self._window = window_s
        self._step = window_s / generations
        self._clock = clock
        self._tenants: dict[str, tuple[deque[_Generation], set[int]]] = {}

    def __len__(self) -> int:
        return sum(sum(len(g.keys) for g in gens) + len(newest) for gens, newest in self._tenants.values())

    def contains(self, tenant: str, keys: Keys) -> np.ndarray:
        """Boolean mask: which of `keys` were added within the window."""
        found = np.zeros(len(keys), dtype=bool)
        if tenant not in self._tenants:
            return found
        generations, newest = self._expire(tenant)
        if any(len(generation.keys) for generation in generations):
            order = np.argsort(keys)
            ordered = keys[order]
            found_ordered = np.zeros(len(keys), dtype=bool)
            for generation in generations:
                if len(generation.keys):
                    at = np.minimum(np.searchsorted(generation.keys, ordered), len(generation.keys) - 1)
                    found_ordered |= generation.keys[at] == ordered
            found[order] = found_ordered
        if newest:
            found |= np.fromiter((key in newest for key in keys.tolist()), dtype=bool, count=len(keys))
        return found

    def add(self, tenant: str, keys: Keys) -> None:
        if tenant not in self._tenants:
            self._tenants[tenant] = (deque([_Generation(self._clock(), self._clock())]), set())
        generations, newest = self._expire(tenant)
        generations[-1].last_added = self._clock()
        newest.update(keys.tolist())
        if len(newest) >= _FOLD_AT:
            self._fold(generations, newest)

    def _fold(self, generations: deque[_Generation], newest: set[int]) -> None:
        # Inserted in place, not `np.union1d`: numpy 2's unique took 1.2 s for a generation of
        # 1.1M keys (under the lock the event loop checks requests with), the insert ~7 ms.
        current = generations[-1]
        fresh = np.sort(np.fromiter(newest, dtype=np.uint64, count=len(newest)))
        newest.clear()
        if not len(current.keys):
            current.keys = fresh
            return
        at = np.searchsorted(current.keys, fresh)
        new = current.keys[np.minimum(at, len(current.keys) - 1)] != fresh  # a key added again is kept once
        current.keys = np.insert(current.keys, at[new], fresh[new])

    def _expire(self, tenant: str) -> tuple[deque[_Generation], set[int]]:
        generations, newest = self._tenants[tenant]
        now = self._clock()
        if now - generations[-1].started >= self._step:
            self._fold(generations, newest)
            generations.append(_Generation(now, now))
        # A generation is dropped whole once the newest key added to it is out of the window.
        while len(generations) > 1 and generations[0].last_added + self._window < now:
            generations.popleft()
        return generations, newest


@dataclass(frozen=True, slots=True)
class Check:
    """Which keys of a request are copies, and the writes still carrying the earlier copies."""

    copies: np.ndarray
    pending: frozenset[Future[None]]


class SpanDedup:
    """Recent and in-flight span keys; safe to call from the event loop and the writer thread."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._recent = RecentSpans(window_s, clock)
        self._in_flight: dict[tuple[str, int], Future[None]] = {}
        self._lock = threading.Lock()

    def load(self, client: Client) -> int:
        """Remember the spans the store received within the window (after a restart); return how many."""
        try:
            rows = client.query(sql.load("recent_span_keys"),
                                parameters={"seconds": int(self.window_s)}).result_rows
        except Exception as exc:
            raise map_error(exc, "load recently stored span keys") from exc
        with self._lock:
            for tenant, keys in rows:
                self._recent.add(tenant, np.asarray(keys, dtype=np.uint64))
        return sum(len(keys) for _, keys in rows)

    def check(self, tenant: str, keys: Keys) -> Check:
        with self._lock:
            copies = self._recent.contains(tenant, keys)
            pending: set[Future[None]] = set()
            for index, key in enumerate(keys.tolist()):
                write = self._in_flight.get((tenant, key))
                if write is not None:
                    copies[index] = True
                    pending.add(write)
        return Check(copies, frozenset(pending))

    def claim(self, tenant: str, keys: Keys, write: Future[None]) -> None:
        """`write` carries these keys: copies wait for it; it settles them when done."""
        claimed = [(tenant, key) for key in keys.tolist()]
        with self._lock:
            for claim in claimed:
                self._in_flight[claim] = write
        write.add_done_callback(lambda done: self._settle(tenant, keys, claimed, done))

    def _settle(self, tenant: str, keys: Keys, claimed: list[tuple[str, int]], write: Future[None]) -> None:
        with self._lock:
            for claim in claimed:
                if self._in_flight.get(claim) is write:
                    del self._in_flight[claim]
            if not write.cancelled() and write.exception() is None:
                self._recent.add(tenant, keys)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def __len__(self) -> int:
        return len(self._recent)
