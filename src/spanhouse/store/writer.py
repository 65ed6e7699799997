"""The single writer: group-commits queued, already encoded blocks into ClickHouse.

Contract:
  * `submit` returns a future that completes only once the batch's insert has returned, i.e.
    the rows are in a committed part on disk: an export is acknowledged only then, so an
    acknowledged span survives `kill -9` of the process right after.
  * One thread inserts. While an insert runs, new batches queue; the next insert takes all of
    them (up to `batch_max_spans`). Under load batches grow; when idle a request waits for one
    insert. `flush_interval_s` spaces insert starts so a trickle of tiny requests cannot create
    a part per request.
  * The queue is bounded in spans (accepted but not yet durable, in-flight insert included):
    past the bound `submit` raises `Overloaded` at once instead of growing memory.
  * Retryable store failures are retried with capped, jittered exponential backoff until
    `retry_deadline_s`; then the batches' futures fail with `StoreUnavailable`. When a grouped
    insert fails for a non-retryable reason, each batch is retried on its own so one bad
    request cannot fail the requests queued beside it.
  * On exit, everything queued is flushed before the thread stops.
  * Blocks arrive already in Native format (`store/native.py`): the thread only concatenates
    them, so its time goes to ClickHouse, not to Python serialisation.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol

from clickhouse_connect.driver.client import Client

from spanhouse.errors import Overloaded, StoreError, StoreUnavailable
from spanhouse.store.client import map_error
from spanhouse.store.native import NativeBlock, TableLayout

logger = logging.getLogger(__name__)


class SpanSink(Protocol):
    def submit(self, block: NativeBlock) -> Future[None]: ...


_Pending = tuple[NativeBlock, "Future[None]"]


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
        self._interval = flush_interval_s
        self._queue_max = queue_max_spans
        self._retry_deadline = retry_deadline_s
        self._clock = clock
        self._cond = threading.Condition()
        self._pending: deque[_Pending] = deque()
        self._queued_spans = 0
        self._stopping = False
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
                raise Overloaded(
                    f"ingest queue is full ({self._queued_spans} spans waiting, limit {self._queue_max})",
                    retry_after_s=1.0,
                )
            self._queued_spans += block.rows
            self._pending.append((block, future))
            self._cond.notify()
        return future

    # -- the writer thread -----------------------------------------------------------------
    def _run(self) -> None:
        last_start = float("-inf")
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if not self._pending:
                    return
                linger = last_start + self._interval - self._clock()
                if linger > 0 and not self._stopping:
                    # Woken early by close(): the drain must not wait.
                    self._cond.wait_for(lambda: self._stopping, timeout=linger)
                taken = self._take()
            last_start = self._clock()
            try:
                self._write(taken)
            except Exception:  # the loop boundary: never let the writer thread die
                logger.exception("unexpected error in the span writer")
                self._fail(taken, StoreError("unexpected error while writing spans"))

    def _take(self) -> list[_Pending]:
        taken = [self._pending.popleft()]
        spans = taken[0][0].rows
        while self._pending and spans + self._pending[0][0].rows <= self._batch_max:
            item = self._pending.popleft()
            spans += item[0].rows
            taken.append(item)
        return taken

    def _write(self, taken: list[_Pending]) -> None:
        try:
            self._insert_with_retries([block for block, _ in taken])
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
        deadline = self._clock() + self._retry_deadline
        delay = 0.1
        attempt = 0
        while True:
            attempt += 1
            try:
                self._insert(blocks)
                return
            except StoreUnavailable as exc:
                if self._clock() + delay > deadline:
                    logger.error("giving up on an insert after %d attempts: %s", attempt, exc)
                    raise
                logger.warning("insert failed (attempt %d), retrying in %.2fs: %s", attempt, delay, exc)
                time.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, 5.0)

    def _insert(self, blocks: list[NativeBlock]) -> None:
        body = blocks[0].data if len(blocks) == 1 else b"".join(block.data for block in blocks)
        try:
            self._client.raw_insert(self._table, self._columns, insert_block=body, fmt="Native")
        except Exception as exc:
            raise map_error(exc, f"insert into {self._table}") from exc
        self.inserts += 1
        self.inserted_spans += sum(block.rows for block in blocks)

    def _done(self, taken: list[_Pending]) -> None:
        with self._cond:
            self._queued_spans -= sum(block.rows for block, _ in taken)
        for _, future in taken:
            future.set_result(None)

    def _fail(self, taken: list[_Pending], exc: StoreError) -> None:
        with self._cond:
            self._queued_spans -= sum(block.rows for block, _ in taken)
        for _, future in taken:
            if not future.done():
                future.set_exception(exc)
