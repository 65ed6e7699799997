"""ExportLogsServiceRequest -> otel_logs columns: exporter spellings, lossless extras, bad records reported."""

from __future__ import annotations

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from spanhouse.decode.logs import LOG_COLUMNS, decode_logs
from tests.factories import BASE_NS, kv

RECEIVED_NS = BASE_NS + 99


def logs_request(*records: LogRecord, service: str = "agent") -> ExportLogsServiceRequest:
    return ExportLogsServiceRequest(resource_logs=[ResourceLogs(
        resource=Resource(attributes=[kv("service.name", service)]),
        scope_logs=[ScopeLogs(scope=InstrumentationScope(name="opentelemetry.instrumentation.openai_v2"),
                              log_records=list(records))],
    )])


def row(batch, index=0):
    return {name: batch.columns[name][index] for name in LOG_COLUMNS}


def test_a_genai_event_keeps_its_name_its_structured_body_and_its_span():
    record = LogRecord(
        time_unix_nano=BASE_NS, observed_time_unix_nano=BASE_NS + 5, trace_id=(7).to_bytes(16, "big"),
        span_id=(2).to_bytes(8, "big"), flags=1, event_name="gen_ai.user.message",
        attributes=[kv("gen_ai.system", "openai")],
    )
    record.body.CopyFrom(kv("_", {"content": "What is the weather in Paris?"}).value)
    batch = decode_logs(logs_request(record), "acme", RECEIVED_NS)
    assert (batch.count, batch.rejected) == (1, 0)
    assert row(batch) == {
        "Tenant": "acme", "Timestamp": BASE_NS, "ObservedTimestamp": BASE_NS + 5,
        "TraceId": "00000000000000000000000000000007", "SpanId": "0000000000000002", "TraceFlags": 1,
        "SeverityText": "", "SeverityNumber": 0, "ServiceName": "agent", "EventName": "gen_ai.user.message",
        "Body": '{"content":"What is the weather in Paris?"}', "BodyType": "kvlist",
        "ResourceSchemaUrl": "", "ResourceAttributes": {"service.name": "agent"}, "ResourceAttributeTypes": {},
        "ResourceDroppedAttributesCount": 0, "ScopeSchemaUrl": "",
        "ScopeName": "opentelemetry.instrumentation.openai_v2", "ScopeVersion": "", "ScopeAttributes": {},
        "ScopeDroppedAttributesCount": 0, "LogAttributes": {"gen_ai.system": "openai"}, "LogAttributeTypes": {},
        "DroppedAttributesCount": 0,
    }


def test_a_record_without_a_time_takes_its_observed_time_then_the_receive_time():
    batch = decode_logs(logs_request(LogRecord(observed_time_unix_nano=BASE_NS + 5), LogRecord()), "t", RECEIVED_NS)
    assert batch.columns["Timestamp"] == [BASE_NS + 5, RECEIVED_NS]


def test_a_plain_log_has_no_trace_context_and_a_string_body():
    record = LogRecord(time_unix_nano=BASE_NS, severity_text="WARN", severity_number=13)
    record.body.string_value = "disk almost full"
    batch = decode_logs(logs_request(record), "t", RECEIVED_NS)
    assert {k: row(batch)[k] for k in ("TraceId", "SpanId", "SeverityText", "SeverityNumber", "Body", "BodyType")} == {
        "TraceId": "", "SpanId": "", "SeverityText": "WARN", "SeverityNumber": 13, "Body": "disk almost full",
        "BodyType": "",
    }


def test_a_record_with_a_malformed_id_is_reported_and_its_neighbours_kept():
    good = LogRecord(time_unix_nano=BASE_NS, event_name="gen_ai.choice")
    bad = LogRecord(time_unix_nano=BASE_NS, event_name="gen_ai.choice", trace_id=b"\x01" * 5)
    batch = decode_logs(logs_request(good, bad), "t", RECEIVED_NS)
    assert (batch.count, batch.rejected) == (1, 1)
    assert batch.error_message() == (
        "1 log record(s) rejected: log record 'gen_ai.choice': trace_id must be empty or 16 bytes, got 5 bytes")


NS_2107 = 4_336_329_600 * 10**9  # 2107-06-01T00:00:00Z
LATE = "is after 2106-02-07T06:28:15Z, the latest time stored"
SEVERITY = "is outside 0..255 (OTLP defines 1 to 24)"


@pytest.mark.parametrize(("record", "problem"), [
    (LogRecord(time_unix_nano=BASE_NS, severity_number=300), f"severity_number 300 {SEVERITY}"),
    (LogRecord(time_unix_nano=BASE_NS, severity_number=-1), f"severity_number -1 {SEVERITY}"),
    (LogRecord(time_unix_nano=BASE_NS, severity_number=2**31 - 1), f"severity_number 2147483647 {SEVERITY}"),
    (LogRecord(time_unix_nano=NS_2107), f"timestamp {NS_2107} ns {LATE}"),
    (LogRecord(observed_time_unix_nano=NS_2107), f"timestamp {NS_2107} ns {LATE}"),
    (LogRecord(time_unix_nano=BASE_NS, observed_time_unix_nano=2**63), "observed_time_unix_nano is past the year 2262"),
])
def test_a_record_the_columns_cannot_hold_is_reported_and_its_neighbours_kept(record, problem):
    record.severity_text = "BAD"
    good = LogRecord(time_unix_nano=BASE_NS, severity_number=255, event_name="good")
    batch = decode_logs(logs_request(record, good), "t", RECEIVED_NS)
    assert (batch.count, batch.rejected, batch.columns["EventName"]) == (1, 1, ["good"])
    assert batch.error_message() == f"1 log record(s) rejected: log record 'BAD': {problem}"


def test_a_rejected_record_with_a_huge_event_name_is_quoted_cut_short():
    bad = LogRecord(time_unix_nano=BASE_NS, event_name="e" * 90_000, trace_id=b"\x01")
    batch = decode_logs(logs_request(bad), "t", RECEIVED_NS)
    assert batch.error_message() == (
        f"1 log record(s) rejected: log record '{'e' * 100}…: trace_id must be empty or 16 bytes, got 1 bytes")
