"""A ClickHouse server a test can kill: ClickHouse's HTTP interface over the embedded engine.

spanhouse's default store (chDB) lives inside its process, so it cannot fail apart from it. To
test what happens when the store dies under a running spanhouse, this module runs the real
engine (chDB, on its own data path) in a child process behind the parts of ClickHouse's HTTP
interface that clickhouse-connect uses: SQL in the body or the `query` parameter, Native data
after an INSERT ... FORMAT line (lz4/zstd/gzip Content-Encoding, chunked or not), `param_*`
query parameters, `database`, `default_format`, `GET /ping`, errors as a status with
`X-ClickHouse-Exception-Code`. Per-query settings are ignored, except the insert deduplication
ones (INSERT_SETTINGS), which ride along with an insert; it has no users.

`ClickHouseProcess` starts it on a free loopback port, `kill()`s it with SIGKILL (the client
sees refused connections, as with a crashed server) and `start()`s it again on the same port
and data. Run alone: `python -m tests.clickhouse_http PATH PORT` (port 0 picks one and prints it).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from spanhouse.store.sqltext import quote_string

_INSERT_HEAD = re.compile(rb"^\s*(INSERT\s+INTO\s.*?\bFORMAT\s+\w+)[ \t]*\r?\n?", re.IGNORECASE | re.DOTALL)
_ERROR_CODE = re.compile(r"Code:\s*(\d+)")
# What a retried insert needs to be dropped as ClickHouse drops it (tests/store/test_insert_retries.py).
INSERT_SETTINGS = frozenset({"insert_deduplication_token", "deduplicate_blocks_in_dependent_materialized_views"})


def _decompress(data: bytes, encoding: str | None) -> bytes:
    from clickhouse_connect.driver._backend.httpcommon import decompress_response

    return decompress_response(data, encoding)


class _Engine:
    """One chDB connection; HTTP requests are independent statements, run one at a time."""

    def __init__(self, path: str) -> None:
        import chdb

        self._conn = chdb.connect(path)
        self._lock = threading.Lock()

    def run(self, sql: str, data: bytes | None, database: str, fmt: str, params: dict[str, str],
            settings: dict[str, str]) -> bytes:
        with self._lock:
            self._conn.query(f"USE `{database}`" if database else "USE default", "TabSeparated")
            if data is None:
                return bytes(self._conn.query(sql, fmt, params=params).bytes())
            # chDB reads inline insert data from a file, as clickhouse-connect's chDB backend does.
            with tempfile.NamedTemporaryFile(suffix=".bin") as infile:
                infile.write(data)
                infile.flush()
                head, _, fmt_clause = sql.rpartition(" FORMAT ")
                clause = ", ".join(f"{name} = {quote_string(value)}" for name, value in settings.items())
                self._conn.query(f"{head} FROM INFILE '{infile.name}'{' SETTINGS ' + clause if clause else ''} "
                                 f"FORMAT {fmt_clause}", "TabSeparated")
            return b""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    engine: _Engine

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        self._handle(self._body())

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b""):
                pass
            data = b"".join(chunks)
        else:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return _decompress(data, self.headers.get("Content-Encoding"))

    def _handle(self, body: bytes) -> None:
        url = urlsplit(self.path)
        if url.path == "/ping":
            self._answer(200, b"Ok.\n")
            return
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        sql_text = params.get("query", "").encode()
        data: bytes | None = None
        if sql_text and body:
            data = body
        elif not sql_text:
            head = _INSERT_HEAD.match(body)
            sql_text, data = (head.group(1), body[head.end():]) if head else (body, None)
        bind = {name[len("param_"):]: value for name, value in params.items() if name.startswith("param_")}
        try:
            result = self.engine.run(sql_text.decode().strip(), data, params.get("database", ""),
                                     params.get("default_format", "TabSeparated"), bind,
                                     {name: value for name, value in params.items() if name in INSERT_SETTINGS})
        except Exception as exc:  # the engine's error, as ClickHouse would report it
            code = _ERROR_CODE.search(str(exc))
            self._answer(500, f"{exc}\n".encode(), {"X-ClickHouse-Exception-Code": code.group(1) if code else "1000"})
            return
        self._answer(200, result)

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def serve(path: str, port: int) -> None:
    _Handler.engine = _Engine(path)
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


class ClickHouseProcess:
    """The server above in a child process: start, SIGKILL, start again on the same port and data."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    @property
    def dsn(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        root = Path(__file__).parent.parent
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root),
                                                             os.environ.get("PYTHONPATH", "")])}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.clickhouse_http", str(self.path), str(self.port)],
            stdout=subprocess.PIPE, text=True, env=env, cwd=root,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the ClickHouse HTTP server exited with {self._process.wait(10)}")
        self.port = int(line)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise

    def kill(self) -> None:
        """Die as a crashed server does: no goodbye, connections refused from now on."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(30)
            assert self._process.stdout is not None
            self._process.stdout.close()
            self._process = None

    def __enter__(self) -> ClickHouseProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
