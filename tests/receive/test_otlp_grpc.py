"""OTLP/gRPC: the official exporter end to end, and the OTLP status codes for bad input and overload."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry import trace as trace_api
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.factories import BASE_NS, export_request, hex_id, make_span

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def raw_export(server, body: bytes, compression=None):
    with grpc.insecure_channel(server.grpc_endpoint, compression=compression) as channel:
        call = channel.unary_unary(EXPORT)
        return call(body, timeout=30)


def test_spans_from_the_official_grpc_exporter_come_back_as_a_timeline(server):
    provider = TracerProvider(resource=Resource.create({"service.name": "grpc-agent"}))
    exporter = OTLPSpanExporter(endpoint=server.grpc_endpoint, insecure=True, compression=grpc.Compression.Gzip)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests.grpc")
    root = tracer.start_span("turn", start_time=BASE_NS, attributes={"gen_ai.conversation.id": "c-1"})
    trace_id = format(root.get_span_context().trace_id, "032x")
    child = tracer.start_span("embeddings text-embedding-3-small", context=trace_api.set_span_in_context(root),
                              start_time=BASE_NS + 1_000_000, attributes={
                                  "gen_ai.operation.name": "embeddings", "gen_ai.usage.input_tokens": 8,
                                  "gen_ai.request.model": "text-embedding-3-small"})
    child.end(end_time=BASE_NS + 3_000_000)
    root.end(end_time=BASE_NS + 4_000_000)
    provider.shutdown()

    doc = httpx.get(f"{server.api}/api/v1/traces/{trace_id}", timeout=30).json()
    assert [(s["name"], s["depth"], s["duration_ms"]) for s in doc["spans"]] == [
        ("turn", 0, 4.0), ("embeddings text-embedding-3-small", 1, 2.0)]
    embedding = doc["spans"][1]["ai"]
    assert (embedding["category"], embedding["tokens"]["input"], embedding["tokens"]["total"]) == ("EMBEDDING", 8, 8)
    assert doc["spans"][0]["ai"]["thread_id"] == "c-1"
    assert doc["services"] == ["grpc-agent"]


def test_undecodable_bytes_are_invalid_argument(server):
    with pytest.raises(grpc.RpcError) as info:
        raw_export(server, b"\x0a\xff\xff\xff garbage")
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a protobuf ExportTraceServiceRequest" in info.value.details()


def test_deflate_compressed_exports_are_accepted(server):
    """The gzip case is above; OTEL_EXPORTER_OTLP_COMPRESSION=deflate makes the exporter send this."""
    answer = raw_export(server, export_request(make_span(trace=21)).SerializeToString(),
                        compression=grpc.Compression.Deflate)
    assert ExportTraceServiceResponse.FromString(answer) == ExportTraceServiceResponse()
    assert httpx.get(f"{server.api}/api/v1/traces/{hex_id(21)}", timeout=30).json()["span_count"] == 1


def test_partial_success_reports_the_rejected_spans(server):
    bad = make_span(trace=3, span=1)
    bad.span_id = b"\x00" * 8
    answer = ExportTraceServiceResponse.FromString(
        raw_export(server, export_request(bad, make_span(trace=3, span=2)).SerializeToString(),
                   compression=grpc.Compression.Gzip))
    assert answer.partial_success.rejected_spans == 1
    assert "span_id must be 8 bytes and not all zero" in answer.partial_success.error_message
    assert httpx.get(f"{server.api}/api/v1/traces/{hex_id(3)}", timeout=30).json()["span_count"] == 1


def test_a_full_queue_is_resource_exhausted_with_retry_info(server_factory):
    server = server_factory(queue_max_spans=1, flush_interval_ms=3000)
    raw_export(server, export_request(make_span(trace=1)).SerializeToString())
    server.settled()  # inserted: the queue is empty again

    def export(trace):
        try:
            return raw_export(server, export_request(make_span(trace=trace)).SerializeToString())
        except grpc.RpcError as exc:
            return exc

    with ThreadPoolExecutor(4) as pool:  # queued together behind the flush interval: one fits
        outcomes = list(pool.map(export, range(10, 14)))
    errors = [o for o in outcomes if isinstance(o, grpc.RpcError)]
    assert len(errors) == 3
    assert {e.code() for e in errors} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
    trailers = dict(errors[0].trailing_metadata())
    retry = error_details_pb2.RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"])
    assert retry.retry_delay.seconds == 1
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
    assert status.details[0].Is(error_details_pb2.RetryInfo.DESCRIPTOR)
