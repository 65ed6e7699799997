"""Admission: bodies in flight share one byte budget, and an export refused for overload is refused undecoded."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import httpx
import orjson
import pytest
from google.rpc import error_details_pb2

from spanhouse.errors import Overloaded
from spanhouse.receive.admission import BodyBudget
from tests.factories import export_request, hex_id, llm_span, make_span
from tests.receive.test_otlp_grpc import raw_export
from tests.receive.test_otlp_http import PROTOBUF, post, status_of, timeline

KB = 1024


def test_a_body_alone_is_taken_whatever_its_size():
    budget = BodyBudget(100)
    with budget.hold() as body:
        body.add(60)
        body.add(90)
        assert budget.held_bytes == 150
    assert budget.held_bytes == 0


def test_a_body_that_would_pass_the_limit_beside_others_is_refused_and_holds_nothing():
    budget = BodyBudget(100)
    with budget.hold() as first:
        first.add(60)
        with budget.hold() as second:
            second.add(40)
            refusal = r"\(100 held, 1 more would pass the limit of 100, SPANHOUSE_INFLIGHT_MAX_BYTES\)"
            with pytest.raises(Overloaded, match=refusal) as refused, budget.hold() as third:
                third.add(1)
            assert refused.value.retry_after_s == 1.0
        assert budget.held_bytes == 60
    with budget.hold() as later:  # answered exports give their bytes back
        later.add(100)


def padded_request(trace: int, size: int) -> bytes:
    """An export of one span whose attribute makes the body about `size` bytes."""
    return export_request(make_span(trace=trace, attributes={"pad": "x" * size})).SerializeToString()


def until_refused(send, refused: Callable[[object], bool], admitted: Callable[[object], bool]) -> None:
    """Send an undecodable body until it is refused as overload: admitted, it is only a 400, nothing stored."""
    deadline = time.monotonic() + 10
    while not refused(outcome := send()):
        assert admitted(outcome) and time.monotonic() < deadline, outcome
        time.sleep(0.05)


class SlowUpload:
    """An HTTP export whose body stops after `first` bytes until `finish()`: its bytes stay held meanwhile."""

    def __init__(self, server, body: bytes, first: int) -> None:
        self._body, self._first = body, first
        self._first_sent, self._go_on = threading.Event(), threading.Event()
        self._pool = ThreadPoolExecutor(1)
        self.response = self._pool.submit(
            httpx.post, server.http_endpoint + "/v1/traces", content=self._chunks(), headers=PROTOBUF, timeout=30)
        assert self._first_sent.wait(10)
        # A probe read while the first part arrives would hold bytes beside it; once it is held, a
        # probe of two bytes no longer fits. Probes are undecodable: admitted, they store nothing.
        time.sleep(0.3)
        until_refused(lambda: post(server, b"\x0a\xff"), lambda r: r.status_code == 429,
                      lambda r: r.status_code == 400)

    def _chunks(self) -> Iterator[bytes]:
        yield self._body[:self._first]
        self._first_sent.set()  # asked for the next part: the first is written to the socket
        self._go_on.wait(30)
        yield self._body[self._first:]

    def finish(self) -> httpx.Response:
        self._go_on.set()
        response = self.response.result(timeout=30)
        self._pool.shutdown()
        return response


def test_over_http_an_export_past_the_bytes_in_flight_is_429_and_stored_when_retried(server_factory):
    server = server_factory(inflight_max_bytes=1000 * KB)
    held = SlowUpload(server, padded_request(1, 1100 * KB), first=1000 * KB)

    refused = post(server, padded_request(2, 700 * KB))
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "1")
    assert "SPANHOUSE_INFLIGHT_MAX_BYTES" in status_of(refused).message

    assert held.finish().status_code == 200
    assert post(server, padded_request(2, 700 * KB)).status_code == 200  # the retry, once bytes were given back
    assert [timeline(server, hex_id(t)).status_code for t in (1, 2)] == [200, 200]


def test_over_grpc_an_export_past_the_bytes_held_by_http_is_resource_exhausted_with_retry_info(server_factory):
    server = server_factory(inflight_max_bytes=1000 * KB)
    held = SlowUpload(server, padded_request(1, 1100 * KB), first=1000 * KB)

    with pytest.raises(grpc.RpcError) as refused:
        raw_export(server, padded_request(2, 700 * KB))
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "SPANHOUSE_INFLIGHT_MAX_BYTES" in refused.value.details()
    retry = error_details_pb2.RetryInfo.FromString(dict(refused.value.trailing_metadata())["google.rpc.retryinfo-bin"])
    assert retry.retry_delay.seconds == 1

    assert held.finish().status_code == 200
    raw_export(server, padded_request(2, 700 * KB))
    assert [timeline(server, hex_id(t)).status_code for t in (1, 2)] == [200, 200]


def full_queue(server_factory):
    """A server whose queue (2 spans) is full: an export of 2 spans lingers behind a 3 s flush interval.

    Without the write-ahead log, so the export waits in the queue for its insert: with it, only
    exports arriving during an insert wait there, which a test cannot time.
    """
    server = server_factory(queue_max_spans=2, flush_interval_ms=3000, wal_dir="off")
    assert post(server, export_request(make_span(trace=1)).SerializeToString()).status_code == 200  # idle: at once
    pool = ThreadPoolExecutor(1)
    lingering = pool.submit(post, server, export_request(make_span(trace=2, span=1),
                                                         make_span(trace=2, span=2)).SerializeToString())
    return server, lingering, pool


def grpc_outcome(server, body: bytes) -> object:
    try:
        return raw_export(server, body)
    except grpc.RpcError as exc:
        return exc.code()


def test_when_the_queue_is_full_an_http_export_is_refused_before_its_body_is_decoded(server_factory):
    server, lingering, pool = full_queue(server_factory)
    garbage = b"\x0a\xff\xff\xff not protobuf"
    until_refused(lambda: post(server, garbage), lambda r: r.status_code == 429, lambda r: r.status_code == 400)
    refused = post(server, garbage)  # 429, not the 400 decoding would give
    assert not lingering.done()
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "1")
    assert status_of(refused).message == "ingest queue is full (2 spans waiting, limit 2)"
    assert lingering.result(timeout=30).status_code == 200
    pool.shutdown()


def test_when_the_queue_is_full_a_grpc_export_is_refused_before_it_is_decoded(server_factory):
    server, lingering, pool = full_queue(server_factory)
    until_refused(lambda: grpc_outcome(server, b"\x0a\xff\xff\xff not protobuf"),
                  lambda code: code == grpc.StatusCode.RESOURCE_EXHAUSTED,
                  lambda code: code == grpc.StatusCode.INVALID_ARGUMENT)
    with pytest.raises(grpc.RpcError) as refused:
        raw_export(server, b"\x0a\xff\xff\xff not protobuf")
    assert not lingering.done()
    assert (refused.value.code(), refused.value.details()) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED, "ingest queue is full (2 spans waiting, limit 2)")
    assert lingering.result(timeout=30).status_code == 200
    pool.shutdown()


def with_messages(trace: int, *texts: str):
    messages = orjson.dumps([{"role": "user", "parts": [{"type": "text", "content": text}]} for text in texts])
    return export_request(llm_span(trace=trace, parent=None,
                                   attributes={"gen_ai.input.messages": messages.decode()})).SerializeToString()


def test_when_the_message_text_queue_is_full_an_export_is_refused_before_its_body_is_decoded(server_factory):
    server = server_factory(queue_max_spans=2, flush_interval_ms=3000, wal_dir="off")  # as full_queue
    assert post(server, with_messages(1, "hello")).status_code == 200  # both writers idle: inserted at once
    pool = ThreadPoolExecutor(1)
    # One span (room in the span queue) and three messages (the text queue is full) behind the flush interval.
    lingering = pool.submit(post, server, with_messages(2, "one", "two", "three"))
    garbage = b"\x0a\xff\xff\xff not protobuf"
    until_refused(lambda: post(server, garbage), lambda r: r.status_code == 429, lambda r: r.status_code == 400)
    assert not lingering.done()
    assert lingering.result(timeout=30).status_code == 200
    pool.shutdown()


def test_a_stalled_upload_is_answered_408_at_the_body_timeout_and_gives_its_bytes_back(server_factory):
    server = server_factory(inflight_max_bytes=1000 * KB, body_timeout_s=1.5)
    body = padded_request(1, 1100 * KB)
    with socket.create_connection(("127.0.0.1", server.ports.otlp_http), timeout=30) as stalled:
        stalled.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: spanhouse\r\nContent-Type: application/x-protobuf\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(body) + body[:1000 * KB])  # then nothing more
        time.sleep(0.3)
        assert post(server, padded_request(2, 700 * KB)).status_code == 429  # the stalled bytes are held
        started = time.monotonic()
        answer = stalled.makefile("rb").read()  # the server answers, then closes the connection
    assert time.monotonic() - started < 10
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout"
    assert b"not received within the body timeout" in rest and b"SPANHOUSE_BODY_TIMEOUT_S" in rest
    assert post(server, padded_request(2, 700 * KB)).status_code == 200  # its bytes were given back
    assert [timeline(server, hex_id(t)).status_code for t in (1, 2)] == [404, 200]
