"""Bad input over OTLP/HTTP end to end: refused or rejected by name, never stored as something else.

A body the OTLP/JSON mapping cannot decode (a string where an object is expected, an enum that is
a boolean or a fraction) is a 400 naming the JSON path, as a bad enum name or bad base64 is. A span
whose ids are malformed (not hex, or of the wrong length, its own or a link's) is rejected with a
partial success and the spans beside it are stored. What a partial success says stays small.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.factories import BASE_NS, export_request, hex_id, make_span

JSON = {"Content-Type": "application/json"}
PROTOBUF = {"Content-Type": "application/x-protobuf"}
ANY_VALUE = "an object (opentelemetry.proto.common.v1.AnyValue)"
KEY_VALUE = "an object (opentelemetry.proto.common.v1.KeyValue)"
SPAN_KIND = "opentelemetry.proto.trace.v1.Span.SpanKind"


def post(server, signal, body, headers=JSON):
    return httpx.post(f"{server.http_endpoint}/v1/{signal}", content=body, headers=headers, timeout=30)


def json_span(span_id, name="good", **fields):
    return {"traceId": hex_id(40), "spanId": hex_id(span_id, 8), "name": name, "startTimeUnixNano": str(BASE_NS),
            "endTimeUnixNano": str(BASE_NS + 1_000), **fields}


def traces_body(*spans):
    return orjson.dumps({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "svc"}}]}, "scopeSpans": [{"spans": list(spans)}]}]})


def logs_body(*records):
    return orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": list(records)}]}]})


def test_json_of_the_wrong_shape_is_a_400_naming_the_path_and_nothing_is_stored(server, query):
    """Each once answered 200 {} and stored an unset status, an empty attribute, an empty event..."""
    bad_fields = {
        "status as a string": ({"status": "STATUS_CODE_ERROR"},
                               "status must be an object (opentelemetry.proto.trace.v1.Status), "
                               "got the string 'STATUS_CODE_ERROR'"),
        "attribute value as a string": ({"attributes": [{"key": "a", "value": "hello"}]},
                                        f"attributes[0].value must be {ANY_VALUE}, got the string 'hello'"),
        "attribute as a string": ({"attributes": ["a=b"]}, f"attributes[0] must be {KEY_VALUE}, got the string 'a=b'"),
        "event as a string": ({"events": ["boom"]},
                              "events[0] must be an object (opentelemetry.proto.trace.v1.Span.Event), got the "
                              "string 'boom'"),
        "link as a string": ({"links": ["x"]},
                             "links[0] must be an object (opentelemetry.proto.trace.v1.Span.Link), got the string 'x'"),
        "kvlist entry as a string": ({"attributes": [{"key": "a", "value": {"kvlistValue": {"values": ["x"]}}}]},
                                     f"attributes[0].value.kvlistValue.values[0] must be {KEY_VALUE}, got the string "
                                     "'x'"),
        "kind true": ({"kind": True}, f"kind must be an integer or a name in {SPAN_KIND}, got true"),
        "kind 1.5": ({"kind": 1.5}, f"kind must be an integer or a name in {SPAN_KIND}, got the number 1.5"),
        "kind 1.9": ({"kind": 1.9}, f"kind must be an integer or a name in {SPAN_KIND}, got the number 1.9"),
    }
    answers = {}
    for case, (fields, _) in bad_fields.items():
        response = post(server, "traces", traces_body(json_span(1), json_span(2, name="bad", **fields)))
        answers[case] = (response.status_code, response.json())
    assert answers == {case: (400, {"code": 3, "message": "request body is not an OTLP ExportTraceServiceRequest: "
                                                          f"resourceSpans[0].scopeSpans[0].spans[1].{message}"})
                       for case, (_, message) in bad_fields.items()}
    assert query("SELECT count() FROM otel_traces") == [(0,)]


def test_log_records_of_the_wrong_shape_are_a_400_naming_the_path_too(server, query):
    answers = {}
    for record in ({"body": "plain"}, {"body": {"kvlistValue": {"values": ["x"]}}}, {"severityNumber": True}):
        response = post(server, "logs", logs_body({"timeUnixNano": str(BASE_NS), "eventName": "good"}, record))
        answers[orjson.dumps(record).decode()] = (response.status_code, response.json()["message"])
    prefix = "request body is not an OTLP ExportLogsServiceRequest: resourceLogs[0].scopeLogs[0].logRecords[1]"
    assert answers == {
        '{"body":"plain"}': (400, f"{prefix}.body must be {ANY_VALUE}, got the string 'plain'"),
        '{"body":{"kvlistValue":{"values":["x"]}}}': (
            400, f"{prefix}.body.kvlistValue.values[0] must be {KEY_VALUE}, got the string 'x'"),
        '{"severityNumber":true}': (400, f"{prefix}.severityNumber must be an integer or a name in "
                                         "opentelemetry.proto.logs.v1.SeverityNumber, got true"),
    }
    assert query("SELECT count() FROM otel_logs") == [(0,)]


def test_json_spans_with_a_short_link_id_or_a_spaced_id_are_rejected_and_their_neighbour_stored_intact(server,
                                                                                                        query):
    good = json_span(3, kind=3, status={"code": 2, "message": "quota"},
                     attributes=[{"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}}],
                     events=[{"timeUnixNano": str(BASE_NS + 10), "name": "retry"}],
                     links=[{"traceId": hex_id(41), "spanId": hex_id(9, 8)}, {"traceId": "", "spanId": ""}])
    body = traces_body(json_span(1, name="short link", links=[{"traceId": "ab", "spanId": hex_id(1, 8)}]),
                       json_span(2, name="spaced", traceId="0123456789abcdef 0123456789abcdef"), good)
    response = post(server, "traces", body)
    assert (response.status_code, response.json()) == (200, {"partialSuccess": {
        "rejectedSpans": "2",
        "errorMessage": "2 span(s) rejected: span 'spaced': traceId '0123456789abcdef 0123456789abcdef' is not a hex "
                        "string; span 'short link': link 0 trace_id must be empty or 16 bytes, got 1 bytes"}})
    assert query("SELECT SpanName, SpanKind, StatusCode, StatusMessage, SpanAttributes, Events.Name, Events.Timestamp, "
                 "Links.TraceId, Links.SpanId FROM otel_traces") == [
        ("good", "Client", "Error", "quota", {"gen_ai.request.model": "gpt-4o"}, ["retry"],
         [datetime.fromtimestamp(BASE_NS // 10**9, UTC).replace(tzinfo=None, microsecond=0)], [hex_id(41), ""],
         [hex_id(9, 8), ""])]


def test_a_protobuf_span_with_a_link_id_of_the_wrong_length_is_rejected_and_its_neighbour_stored(server, query):
    bad = make_span(trace=42, span=1, name="bad", links=[Span.Link(trace_id=b"\x01" * 3, span_id=b"\x02" * 8)])
    response = post(server, "traces", export_request(bad, make_span(trace=42, span=2, name="good")).SerializeToString(),
                    PROTOBUF)
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert (response.status_code, partial.rejected_spans, partial.error_message) == (
        200, 1, "1 span(s) rejected: span 'bad': link 0 trace_id must be empty or 16 bytes, got 3 bytes")
    assert query("SELECT SpanName FROM otel_traces") == [("good",)]


def test_a_partial_success_for_many_huge_names_stays_small_and_counts_them_all(server, query):
    """15 spans with 90 KB names and bad ids once came back as a 1.35 MB message quoting every name in full."""
    spans = [json_span(i + 1, name=f"{i:02}" + "n" * 90_000, traceId="not hex") for i in range(15)]
    response = post(server, "traces", traces_body(*spans, json_span(99)))
    partial = response.json()["partialSuccess"]
    quoted = [f"span '{i:02}{'n' * 98}…: traceId 'not hex' is not a hex string" for i in range(10)]
    assert (response.status_code, len(response.content) < 2_500) == (200, True)
    assert partial == {"rejectedSpans": "15", "errorMessage": "15 span(s) rejected: " + "; ".join(quoted)
                       + "; and 5 more"}
    assert query("SELECT SpanName FROM otel_traces") == [("good",)]


def test_a_body_that_is_not_utf8_is_a_400_saying_so_and_where(server):
    body = traces_body(json_span(1)).replace(b'"good"', b'"caf\xe9"')
    offset = body.index(b"\xe9")
    response = post(server, "traces", body)
    assert (response.status_code, response.json()["message"]) == (
        400, f"request body is not valid JSON: not UTF-8 at byte offset {offset} (e9: invalid continuation byte)")


def test_a_log_record_older_than_the_retention_names_its_time_once(server_factory, query):
    server = server_factory(retention_raw_days=30)
    old_ns = time.time_ns() - 31 * 86_400 * 10**9
    recent_ns = time.time_ns() - 60 * 10**9
    response = post(server, "logs", logs_body({"timeUnixNano": str(old_ns), "eventName": "old"},
                                              {"timeUnixNano": str(recent_ns), "eventName": "recent"}))
    old = datetime.fromtimestamp(old_ns // 10**9, UTC)
    assert (response.status_code, response.json()) == (200, {"partialSuccess": {
        "rejectedLogRecords": "1",
        "errorMessage": f"1 log record(s) rejected: log record at {old:%Y-%m-%dT%H:%M:%SZ} is before the 30-day "
                        "retention window (SPANHOUSE_RETENTION_RAW_DAYS): it would be deleted at once"}})
    assert query("SELECT EventName FROM otel_logs") == [("recent",)]
