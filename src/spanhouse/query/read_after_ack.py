"""Query API requests see what was acknowledged before them.

Exports are acknowledged once in the write-ahead log and inserted a moment later (store/writer.py).
A client that exports and then asks (a test, a notebook, an agent reading back its own trace)
expects its spans in the answer, so each request first waits, for at most a bound, until the
writers have inserted what they had accepted when it arrived. Usually nothing is outstanding and
there is no wait; under load it is at most one insert, and a waiting request ends the writers'
linger.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection

from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

CaughtUp = Callable[[], Awaitable[bool]]


class ReadAfterAck:
    """ASGI middleware: awaits `caught_up` before every HTTP request except `exempt` paths."""

    def __init__(self, app: ASGIApp, caught_up: CaughtUp, exempt: Collection[str] = ()) -> None:
        self._app = app
        self._caught_up = caught_up
        self._exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self._exempt and not await self._caught_up():
            logger.debug("%s read before every acknowledged span was inserted (read_wait_ms passed)", scope["path"])
        await self._app(scope, receive, send)
