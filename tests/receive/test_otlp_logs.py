"""OTLP logs on both transports: the official exporters, OTLP/JSON, partial success, a real GenAI capture."""

from __future__ import annotations

from pathlib import Path

import grpc
import httpx
import orjson
from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord as LogRecordProto
from opentelemetry.proto.logs.v1.logs_pb2 import ResourceLogs, ScopeLogs
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from tests.factories import BASE_NS

CAPTURES = Path(__file__).parent.parent / "captures"
LOGS_EXPORT = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"


def emit_through(exporter) -> None:
    provider = LoggerProvider(resource=Resource.create({"service.name": "agent"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    provider.get_logger("tests.logs").emit(LogRecord(
        timestamp=BASE_NS, trace_id=7, span_id=2, severity_number=SeverityNumber.INFO, severity_text="INFO",
        event_name="gen_ai.choice", body={"index": 0, "message": {"content": "Sunny, 21 C"}},
        attributes={"gen_ai.system": "openai"},
    ))
    provider.shutdown()


def stored(query):
    return query("SELECT ServiceName, EventName, TraceId, SpanId, SeverityText, Body, BodyType, LogAttributes "
                 "FROM otel_logs ORDER BY Timestamp")


EXPECTED_ROW = ("agent", "gen_ai.choice", "00000000000000000000000000000007", "0000000000000002", "INFO",
                '{"index":0,"message":{"content":"Sunny, 21 C"}}', "kvlist", {"gen_ai.system": "openai"})


def test_records_from_the_official_http_log_exporter_are_stored(server, query):
    emit_through(HttpLogExporter(endpoint=server.http_endpoint + "/v1/logs"))
    assert stored(query) == [EXPECTED_ROW]


def test_records_from_the_official_grpc_log_exporter_are_stored(server, query):
    emit_through(GrpcLogExporter(endpoint=server.grpc_endpoint, insecure=True))
    assert stored(query) == [EXPECTED_ROW]


def test_otlp_json_logs_with_one_bad_record_get_partial_success(server, query):
    body = {"resourceLogs": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "j"}}]},
                              "scopeLogs": [{"logRecords": [
                                  {"timeUnixNano": str(BASE_NS), "traceId": "0" * 31 + "7", "spanId": "0" * 15 + "2",
                                   "eventName": "gen_ai.user.message", "body": {"stringValue": "hi"}},
                                  {"timeUnixNano": str(BASE_NS), "traceId": "not hex", "body": {"stringValue": "x"}},
                              ]}]}]}
    response = httpx.post(server.http_endpoint + "/v1/logs", content=orjson.dumps(body),
                          headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 200
    assert response.json() == {"partialSuccess": {
        "rejectedLogRecords": "1", "errorMessage": "1 log record(s) rejected: log record: traceId 'not hex' is not a "
                                                   "hex string"}}
    assert query("SELECT EventName, Body FROM otel_logs") == [("gen_ai.user.message", "hi")]


def test_garbage_on_the_logs_endpoint_is_a_400_naming_the_message_type(server):
    response = httpx.post(server.http_endpoint + "/v1/logs", content=b"\xff\xff\xff",
                          headers={"Content-Type": "application/x-protobuf"}, timeout=30)
    assert response.status_code == 400
    assert b"not a protobuf ExportLogsServiceRequest" in response.content


def test_a_captured_openai_v2_chat_stores_every_genai_event(server, query):
    body = (CAPTURES / "openai_v2" / "chat.logs.binpb").read_bytes()
    response = httpx.post(server.http_endpoint + "/v1/logs", content=body,
                          headers={"Content-Type": "application/x-protobuf"}, timeout=30)
    assert response.status_code == 200
    assert ExportLogsServiceResponse.FromString(response.content) == ExportLogsServiceResponse()
    events = [name for (name,) in query("SELECT EventName FROM otel_logs ORDER BY Timestamp, EventName")]
    assert sorted(events) == ["gen_ai.choice", "gen_ai.system.message", "gen_ai.user.message"]
    assert query("SELECT uniqExact(SpanId), countIf(TraceId = '') FROM otel_logs") == [(1, 0)]


NS_2107 = 4_336_329_600 * 10**9  # 2107-06-01T00:00:00Z, past the last second a DateTime holds


def logs_body(*records: LogRecordProto) -> bytes:
    return ExportLogsServiceRequest(resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(
        log_records=list(records))])]).SerializeToString()


def test_a_severity_number_the_column_cannot_hold_rejects_only_its_record(server, query):
    body = logs_body(LogRecordProto(time_unix_nano=BASE_NS, severity_number=300, severity_text="LOUD"),
                     LogRecordProto(time_unix_nano=BASE_NS, severity_number=9, event_name="good"))
    response = httpx.post(server.http_endpoint + "/v1/logs", content=body,
                          headers={"Content-Type": "application/x-protobuf"}, timeout=30)
    assert response.status_code == 200
    answer = ExportLogsServiceResponse.FromString(response.content)
    assert (answer.partial_success.rejected_log_records, answer.partial_success.error_message) == (
        1, "1 log record(s) rejected: log record 'LOUD': severity_number 300 is outside 0..255 (OTLP defines 1 to 24)")
    assert query("SELECT EventName, SeverityNumber FROM otel_logs") == [("good", 9)]


def test_over_grpc_a_bad_severity_number_or_a_time_past_2106_is_a_partial_success(server, query):
    body = logs_body(LogRecordProto(time_unix_nano=BASE_NS, severity_number=-1, severity_text="NEG"),
                     LogRecordProto(time_unix_nano=NS_2107, severity_text="LATE"),
                     LogRecordProto(time_unix_nano=BASE_NS, severity_number=2**31 - 1, severity_text="MAX"),
                     LogRecordProto(time_unix_nano=BASE_NS, event_name="good"))
    with grpc.insecure_channel(server.grpc_endpoint) as channel:
        answer = ExportLogsServiceResponse.FromString(channel.unary_unary(LOGS_EXPORT)(body, timeout=30))
    assert answer.partial_success.rejected_log_records == 3
    assert answer.partial_success.error_message == (
        "3 log record(s) rejected: log record 'NEG': severity_number -1 is outside 0..255 (OTLP defines 1 to 24); "
        f"log record 'LATE': timestamp {NS_2107} ns is after 2106-02-07T06:28:15Z, the latest time stored; "
        "log record 'MAX': severity_number 2147483647 is outside 0..255 (OTLP defines 1 to 24)")
    assert query("SELECT EventName FROM otel_logs") == [("good",)]
