"""Where `encode_request` runs: worker processes (the default) or threads of the server process.

Decoding, normalising and encoding a span is pure Python, ~40 us of CPU per span; under the
GIL one process tops out near 20k spans/s however many threads it has. Worker processes put
that work on every core while the server process keeps the sockets and the single writer,
whose inserts run in ClickHouse's native code. Bodies go to a worker and Native blocks come
back as bytes, so the hand-off costs a copy, not a Python object graph.

Workers are started with `spawn`: the server process holds an embedded ClickHouse engine and
threads, which a `fork` would copy in an unusable state. A worker that dies (killed, out of
memory) breaks the pool; it is rebuilt and the requests it held get a retryable answer.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Mapping
from concurrent.futures.process import BrokenProcessPool

import anyio
import anyio.to_thread

from spanhouse.errors import Overloaded
from spanhouse.gc_tuning import freeze_start_up_objects
from spanhouse.receive.ingest import (
    NO_NORMALISATION_OPTIONS,
    EncodedRequest,
    Encoding,
    Normalisation,
    Signal,
    encode_request,
)
from spanhouse.store.dedup import Keys
from spanhouse.store.native import NativeEncoder, TableLayout

logger = logging.getLogger(__name__)


class ThreadEncodePool:
    """Encode on threads of this process: no start-up cost; what tests and tiny setups use."""

    def __init__(self, layouts: Mapping[Signal, TableLayout], normalisation: Normalisation = NO_NORMALISATION_OPTIONS,
                 threads: int = 4, content_layout: TableLayout | None = None) -> None:
        self._encoders = {signal: NativeEncoder(layout) for signal, layout in layouts.items()}
        self._content_encoder = NativeEncoder(content_layout) if content_layout else None
        self._normalisation = normalisation
        self._limiter = anyio.CapacityLimiter(threads)

    def __enter__(self) -> ThreadEncodePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    async def encode(self, signal: Signal, body: bytes, encoding: Encoding, tenant: str,
                     exclude: Keys | None = None, rolled_up: Keys | None = None) -> EncodedRequest:
        return await anyio.to_thread.run_sync(encode_request, self._encoders[signal], self._normalisation, signal,
                                              body, encoding, tenant, exclude, self._content_encoder, rolled_up,
                                              limiter=self._limiter)


_worker_encoders: dict[Signal, NativeEncoder] = {}
_worker_normalisation = NO_NORMALISATION_OPTIONS
_worker_content_encoder: NativeEncoder | None = None


def _exit_with_parent(parent: int) -> None:
    # A server killed with SIGKILL cannot stop its workers, and a worker blocked on its call
    # queue would wait forever: leave when the parent is gone (re-parented to another pid).
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _start_worker(layouts: Mapping[Signal, TableLayout], normalisation: Normalisation,
                  content_layout: TableLayout | None) -> None:
    global _worker_normalisation, _worker_content_encoder
    # Ctrl+C in a terminal signals the whole process group. The server drains and then shuts the
    # pool down; a worker that took the SIGINT itself would die mid-request with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    _worker_encoders.update({signal: NativeEncoder(layout) for signal, layout in layouts.items()})
    _worker_normalisation = normalisation
    _worker_content_encoder = NativeEncoder(content_layout) if content_layout else None
    freeze_start_up_objects()


def _encode_in_worker(signal: Signal, body: bytes, encoding: Encoding, tenant: str,
                      exclude: Keys | None, rolled_up: Keys | None) -> EncodedRequest:
    return encode_request(_worker_encoders[signal], _worker_normalisation, signal, body, encoding, tenant, exclude,
                          _worker_content_encoder, rolled_up)


def _ready() -> bool:
    return True


class ProcessEncodePool:
    def __init__(self, layouts: Mapping[Signal, TableLayout], processes: int,
                 normalisation: Normalisation = NO_NORMALISATION_OPTIONS,
                 content_layout: TableLayout | None = None) -> None:
        self._layouts = dict(layouts)
        self._content_layout = content_layout
        self._normalisation = normalisation
        self._processes = processes
        # Two requests per worker in flight keeps each busy while the next body is pickled.
        self._slots = asyncio.Semaphore(2 * processes)
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessEncodePool:
        executor = self._executor = self._new_executor()
        # Spawned workers import spanhouse (~1 s each); do it now rather than in the first request.
        for ready in [executor.submit(_ready) for _ in range(self._processes)]:
            ready.result(timeout=120)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            self._processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(self._layouts, self._normalisation, self._content_layout),
        )

    async def encode(self, signal: Signal, body: bytes, encoding: Encoding, tenant: str,
                     exclude: Keys | None = None, rolled_up: Keys | None = None) -> EncodedRequest:
        executor = self._executor
        if executor is None:
            raise RuntimeError("ProcessEncodePool used outside its context")
        async with self._slots:
            try:
                return await asyncio.get_running_loop().run_in_executor(
                    executor, _encode_in_worker, signal, body, encoding, tenant, exclude, rolled_up)
            except BrokenProcessPool as exc:
                if self._executor is executor:  # the first request to notice replaces the pool
                    logger.error("a decode worker died; restarting the pool of %d", self._processes)
                    self._executor = self._new_executor()
                    executor.shutdown(wait=False, cancel_futures=True)
                raise Overloaded("a decode worker was restarted; retry the export", retry_after_s=1.0) from exc
