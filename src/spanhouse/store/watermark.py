"""Which accepted blocks a writer has settled: what a query waits on to see what was acknowledged.

An export is acknowledged once it is in the write-ahead log and inserted later (store/writer.py).
A reader that wants everything acknowledged before it started takes a `mark` and waits until the
writer has settled every block up to it. Settled means inserted, or given up (the client was told,
or the block stays in the log for the next start): nothing left that waiting could change.

Blocks are numbered as they are accepted, and settle in about that order; the low watermark
moves past a number once it and everything before it are settled.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Sequence

_Waiter = tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]  # (mark, its loop, done when reached)


class Watermark:
    def __init__(self, on_wait: Callable[[], None] = lambda: None) -> None:
        """Args:
            on_wait: called when a reader starts waiting, so the writer can stop lingering: a
                reader waiting is the one cost the linger was allowed to have.
        """
        self._lock = threading.Lock()
        self._accepted = 0
        self._settled_upto = 0
        self._settled_above: set[int] = set()
        self._waiters: list[_Waiter] = []
        self._on_wait = on_wait

    def accept(self) -> int:
        """The number of a newly accepted block."""
        with self._lock:
            self._accepted += 1
            return self._accepted

    def mark(self) -> int:
        """The newest block accepted so far: wait on this to see everything accepted before now."""
        return self._accepted

    def reached(self, mark: int) -> bool:
        return self._settled_upto >= mark

    def waiting(self) -> bool:
        """Whether a reader waits on a block not yet settled."""
        return bool(self._waiters)

    def settle(self, numbers: Iterable[int | None]) -> None:
        """Mark blocks settled (None: a block that was never numbered, as one replayed at start)."""
        ready: list[_Waiter] = []
        with self._lock:
            for number in numbers:
                if number is not None and number > self._settled_upto:
                    self._settled_above.add(number)
            while self._settled_upto + 1 in self._settled_above:
                self._settled_above.remove(self._settled_upto + 1)
                self._settled_upto += 1
            if self._waiters:
                still: list[_Waiter] = []
                for waiter in self._waiters:
                    (still if waiter[0] > self._settled_upto else ready).append(waiter)
                self._waiters = still
        for _, loop, future in ready:
            loop.call_soon_threadsafe(_resolve, future)

    async def wait(self, mark: int) -> None:
        """Return once every block up to `mark` is settled. Cancelling it (a timeout) forgets the waiter."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter: _Waiter = (mark, loop, future)
        with self._lock:
            if self._settled_upto >= mark:
                return
            self._waiters.append(waiter)
        self._on_wait()
        try:
            await future
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def caught_up(watermarks: Sequence[Watermark], timeout_s: float) -> bool:
    """Wait until each writer has settled what it had accepted on entry, for at most `timeout_s`.

    Returns whether it got there: False means the query runs on what is inserted so far.
    """
    behind = [(watermark, mark) for watermark in watermarks if not watermark.reached(mark := watermark.mark())]
    if not behind:
        return True
    if timeout_s <= 0:
        return False
    try:
        await asyncio.wait_for(asyncio.gather(*(watermark.wait(mark) for watermark, mark in behind)), timeout_s)
    except TimeoutError:
        return False
    return True
