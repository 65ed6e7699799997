"""The single writer: group-commits queued, already encoded blocks into ClickHouse.

Contract:
  * `submit` returns a future that completes only once the batch's insert has returned, i.e.
    the rows are in a committed part on disk: an export is acknowledged only then, so an
    acknowledged span survives `kill -9` of the process right after.
  * One thread inserts. While an insert runs, new batches queue; the next insert takes all of
    them (up to `batch_max_spans`). Each insert has a large fixed cost (with chDB, parts and
    merges included, ~150 us of CPU per span at 490 rows against ~27 us at 31,360: `make
    bench-inserts`), so the writer also lingers (`Linger`): a block that reaches an idle writer
    (no insert ended within `flush_interval_s`) is inserted at once, so an idle server answers
    after one insert; otherwise the pending blocks wait until they add up to `batch_max_spans`
    or the oldest has waited `flush_interval_s`. So no block lingers longer than one interval
    (beyond waiting for the insert in progress), a trickle of small requests cannot create a
    part per request, and under load inserts grow with the arrival rate. close() ends a linger.
  * The queue is bounded in spans (accepted but not yet durable, in-flight insert included):
    past the bound `submit` raises `Overloaded` at once instead of growing memory.
  * Retryable store failures are retried with capped, jittered exponential backoff until
    `retry_deadline_s`; then the batches' futures fail with `StoreUnavailable`. When a grouped
    insert fails for a non-retryable reason, each batch is retried on its own so one bad
    request cannot fail the requests queued beside it.
  * A retry never stores a batch twice: each insert carries an `insert_deduplication_token`,
    the same on every retry of the same blocks and new for any other set of blocks (a batch
    retried alone after its group failed gets its own), so when an insert committed but its
    answer was lost, ClickHouse drops the retry, in the table and in every materialized view
    target fed from it (migration 0033 gives the single-node tables a deduplication window;
    Replicated tables keep one by default).
  * On exit, everything queued is flushed before the thread stops. close() also ends a retry
    backoff: once closing, a failed insert is not tried again and its futures fail with
    `StoreUnavailable`, so closing a writer whose store is down returns promptly.
  * Blocks arrive already in Native format (`store/native.py`): the thread only concatenates
    them, so its time goes to ClickHouse, not to Python serialisation.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from clickhouse_connect.driver.client import Client

from spanhouse.errors import Overloaded, StoreError, StoreUnavailable
from spanhouse.store.client import map_error
from spanhouse.store.native import NativeBlock, TableLayout

logger = logging.getLogger(__name__)

# Per insert: the token makes a retry of the same blocks a no-op, and the dependent-views setting
# makes the materialized views' targets skip it too (ClickHouse >= 24 defaults it to 1, older
# servers to 0, which would count a deduplicated retry into the rollups again).
_DEDUP_SETTINGS = {"deduplicate_blocks_in_dependent_materialized_views": 1}


class SpanSink(Protocol):
    def submit(self, block: NativeBlock) -> Future[None]: ...

    def check_room(self) -> None: ...


class _Pending(NamedTuple):
    block: NativeBlock
    future: Future[None]
    arrived: float


@dataclass(frozen=True, slots=True)
class Linger:
    """When the writer inserts what is pending: a pure function of the clock, so tests need no sleeps."""

    interval_s: float
    full_spans: int

    def remaining_s(self, now: float, pending_spans: int, oldest_arrival: float, last_insert_end: float) -> float:
        """Seconds to wait before inserting the pending blocks; <= 0 means insert now.

        Args:
            now: the writer's clock.
            pending_spans: spans queued and not yet taken by an insert.
            oldest_arrival: when the oldest pending block was submitted.
            last_insert_end: when the previous insert returned (-inf before the first).
        """
        if pending_spans >= self.full_spans:
            return 0.0
        if oldest_arrival >= last_insert_end + self.interval_s:
            return 0.0  # the writer was idle: waiting would only add latency
        return oldest_arrival + self.interval_s - now


class BatchWriter:
    """Owns one ClickHouse client (chDB allows one call at a time per handle) and one thread."""

    def __init__(
        self,
        client: Client,
        layout: TableLayout,
        *,
        batch_max_spans: int = 50_000,
        flush_interval_s: float = 0.05,
        queue_max_spans: int = 100_000,
        retry_deadline_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._table = layout.table
        self._columns = list(layout.names)
        self._batch_max = batch_max_spans
        self._linger = Linger(flush_interval_s, batch_max_spans)
        self._queue_max = queue_max_spans
        self._retry_deadline = retry_deadline_s
        self._clock = clock
        self._cond = threading.Condition()
        self._pending: deque[_Pending] = deque()
        self._pending_spans = 0  # not yet taken by an insert
        self._queued_spans = 0  # not yet durable: pending + the insert in flight
        self._stopping = False
        self._closed = threading.Event()  # set by close(): ends a retry backoff at once
        # Tokens: unique to this writer's lifetime, then one number per set of blocks inserted.
        self._token_prefix = f"spanhouse-{uuid.uuid4().hex}"
        self._token_numbers = itertools.count(1)
        self._thread: threading.Thread | None = None
        self.inserted_spans = 0
        self.inserts = 0

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> BatchWriter:
        self._thread = threading.Thread(target=self._run, name="spanhouse-writer", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self, timeout_s: float = 60.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                logger.error("writer did not drain within %.0fs; %d spans not written", timeout_s,
                             self._queued_spans)
            self._thread = None

    @property
    def queued_spans(self) -> int:
        return self._queued_spans

    # -- producers -------------------------------------------------------------------------
    def check_room(self) -> None:
        """Raise Overloaded when the queue is full, so an export can be refused before it is decoded."""
        with self._cond:
            if self._queued_spans >= self._queue_max:
                raise self._full()

    def _full(self) -> Overloaded:
        return Overloaded(f"ingest queue is full ({self._queued_spans} spans waiting, limit {self._queue_max})",
                          retry_after_s=1.0)

    def submit(self, block: NativeBlock) -> Future[None]:
        """Queue a block; the future completes when it is durable (or fails with StoreError)."""
        future: Future[None] = Future()
        if block.rows == 0:
            future.set_result(None)
            return future
        with self._cond:
            if self._stopping:
                raise StoreUnavailable("spanhouse is shutting down")
            # A lone batch larger than the bound is still taken, or it could never be written.
            if self._queued_spans and self._queued_spans + block.rows > self._queue_max:
                raise self._full()
            self._queued_spans += block.rows
            self._pending_spans += block.rows
            self._pending.append(_Pending(block, future, self._clock()))
            self._cond.notify()
        return future

    # -- the writer thread -----------------------------------------------------------------
    def _run(self) -> None:
        last_end = float("-inf")
        while True:
            with self._cond:
                while True:
                    if not self._pending:
                        if self._stopping:
                            return
                        self._cond.wait()
                        continue
                    if self._stopping:
                        break  # the drain must not wait
                    wait = self._linger.remaining_s(self._clock(), self._pending_spans, self._pending[0].arrived,
                                                    last_end)
                    if wait <= 0:
                        break
                    self._cond.wait(wait)  # submit() and close() wake it early
                taken = self._take()
            try:
                self._write(taken)
            except Exception:  # the loop boundary: never let the writer thread die
                logger.exception("unexpected error in the span writer")
                self._fail(taken, StoreError("unexpected error while writing spans"))
            last_end = self._clock()

    def _take(self) -> list[_Pending]:
        taken = [self._pending.popleft()]
        spans = taken[0].block.rows
        while self._pending and spans + self._pending[0].block.rows <= self._batch_max:
            item = self._pending.popleft()
            spans += item.block.rows
            taken.append(item)
        self._pending_spans -= spans
        return taken

    def _write(self, taken: list[_Pending]) -> None:
        try:
            self._insert_with_retries([item.block for item in taken])
        except StoreUnavailable as exc:
            self._fail(taken, exc)
            return
        except StoreError as exc:
            if len(taken) == 1:
                logger.error("insert rejected by ClickHouse: %s", exc)
                self._fail(taken, exc)
                return
            logger.warning("grouped insert failed (%s); writing its %d requests one by one", exc, len(taken))
            for item in taken:
                self._write([item])
            return
        self._done(taken)

    def _insert_with_retries(self, blocks: list[NativeBlock]) -> None:
        token = f"{self._token_prefix}-{next(self._token_numbers)}"  # the same on every retry below
        deadline = self._clock() + self._retry_deadline
        delay = 0.1
        attempt = 0
        while True:
            attempt += 1
            try:
                self._insert(blocks, token)
                return
            except StoreUnavailable as exc:
                closing = self._closed.is_set()
                if closing or self._clock() + delay > deadline:
                    logger.error("giving up on an insert after %d attempts%s: %s", attempt,
                                 " (spanhouse is shutting down)" if closing else "", exc)
                    raise
                logger.warning("insert failed (attempt %d), retrying in %.2fs: %s", attempt, delay, exc)
                self._closed.wait(delay * random.uniform(0.8, 1.2))  # close() ends the wait: one last try
                delay = min(delay * 2, 5.0)

    def _insert(self, blocks: list[NativeBlock], token: str) -> None:
        body = blocks[0].data if len(blocks) == 1 else b"".join(block.data for block in blocks)
        try:
            self._client.raw_insert(self._table, self._columns, insert_block=body, fmt="Native",
                                    settings={**_DEDUP_SETTINGS, "insert_deduplication_token": token})
        except Exception as exc:
            raise map_error(exc, f"insert into {self._table}") from exc
        self.inserts += 1
        self.inserted_spans += sum(block.rows for block in blocks)

    def _done(self, taken: list[_Pending]) -> None:
        with self._cond:
            self._queued_spans -= sum(item.block.rows for item in taken)
        for item in taken:
            item.future.set_result(None)

    def _fail(self, taken: list[_Pending], exc: StoreError) -> None:
        with self._cond:
            self._queued_spans -= sum(item.block.rows for item in taken)
        for item in taken:
            if not item.future.done():
                item.future.set_exception(exc)
