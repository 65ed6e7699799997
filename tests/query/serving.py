"""A query API built by a test (`api.create_app` with its own tenant resolver), served as spanhouse
serves its own: over real HTTP by uvicorn (app.py's `_serve_http`) and over real gRPC by the
QueryService, on a thread and event loop of their own."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from types import TracebackType

import grpc
from starlette.types import ASGIApp

from spanhouse.app import _serve_http
from spanhouse.query import grpc_service


class Serving:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._ready: Future[tuple[int, int]] = Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = grpc.aio.server()
        grpc_service.add_to_server(server, self._app)
        grpc_port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            async with _serve_http(self._app, "127.0.0.1", 0, "api_port") as http_port:
                self._ready.set_result((http_port, grpc_port))
                await self._stop.wait()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise
        finally:
            await server.stop(grace=1)

    def __enter__(self) -> Serving:
        self._thread.start()
        http_port, grpc_port = self._ready.result(timeout=30)
        self.api = f"http://127.0.0.1:{http_port}"
        self.grpc_endpoint = f"127.0.0.1:{grpc_port}"
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
