"""OTLP/HTTP: the official exporter end to end, OTLP/JSON, compressed bodies, and every bad input's status code."""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from spanhouse.receive import otlp_http
from spanhouse.receive.admission import BodyBudget
from tests.factories import BASE_NS, export_request, hex_id, kv, llm_span, make_span

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def post(server, body, headers=PROTOBUF):
    return httpx.post(server.http_endpoint + "/v1/traces", content=body, headers=headers, timeout=30)


def timeline(server, trace_id):
    return httpx.get(f"{server.api}/api/v1/traces/{trace_id}", timeout=30)


def test_spans_from_the_official_http_exporter_come_back_as_a_timeline(server):
    provider = TracerProvider(resource=Resource.create({"service.name": "agent"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=server.http_endpoint + "/v1/traces")))
    tracer = provider.get_tracer("tests.http")
    with tracer.start_as_current_span("invoke_agent helper", start_time=BASE_NS,
                                      attributes={"gen_ai.operation.name": "invoke_agent",
                                                  "gen_ai.agent.name": "helper"}, end_on_exit=False) as root:
        llm = tracer.start_span("chat gpt-4o", kind=SpanKind.CLIENT, start_time=BASE_NS + 10_000_000, attributes={
            "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 11,
            "gen_ai.usage.output_tokens": 4, "gen_ai.request.temperature": 0.5})
        llm.add_event("gen_ai.choice", {"index": 0}, timestamp=BASE_NS + 20_000_000)
        llm.end(end_time=BASE_NS + 60_000_000)
        tool = tracer.start_span("execute_tool search", start_time=BASE_NS + 70_000_000,
                                 attributes={"gen_ai.tool.name": "search", "gen_ai.operation.name": "execute_tool"})
        tool.set_status(Status(StatusCode.ERROR, "search backend down"))
        tool.end(end_time=BASE_NS + 95_000_000)
        trace_id = format(root.get_span_context().trace_id, "032x")
    root.end(end_time=BASE_NS + 100_000_000)
    provider.shutdown()

    response = timeline(server, trace_id)
    assert response.status_code == 200
    doc = response.json()
    assert (doc["trace_id"], doc["span_count"], doc["duration_ms"], doc["error_count"]) == (trace_id, 3, 100.0, 1)
    root_span, llm_doc, tool_doc = doc["spans"]
    assert [(s["name"], s["depth"], s["start_offset_ms"], s["duration_ms"]) for s in doc["spans"]] == [
        ("invoke_agent helper", 0, 0.0, 100.0), ("chat gpt-4o", 1, 10.0, 50.0), ("execute_tool search", 1, 70.0, 25.0)]
    assert root_span["children"] == [llm_doc["span_id"], tool_doc["span_id"]]
    assert llm_doc["parent_span_id"] == root_span["span_id"] and llm_doc["kind"] == "Client"
    assert llm_doc["attributes"] == {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                                     "gen_ai.usage.input_tokens": 11, "gen_ai.usage.output_tokens": 4,
                                     "gen_ai.request.temperature": 0.5}
    assert llm_doc["ai"]["tokens"] == {"input": 11, "output": 4, "total": 15, "cache_read": None,
                                       "cache_write": None, "reasoning": None}
    assert (llm_doc["ai"]["category"], llm_doc["ai"]["request"]["temperature"]) == ("LLM", 0.5)
    assert llm_doc["events"] == [{"time": "2025-11-22T08:26:40.020000000Z", "offset_ms": 20.0,
                                  "name": "gen_ai.choice", "attributes": {"index": "0"}}]
    assert (tool_doc["status"], tool_doc["error"]) == ({"code": "Error", "message": "search backend down"}, True)
    assert (root_span["service"], root_span["resource"]["service.name"]) == ("agent", "agent")
    assert root_span["ai"]["agent"] == {"name": "helper", "id": ""}


def test_otlp_json_is_accepted_and_answered_in_json(server):
    body = orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": hex_id(77), "spanId": hex_id(1, 8), "name": "json-span", "kind": 3,
        "startTimeUnixNano": str(BASE_NS), "endTimeUnixNano": str(BASE_NS + 2_000_000)}]}]}]})
    response = post(server, body, {"Content-Type": "application/json"})
    assert (response.status_code, response.headers["content-type"], response.json()) == (200, "application/json", {})
    assert timeline(server, hex_id(77)).json()["spans"][0]["name"] == "json-span"


def test_gzip_bodies_are_accepted(server):
    body = gzip.compress(export_request(llm_span(trace=5)).SerializeToString())
    response = post(server, body, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert ExportTraceServiceResponse.FromString(response.content) == ExportTraceServiceResponse()
    assert timeline(server, hex_id(5)).json()["span_count"] == 1


def test_the_official_exporter_with_deflate_compression_is_stored(server):
    """OTEL_EXPORTER_OTLP_COMPRESSION=deflate: the Python exporter sends zlib data as Content-Encoding: deflate."""
    provider = TracerProvider(resource=Resource.create({"service.name": "agent"}))
    exporter = OTLPSpanExporter(endpoint=server.http_endpoint + "/v1/traces", compression=Compression.Deflate)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("tests.http").start_as_current_span("chat gpt-4o", attributes={
            "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}) as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
    provider.shutdown()
    doc = timeline(server, trace_id).json()
    assert (doc["span_count"], doc["spans"][0]["ai"]["request_model"]) == (1, "gpt-4o")


def test_zstd_bodies_are_accepted(server):
    """As the OpenTelemetry Collector's otlphttp exporter sends them with `compression: zstd`."""
    body = zstd.compress(export_request(llm_span(trace=15)).SerializeToString())
    response = post(server, body, {**PROTOBUF, "Content-Encoding": "zstd"})
    assert response.status_code == 200
    assert timeline(server, hex_id(15)).json()["span_count"] == 1


def test_invalid_spans_are_rejected_while_their_neighbours_are_stored(server):
    bad = make_span(trace=6, span=1, name="bad")
    bad.trace_id = b"\x01" * 7
    response = post(server, export_request(bad, make_span(trace=6, span=2, name="good")).SerializeToString())
    assert response.status_code == 200
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 1
    assert "trace_id must be 16 bytes" in answer.partial_success.error_message
    assert [s["name"] for s in timeline(server, hex_id(6)).json()["spans"]] == ["good"]


def test_json_partial_success_names_the_bad_id(server):
    body = orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "zz", "spanId": hex_id(1, 8), "name": "bad", "startTimeUnixNano": str(BASE_NS)},
        {"traceId": hex_id(8), "spanId": hex_id(2, 8), "name": "good", "startTimeUnixNano": str(BASE_NS)},
    ]}]}]})
    response = post(server, body, {"Content-Type": "application/json"})
    assert response.json() == {"partialSuccess": {
        "rejectedSpans": "1", "errorMessage": "1 span(s) rejected: span 'bad': traceId 'zz' is not a hex string"}}
    assert timeline(server, hex_id(8)).status_code == 200


def status_of(response):
    return status_pb2.Status.FromString(response.content)


@pytest.mark.parametrize(("body", "headers", "code", "message"), [
    (b"\x0a\xff\xff\xff garbage", PROTOBUF, 400, "not a protobuf ExportTraceServiceRequest"),
    (b"definitely not gzip", {**PROTOBUF, "Content-Encoding": "gzip"}, 400, "not valid gzip"),
    (gzip.compress(b"x" * 100, mtime=0)[:-8], {**PROTOBUF, "Content-Encoding": "gzip"}, 400, "truncated gzip"),
    (b"{}", {**PROTOBUF, "Content-Encoding": "br"}, 415,
     "Content-Encoding 'br' is not supported; use gzip, deflate, zstd or none"),
    (b"not zstd", {**PROTOBUF, "Content-Encoding": "zstd"}, 400, "not valid zstd"),
])
def test_bad_protobuf_requests_get_a_status_naming_the_problem(server, body, headers, code, message):
    response = post(server, body, headers)
    assert response.status_code == code
    assert response.headers["content-type"] == "application/x-protobuf"
    assert message in status_of(response).message


def test_other_media_types_get_415(server):
    response = post(server, b"hello", {"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "Content-Type 'text/plain' is not supported" in response.json()["message"]


def test_bad_json_gets_400_in_json(server):
    response = post(server, b"{oops", {"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


def test_bodies_over_the_limit_get_413_before_and_after_gunzip(server_factory):
    server = server_factory(max_request_bytes=64 * 1024)
    assert post(server, b"\x00" * (65 * 1024)).status_code == 413
    bomb = gzip.compress(b"\x00" * (10 * 1024 * 1024))  # 10 KiB on the wire, 10 MiB inflated
    assert len(bomb) < 64 * 1024
    response = post(server, bomb, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert "once decompressed" in status_of(response).message
    zstd_bomb = zstd.compress(b"\x00" * (10 * 1024 * 1024))
    response = post(server, zstd_bomb, {**PROTOBUF, "Content-Encoding": "zstd"})
    assert (response.status_code, len(zstd_bomb) < 64 * 1024) == (413, True)

    def chunks():
        for _ in range(80):
            yield b"\x00" * 1024
    streamed = httpx.post(server.http_endpoint + "/v1/traces", content=chunks(), headers=PROTOBUF, timeout=30)
    assert streamed.status_code == 413


def test_a_full_queue_answers_429_with_retry_after(server_factory):
    # Without the write-ahead log every export waits in the queue for its insert (with it, one that
    # reaches an idle writer is inserted at once and may free room while the others arrive).
    server = server_factory(queue_max_spans=2, flush_interval_ms=3000, wal_dir="off")
    assert post(server, export_request(make_span(trace=1)).SerializeToString()).status_code == 200
    # The next insert waits out the flush interval, so these six queue together: two fit.
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(
            lambda t: post(server, export_request(make_span(trace=t)).SerializeToString()), range(10, 16)))
    assert sorted(r.status_code for r in responses) == [200, 200, 429, 429, 429, 429]
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["retry-after"] == "1"
    assert "ingest queue is full" in status_of(refused).message


def test_a_repeated_attribute_key_comes_back_as_its_last_value_with_its_type(server):
    span = make_span(trace=9, name="dup")
    span.attributes.extend([kv("a", 5), kv("a", "007"), kv("b", True), kv("b", "no"),
                            kv("c", 1), kv("c", "12345678901234567890"), kv("d", "x"), kv("d", 3)])
    request = export_request(span)
    request.resource_spans[0].resource.attributes.extend([kv("r", 1.5), kv("r", "2")])
    assert post(server, request.SerializeToString()).status_code == 200
    stored = timeline(server, hex_id(9)).json()["spans"][0]
    assert stored["attributes"] == {"a": "007", "b": "no", "c": "12345678901234567890", "d": 3}
    assert stored["resource"] == {"service.name": "agent-svc", "r": "2"}


def test_a_span_after_the_last_datetime_is_rejected_not_stored_then_expired(server, query):
    late = 4_336_329_600 * 10**9  # 2107-06-01T00:00:00Z: toDateTime() of it wraps to 1970, so its TTL expires it
    response = post(server, export_request(make_span(trace=11, span=1, name="late", start_ns=late),
                                           make_span(trace=12, span=1, name="good")).SerializeToString())
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert (response.status_code, answer.partial_success.rejected_spans) == (200, 1)
    assert answer.partial_success.error_message == (
        f"1 span(s) rejected: span 'late': start_time_unix_nano {late} is after 2106-02-07T06:28:15Z, "
        "the latest time stored")
    assert query("SELECT SpanName FROM otel_traces") == [("good",)]


def test_a_body_of_concatenated_gzip_members_is_one_body(server):
    # Two serialized requests back to back are one request whose resource_spans repeats.
    first = export_request(make_span(trace=13, span=1, name="first")).SerializeToString()
    second = export_request(make_span(trace=13, span=2, name="second")).SerializeToString()
    body = gzip.compress(first) + gzip.compress(second)
    response = post(server, body, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert ExportTraceServiceResponse.FromString(response.content) == ExportTraceServiceResponse()
    assert [s["name"] for s in timeline(server, hex_id(13)).json()["spans"]] == ["first", "second"]


def test_the_gunzip_limit_counts_every_member_and_garbage_after_a_member_is_400(server_factory):
    server = server_factory(max_request_bytes=64 * 1024)
    half_bomb = gzip.compress(b"\x00" * (40 * 1024))  # each member is under the limit, the two are over
    response = post(server, half_bomb + half_bomb, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert "once decompressed" in status_of(response).message
    many = gzip.compress(b"\x00" * 1024) * 2000  # 2 MB inflated from 60 KB of members
    assert post(server, many, {**PROTOBUF, "Content-Encoding": "gzip"}).status_code == 413
    body = gzip.compress(export_request(make_span(trace=14)).SerializeToString()) + b"trailing junk"
    response = post(server, body, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "not valid gzip" in status_of(response).message


def test_a_client_that_hangs_up_mid_body_is_logged_quietly_and_nothing_is_stored(server, query, caplog):
    caplog.set_level(logging.DEBUG)
    with socket.create_connection(("127.0.0.1", server.ports.otlp_http), timeout=10) as sock:
        sock.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                     b"Content-Length: 100\r\n\r\n\x0a\x02")
        sock.shutdown(socket.SHUT_WR)
        sock.recv(4096)  # the server closes once it has seen the hang-up
    deadline = time.monotonic() + 10
    while "client disconnected" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(r.name, r.levelname) for r in caplog.records if "disconnected" in r.getMessage()] == [
        ("spanhouse.receive.otlp_http", "INFO")]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info] == []
    assert query("SELECT count() FROM otel_traces") == [(0,)]


@pytest.mark.parametrize(("method", "path", "status", "code", "message"), [
    ("POST", "/v1/metrics", 404, 12, "/v1/metrics: spanhouse stores traces and logs, not metrics"),
    ("POST", "/v1/nowhere", 404, 5, "POST /v1/nowhere: Not Found"),
    ("GET", "/v1/traces", 405, 12, "GET /v1/traces: Method Not Allowed"),
])
def test_unknown_paths_and_methods_answer_a_status_in_the_requests_encoding(server, method, path, status, code,
                                                                           message):
    expected = status_pb2.Status(code=code, message=message)
    url = server.http_endpoint + path
    response = httpx.request(method, url, content=b"", headers=PROTOBUF, timeout=30)
    assert (response.status_code, response.headers["content-type"]) == (status, "application/x-protobuf")
    assert status_of(response) == expected
    for headers in ({"Content-Type": "application/json"}, {}):  # JSON also when the encoding is unknown
        response = httpx.request(method, url, content=b"", headers=headers, timeout=30)
        assert (response.status_code, response.headers["content-type"]) == (status, "application/json")
        assert response.json() == {"code": code, "message": message}
    if status == 405:
        assert response.headers["allow"] == "POST"


class _BrokenIngest:
    def admit(self, signal):
        return BodyBudget(1 << 30).hold()

    async def export(self, signal, body, encoding, tenant):
        raise RuntimeError("a bug")


@pytest.mark.parametrize("media", ["application/x-protobuf", "application/json"])
def test_an_unexpected_error_is_a_500_status_in_the_requests_encoding(media):
    app = otlp_http.create_app(_BrokenIngest(), lambda request: "default", 1024 * 1024)

    async def send():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://otlp") as client:
            return await client.post("/v1/traces", content=export_request(make_span()).SerializeToString(),
                                     headers={"Content-Type": media})
    response = asyncio.run(send())
    assert (response.status_code, response.headers["content-type"]) == (500, media)
    body = status_of(response) if media == "application/x-protobuf" else status_pb2.Status(**response.json())
    assert body == status_pb2.Status(code=13, message="internal error")


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "BOGUS"}, "spans[0].kind 'BOGUS' is not a name in opentelemetry.proto.trace.v1.Span.SpanKind"),
    ({"attributes": [{"key": "raw", "value": {"bytesValue": "!!!"}}]},
     "spans[0].attributes[0].value.bytesValue '!!!' is not base64"),
])
def test_json_with_an_unknown_enum_name_or_bad_base64_is_a_400_naming_it(server, query, change, message):
    span = {"traceId": hex_id(15), "spanId": hex_id(1, 8), "name": "s", "startTimeUnixNano": str(BASE_NS), **change}
    response = post(server, orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}),
                    {"Content-Type": "application/json"})
    assert (response.status_code, response.headers["content-type"]) == (400, "application/json")
    assert response.json() == {"code": 3, "message": "request body is not an OTLP ExportTraceServiceRequest: "
                                                     f"resourceSpans[0].scopeSpans[0].{message}"}
    assert query("SELECT count() FROM otel_traces") == [(0,)]
