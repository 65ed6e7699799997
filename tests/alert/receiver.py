"""A real webhook for the alert tests: a threaded HTTP server on 127.0.0.1:0 that records every
request it is sent and answers as the test scripts it (a status N times, Retry-After, or hanging
past the client's timeout); once the script runs out it answers 200."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: tuple[tuple[str, str], ...] = ()
    hang_s: float = 0.0  # wait this long before answering (longer than the client's timeout: a timeout)


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._script: deque[Reply] = deque()
        self._arrived = threading.Condition()
        self._released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._arrived:
                    reply = receiver._script.popleft() if receiver._script else Reply()
                    receiver.requests.append(Request(self.path, dict(self.headers.items()), body))
                    receiver._arrived.notify_all()
                if reply.hang_s:
                    receiver._released.wait(reply.hang_s)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up waiting (a timeout test)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def answer(self, status: int, times: int = 1, *, body: bytes = b"", retry_after: str | None = None) -> None:
        headers = (("Retry-After", retry_after),) if retry_after is not None else ()
        self._script.extend([Reply(status, body, headers)] * times)

    def hang(self, seconds: float, times: int = 1) -> None:
        self._script.extend([Reply(hang_s=seconds)] * times)

    def release(self) -> None:
        """End every hang now, and make later ones answer at once."""
        self._released.set()

    def wait_for(self, count: int, timeout_s: float = 30) -> list[Request]:
        """The first `count` requests, once they have arrived."""
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.requests) >= count, timeout_s), self.requests
            return self.requests[:count]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
