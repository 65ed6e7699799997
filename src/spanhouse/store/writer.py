"""The single writer: group-commits queued, already encoded blocks into ClickHouse.

Contract:
  * `submit` returns a future that completes once the block is durable, so an acknowledged span
    survives `kill -9` of the process right after. With a write-ahead log (`store/wal.py`) that is
    one file write: the block joins the next insert (at once when the writer is idle), and a
    restart inserts what the log holds before anything else. Without a log, the block waits for
    its insert.
  * So an acknowledged block may not be queryable yet. `watermark` (`store/watermark.py`) numbers
    accepted blocks; a reader that must see everything acknowledged before it (the query API)
    waits until the blocks up to its mark are settled, and a waiting reader ends a linger.
    Acknowledging from the log even at an idle writer keeps an acknowledgement at one file write
    whatever ClickHouse is doing (merges after a burst made an idle insert take seconds), and lets
    a client that sends one export after another share inserts: waiting on each insert held it to
    ~12 exports a second, at ~100 ms of chDB CPU each.
  * One thread inserts, and lingers between inserts so that each carries many requests
    (`store/linger.py`). close() ends a linger.
  * The queue is bounded in spans (accepted but not yet inserted, in-flight insert included):
    past the bound `submit` raises `Overloaded` at once instead of growing memory.
  * Retryable store failures are retried with capped, jittered exponential backoff. Logged blocks
    are retried until the store is back (or the writer closes: they stay in the log for the next
    start), and while the store is failing new blocks are refused with `StoreUnavailable` rather
    than logged; without a log, a waiting client gets it after `retry_deadline_s`. When a grouped
    insert fails for a non-retryable reason, each block is retried on its own so one bad request
    cannot fail the others; a logged block ClickHouse refuses is kept in the log's `rejected/`.
  * A retry never stores a batch twice: each insert carries an `insert_deduplication_token`,
    the same on every retry of the same blocks and new for any other set (a block retried alone
    after its group failed gets its own). The log records the token of the insert in flight, so
    a restart repeats it under the same token, and ClickHouse drops the repeat of an insert that
    had committed, in the table and in every materialized view target fed from it (migration 0033
    gives the single-node tables a deduplication window; Replicated tables keep one by default).
  * On exit, everything queued is inserted before the threads stop. close() also ends a retry
    backoff: once closing, a failed insert is not tried again; waiting clients get
    `StoreUnavailable`, logged blocks stay in the log, so closing a writer whose store is down
    returns promptly.
  * Blocks arrive already in Native format (`store/native.py`): the thread only joins them into
    one block (`store/native_merge.py`), so its time goes to ClickHouse, not to Python serialisation.
"""
from __future__ import annotations

import itertools
import logging
import os
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import NamedTuple

from clickhouse_connect.driver.client import Client

from spanhouse.errors import Overloaded, StoreError, StoreUnavailable
from spanhouse.store.client import map_error
from spanhouse.store.linger import Linger
from spanhouse.store.native import NativeBlock, TableLayout
from spanhouse.store.native_merge import insert_body
from spanhouse.store.wal import Record, Recovered, WriteAheadLog
from spanhouse.store.watermark import Watermark

logger = logging.getLogger(__name__)

# Per insert: the token makes a retry of the same blocks a no-op, and the dependent-views setting
# makes the materialized views' targets skip it too (ClickHouse >= 24 defaults it to 1, older
# servers to 0, which would count a deduplicated retry into the rollups again).
_DEDUP_SETTINGS = {"deduplicate_blocks_in_dependent_materialized_views": 1}


class _Pending(NamedTuple):
    block: NativeBlock
    future: Future[None] | None  # None: acknowledged already (logged); nobody waits on the insert
    arrived: float
    seq: int | None  # its number in the write-ahead log, when it was logged
    columns: tuple[str, ...]
    number: int | None  # its number in the watermark; None for a block replayed at start


class BatchWriter:
    """Owns one ClickHouse client (chDB allows one call at a time per handle) and its threads."""

    def __init__(
        self,
        client: Client,
        layout: TableLayout,
        *,
        batch_max_spans: int = 50_000,
        flush_interval_s: float = 0.05,
        queue_max_spans: int = 100_000,
        retry_deadline_s: float = 30.0,
        wal: WriteAheadLog | None = None,
        insert_niceness: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Args:
            wal: the write-ahead log that acknowledges blocks arriving while the writer is busy;
                without one, every block waits for its insert.
            insert_niceness: raise the inserting thread's nice value by this much, so that with an
                embedded engine (inserts on this machine's cores) the decoding that acknowledgements
                wait on goes first, and logged inserts take the time left over.
        """
        self._client = client
        self._table = layout.table
        self._columns = tuple(layout.names)
        self._batch_max = batch_max_spans
        self._linger = Linger(flush_interval_s, batch_max_spans)
        self._queue_max = queue_max_spans
        self._retry_deadline = retry_deadline_s
        self._wal = wal
        self._niceness = insert_niceness
        self._clock = clock
        self._cond = threading.Condition()
        self._pending: deque[_Pending] = deque()
        self._to_log: list[tuple[NativeBlock, Future[None], int]] = []
        self._logging = False  # the log thread holds blocks taken from _to_log
        self._inserting = False
        self._pending_spans = 0  # not yet taken by an insert
        self._queued_spans = 0  # not yet inserted: to log + pending + the insert in flight
        self._failing: StoreUnavailable | None = None  # the store's last error, while inserts keep failing
        self._kept_for_next_start: StoreUnavailable | None = None  # closing gave up logged blocks
        self._stopping = False
        self._log_drained = False
        self._closed = threading.Event()  # set by close(): ends a retry backoff at once
        # Tokens: unique to this writer's lifetime, then one number per set of blocks inserted.
        self._token_prefix = f"spanhouse-{uuid.uuid4().hex}"
        self._token_numbers = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._log_thread: threading.Thread | None = None
        self.watermark = Watermark(on_wait=self._hurry)
        self.inserted_spans = 0
        self.inserts = 0
        self.logged_blocks = 0

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> BatchWriter:
        """Insert what the log holds from the last run, then start the threads.

        Raises:
            StoreError: the log cannot be opened, or the store failed the replay (the log keeps it).
        """
        if self._wal is not None:
            recovered = self._wal.open()
            try:
                self._replay(recovered)
            except Exception:
                self._wal.close()
                raise
            self._log_thread = threading.Thread(target=self._log_run, name=f"spanhouse-log-{self._table}",
                                                daemon=True)
            self._log_thread.start()
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
        deadline = time.monotonic() + timeout_s
        if self._log_thread is not None:
            self._log_thread.join(timeout_s)
            self._log_thread = None
        with self._cond:
            self._log_drained = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
            if self._thread.is_alive():
                logger.error("writer did not drain within %.0fs; %d spans not written", timeout_s,
                             self._queued_spans)
            self._thread = None
        if self._wal is not None:
            self._wal.close()

    @property
    def queued_spans(self) -> int:
        return self._queued_spans

    # -- producers -------------------------------------------------------------------------
    def check_room(self) -> None:
        """Raise Overloaded when the queue is full, so an export can be refused before it is decoded.

        Raises:
            StoreUnavailable: the store is failing and acknowledged blocks are waiting for it.
        """
        with self._cond:
            if self._failing is not None and self._wal is not None:
                raise self._store_failing(self._failing)
            if self._queued_spans >= self._queue_max:
                raise self._full()

    @staticmethod
    def _store_failing(cause: StoreUnavailable) -> StoreUnavailable:
        # Refused, not logged: a client told 503 / UNAVAILABLE keeps its spans and retries, where
        # logging them would pile acknowledged spans up behind a store that may stay down.
        return StoreUnavailable(str(cause), cause.code, cause.name, cause.public)

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
            if self._failing is not None and self._wal is not None:
                raise self._store_failing(self._failing)
            # A lone batch larger than the bound is still taken, or it could never be written.
            if self._queued_spans and self._queued_spans + block.rows > self._queue_max:
                raise self._full()
            self._queued_spans += block.rows
            number = self.watermark.accept()
            if self._wal is None:
                self._pending_spans += block.rows
                self._pending.append(_Pending(block, future, self._clock(), None, self._columns, number))
            else:
                self._to_log.append((block, future, number))
            self._cond.notify_all()
        return future

    def _hurry(self) -> None:
        with self._cond:
            self._cond.notify_all()  # the linger loop sees the waiting reader

    # -- the log thread ---------------------------------------------------------------------
    def _log_run(self) -> None:
        assert self._wal is not None
        while True:
            with self._cond:
                while not self._to_log:
                    if self._stopping:
                        return
                    self._cond.wait()
                batch, self._to_log = self._to_log, []
                self._logging = True
            try:
                first = self._wal.append([block for block, _, _ in batch], self._columns)
            except Exception as exc:  # the loop boundary: an I/O error fails these exports, not the thread
                logger.error("cannot write the write-ahead log %s: %s", self._wal.directory, exc)
                error = StoreUnavailable(f"cannot write the write-ahead log: {getattr(exc, 'strerror', None) or exc}")
                with self._cond:
                    self._logging = False
                    self._queued_spans -= sum(block.rows for block, _, _ in batch)
                    self._cond.notify_all()
                self.watermark.settle(number for _, _, number in batch)
                for _, future, _ in batch:
                    future.set_exception(error)
                continue
            arrived = self._clock()
            with self._cond:
                for index, (block, _, number) in enumerate(batch):
                    self._pending.append(_Pending(block, None, arrived, first + index, self._columns, number))
                    self._pending_spans += block.rows
                self._logging = False
                self.logged_blocks += len(batch)
                self._cond.notify_all()
            for _, future, _ in batch:
                future.set_result(None)

    # -- the writer thread -----------------------------------------------------------------
    def _run(self) -> None:
        if self._niceness > 0:
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._niceness)
            except OSError as exc:
                logger.warning("cannot lower the priority of the insert thread: %s", exc)
        last_end = float("-inf")
        while True:
            with self._cond:
                while True:
                    if not self._pending:
                        if self._stopping and (self._log_drained or self._wal is None):
                            return
                        self._cond.wait()
                        continue
                    if self._stopping:
                        break  # the drain must not wait
                    if self.watermark.waiting():
                        break  # a reader waits to see these rows
                    wait = self._linger.remaining_s(self._clock(), self._pending_spans, self._pending[0].arrived,
                                                    last_end)
                    if wait <= 0:
                        break
                    self._cond.wait(wait)  # submit() and close() wake it early
                taken = self._take()
                self._inserting = True
            try:
                self._write(taken)
            except Exception:  # the loop boundary: never let the writer thread die
                logger.exception("unexpected error in the span writer")
                self._after_unexpected(taken)
            finally:
                with self._cond:
                    self._inserting = False
            last_end = self._clock()

    def _after_unexpected(self, taken: list[_Pending]) -> None:
        """A bug, not the store: waiting clients are told; logged blocks go back to be tried again."""
        if taken[0].seq is None:
            self._give_up(taken, StoreError("unexpected error while writing spans"))
            return
        if self._closed.is_set():
            self._give_up(taken, StoreUnavailable("spanhouse is shutting down"))
            return
        with self._cond:
            self._pending.extendleft(reversed(taken))
            self._pending_spans += sum(item.block.rows for item in taken)
        self._closed.wait(1.0)  # not a hot loop if it happens again

    def _take(self) -> list[_Pending]:
        """The next insert: the oldest blocks, up to batch_max_spans.

        With a log every block is logged before it is pending, so an interrupted insert holds only
        blocks the log can give back: a restart rebuilds the same body, which ClickHouse must see
        to drop the repeat under the insert's token.
        """
        taken = [self._pending.popleft()]
        spans = taken[0].block.rows
        while self._pending and spans + self._pending[0].block.rows <= self._batch_max:
            item = self._pending.popleft()
            spans += item.block.rows
            taken.append(item)
        self._pending_spans -= spans
        return taken

    def _replay(self, recovered: Recovered) -> None:
        """Insert the blocks a previous run logged and did not insert, the interrupted insert first."""
        records = recovered.records
        if not records:
            return
        spans = sum(r.block.rows for r in records)
        logger.info("write-ahead log %s: inserting %d blocks (%d spans) logged before the last stop",
                    self._wal.directory if self._wal else "", len(records), spans)
        self._queued_spans += spans  # each insert below takes its spans off again
        now = self._clock()
        for chunk, token in recovered.inserts(self._batch_max):
            self._write([_Pending(r.block, None, now, r.seq, r.columns, None) for r in chunk], token=token,
                        waiting=False)

    def _write(self, taken: list[_Pending], token: str | None = None, waiting: bool = True) -> None:
        """Insert `taken`; then complete their clients' futures and move the log's checkpoint.

        Args:
            waiting: False while replaying the log at start: a store still down at the deadline is
                raised (the start fails, the log keeps the blocks), not retried for ever.
        """
        if self._kept_for_next_start is not None:
            # Closing, and logged blocks ahead of these stay in the log: an insert now would move
            # the checkpoint past them, so these stay too.
            self._give_up(taken, self._kept_for_next_start)
            return
        try:
            self._insert_with_retries(taken, token, waiting)
        except StoreUnavailable as exc:
            if not waiting:
                raise
            self._give_up(taken, exc)
            return
        except StoreError as exc:
            if len(taken) == 1:
                self._refused(taken[0], exc)
                return
            logger.warning("grouped insert failed (%s); writing its %d requests one by one", exc, len(taken))
            for item in taken:
                self._write([item], waiting=waiting)
            return
        self._done(taken)

    def _insert_with_retries(self, taken: list[_Pending], token: str | None, waiting: bool) -> None:
        """Insert `taken`, retrying while the store is unreachable.

        Blocks whose clients wait on the insert are given up at the deadline (the clients hear
        `StoreUnavailable` and retry); logged blocks are retried until the insert succeeds or the
        writer closes, always under the same token.
        """
        token = token or self._new_token()
        deadline = self._clock() + self._retry_deadline
        delay = 0.1
        attempt = 0
        begun = False
        while True:
            attempt += 1
            try:
                if not begun:
                    self._begin(taken, token)
                    begun = True
                self._insert(taken, token)
            except StoreUnavailable as exc:
                with self._cond:
                    self._failing = exc
                closing = self._closed.is_set()
                logged = taken[0].seq is not None
                if closing or (self._clock() + delay > deadline and (not waiting or not logged)):
                    logger.error("giving up on an insert after %d attempts%s: %s", attempt,
                                 " (spanhouse is shutting down)" if closing else "", exc)
                    raise
                logger.warning("insert failed (attempt %d), retrying in %.2fs: %s", attempt, delay, exc)
                self._closed.wait(delay * random.uniform(0.8, 1.2))  # close() ends the wait: one last try
                delay = min(delay * 2, 5.0)
                continue
            with self._cond:
                self._failing = None
            return

    def _new_token(self) -> str:
        return f"{self._token_prefix}-{next(self._token_numbers)}"

    def _begin(self, taken: list[_Pending], token: str) -> None:
        """Record the insert of logged blocks in the log's checkpoint before it runs.

        Raises:
            StoreUnavailable: the checkpoint cannot be written (disk full): retried like a store that is down.
        """
        logged = [item.seq for item in taken if item.seq is not None]
        if self._wal is None or not logged:
            return
        try:
            self._wal.begin_insert(logged[0], logged[-1], token)
        except OSError as exc:
            raise StoreUnavailable(f"cannot write the write-ahead log checkpoint: {exc}",
                                   public="cannot write the write-ahead log") from exc

    def _insert(self, taken: list[_Pending], token: str) -> None:
        blocks = [item.block for item in taken]
        body = insert_body(blocks)
        try:
            self._client.raw_insert(self._table, list(taken[0].columns), insert_block=body, fmt="Native",
                                    settings={**_DEDUP_SETTINGS, "insert_deduplication_token": token})
        except Exception as exc:
            raise map_error(exc, f"insert into {self._table}") from exc
        self.inserts += 1
        self.inserted_spans += sum(block.rows for block in blocks)

    def _done(self, taken: list[_Pending]) -> None:
        self._checkpoint(taken)
        with self._cond:
            self._queued_spans -= sum(item.block.rows for item in taken)
            # Idle before anyone hears back: without a log, a client's next export, sent on this
            # answer, finds the writer idle and is inserted without a linger.
            self._inserting = False
        self.watermark.settle(item.number for item in taken)
        for item in taken:
            if item.future is not None and not item.future.done():
                item.future.set_result(None)

    def _checkpoint(self, taken: list[_Pending]) -> None:
        logged = [item.seq for item in taken if item.seq is not None]
        if self._wal is None or not logged:
            return
        try:
            self._wal.inserted(logged[-1])
        except OSError as exc:
            # The rows are in ClickHouse. Unrecorded, a restart repeats their insert under the
            # token its intent holds, which ClickHouse drops; the next checkpoint moves past them.
            logger.error("cannot move the write-ahead log checkpoint in %s: %s", self._wal.directory, exc)

    def _refused(self, item: _Pending, exc: StoreError) -> None:
        """ClickHouse refused one block for good: its client hears it, or, if logged, it is kept in rejected/."""
        if self._wal is None or item.seq is None:
            logger.error("insert rejected by ClickHouse: %s", exc)
            self._give_up([item], exc)
            return
        try:
            kept = self._wal.reject(Record(item.seq, item.columns, item.block))
        except OSError as error:
            logger.error("%d acknowledged spans refused by ClickHouse (%s) and not kept aside (%s): lost",
                         item.block.rows, exc, error)
        else:
            logger.error("%d acknowledged spans refused by ClickHouse (%s); kept in %s", item.block.rows, exc, kept)
        self._done([item])

    def _give_up(self, taken: list[_Pending], exc: StoreError) -> None:
        """Fail the clients waiting on `taken`; logged blocks among them stay in the log for the next start."""
        kept = sum(item.block.rows for item in taken if item.future is None)
        if kept:
            logger.warning("%d acknowledged spans stay in the write-ahead log %s and are inserted at the next start",
                           kept, self._wal.directory if self._wal else "")
            self._kept_for_next_start = StoreUnavailable(f"spanhouse is shutting down: {exc}", public=exc.public)
        with self._cond:
            self._queued_spans -= sum(item.block.rows for item in taken)
            self._inserting = False
            if not kept:
                self._failing = None  # nothing is retried now: the next export finds out whether the store is back
        self.watermark.settle(item.number for item in taken)
        for item in taken:
            if item.future is not None and not item.future.done():
                item.future.set_exception(exc)
