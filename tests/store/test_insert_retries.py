"""The writer against a ClickHouse server whose answers get lost: a retried insert is stored once, and a
writer whose store is down closes promptly.

The store is the real engine behind ClickHouse's HTTP interface in a child process
(`tests/clickhouse_http.py`); between it and the writer sits `LossyProxy`, which forwards each request
and, for the inserts the test chooses, drops the connection instead of passing the answer back: the
insert is committed, and the writer only sees a broken connection, as after a network cut.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from spanhouse.app import INSERT_COLUMNS, TRACES_TABLE
from spanhouse.decode.traces import decode_spans
from spanhouse.errors import StoreUnavailable
from spanhouse.normalise.spans import normalise_batch
from spanhouse.store.client import connect
from spanhouse.store.migrations import create_database, migrate
from spanhouse.store.native import NativeBlock, NativeEncoder, TableLayout
from spanhouse.store.writer import BatchWriter
from tests.clickhouse_http import ClickHouseProcess
from tests.factories import export_request, llm_span, make_span

DATABASE = "retries"


class LossyProxy:
    """Forwards HTTP requests to ClickHouse; loses the answers of the next `lose_insert_answers` inserts."""

    def __init__(self, upstream_port: int) -> None:
        self.lose_insert_answers = 0
        self.inserts_forwarded = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._forward(b"")

            def do_POST(self) -> None:
                self._forward(self._body())

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                    return self.rfile.read(int(self.headers.get("Content-Length") or 0))
                chunks = []
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                while self.rfile.readline() not in (b"\r\n", b""):
                    pass
                return b"".join(chunks)

            def _forward(self, body: bytes) -> None:
                # clickhouse-connect sends an insert's statement in the body, before the data
                statement = parse_qs(urlsplit(self.path).query).get("query", [""])[0].encode() or body[:20]
                insert = statement.lstrip().upper().startswith(b"INSERT")
                headers = {name: value for name, value in self.headers.items()
                           if name.lower() not in ("transfer-encoding", "content-length", "connection")}
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    payload = answer.read()
                finally:
                    upstream.close()
                with proxy._lock:
                    proxy.inserts_forwarded += insert
                    lose = insert and proxy.lose_insert_answers > 0
                    proxy.lose_insert_answers -= lose
                if lose:
                    self.close_connection = True  # committed upstream; the client hears nothing
                    return
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LossyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def clickhouse(tmp_path) -> Iterator[ClickHouseProcess]:
    with ClickHouseProcess(tmp_path / "clickhouse") as process:
        setup = connect(process.dsn)
        create_database(setup, DATABASE)
        migrate(connect(process.dsn, DATABASE))
        yield process


@pytest.fixture
def proxy(clickhouse) -> Iterator[LossyProxy]:
    with LossyProxy(clickhouse.port) as lossy:
        yield lossy


def spans_block(client, *spans) -> NativeBlock:
    layout = TableLayout.read(client, TRACES_TABLE, INSERT_COLUMNS)
    return NativeEncoder(layout).encode(normalise_batch(decode_spans(export_request(*spans), "acme")).columns)


def a_trace(trace: int) -> list:
    now = time.time_ns()  # inside every rollup's retention (the minute rollup keeps 7 days)
    return [make_span(trace=trace, span=1, name="invoke_agent", start_ns=now,
                      attributes={"gen_ai.conversation.id": "t-1"}),
            llm_span(trace=trace, span=2, parent=1, start_ns=now),
            llm_span(trace=trace, span=3, parent=1, start_ns=now)]


def stored_counts(client) -> dict[str, int]:
    """Spans as each table counts them: the raw table and every rollup fed by a materialized view."""
    counts = {"otel_traces": "count()", "trace_rollup": "sum(span_count)", "minute_metrics_rollup": "sum(span_count)",
              "hourly_metrics_rollup": "sum(span_count)", "daily_metrics_rollup": "sum(span_count)"}
    found = {table: int(client.query(f"SELECT {total} FROM {table}").result_rows[0][0])
             for table, total in counts.items()}
    # otel_traces_trace_id_ts holds a trace's range (min/max): a second copy would not change it.
    found["trace time ranges"] = int(client.query(
        "SELECT countDistinct(TraceId, Start, End) FROM otel_traces_trace_id_ts").result_rows[0][0])
    return found


def test_an_insert_whose_answer_was_lost_is_retried_and_stored_once_in_the_table_and_every_rollup(clickhouse, proxy):
    client = connect(proxy.dsn, DATABASE)
    # The insert commits and its answer is lost; so does the driver's own replay of it (clickhouse-connect
    # sends a request again once when the connection closes without an answer); the writer's retry is answered.
    proxy.lose_insert_answers = 2
    with BatchWriter(client, TableLayout.read(client, TRACES_TABLE, INSERT_COLUMNS)) as writer:
        writer.submit(spans_block(client, *a_trace(1), *a_trace(2))).result(timeout=60)

    assert proxy.inserts_forwarded == 3  # so ClickHouse was given the same rows three times
    assert stored_counts(connect(clickhouse.dsn, DATABASE)) == {
        "otel_traces": 6, "trace_rollup": 6, "minute_metrics_rollup": 6, "hourly_metrics_rollup": 6,
        "daily_metrics_rollup": 6, "trace time ranges": 2}


def test_different_batches_are_stored_even_when_their_rows_are_the_same(clickhouse, proxy):
    client = connect(proxy.dsn, DATABASE)
    block = spans_block(client, *a_trace(1))
    with BatchWriter(client, TableLayout.read(client, TRACES_TABLE, INSERT_COLUMNS)) as writer:
        writer.submit(block).result(timeout=60)
        writer.submit(block).result(timeout=60)  # a second request with the same spans: not a retry
    assert stored_counts(connect(clickhouse.dsn, DATABASE))["otel_traces"] == 6


def test_closing_a_writer_whose_store_is_down_ends_its_retries_and_fails_what_it_held(clickhouse, caplog):
    client = connect(clickhouse.dsn, DATABASE)
    block = spans_block(client, *a_trace(1))
    writer = BatchWriter(client, TableLayout.read(client, TRACES_TABLE, INSERT_COLUMNS),
                         retry_deadline_s=3600).__enter__()
    clickhouse.kill()
    caplog.set_level(logging.WARNING, logger="spanhouse.store.writer")
    future = writer.submit(block)
    for _ in range(1200):  # until the writer sleeps before its next try
        if any("retrying in" in record.getMessage() for record in caplog.records):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the writer never retried")

    writer.close()  # would wait for the store for an hour, were the backoff not interrupted

    assert future.done()
    with pytest.raises(StoreUnavailable, match="cannot insert into otel_traces"):
        future.result(timeout=0)
    assert writer.queued_spans == 0
