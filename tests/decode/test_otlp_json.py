"""OTLP/JSON: hex ids, camelCase, enums as integers or names, int64 as strings or numbers.

What the mapping cannot decode is a DecodeError naming the JSON path (HTTP 400), never data stored
as something else; a malformed id takes only its span out (partial success).
"""

from __future__ import annotations

import orjson
import pytest

from spanhouse.decode.otlp_json import parse_logs, parse_traces
from spanhouse.decode.traces import decode_spans
from spanhouse.errors import DecodeError
from tests.factories import BASE_NS, hex_id


def body(*spans, resource=None):
    return orjson.dumps({"resourceSpans": [{
        "resource": resource or {"attributes": [{"key": "service.name", "value": {"stringValue": "js-app"}}]},
        "scopeSpans": [{"scope": {"name": "ai", "version": "6.0.0"}, "spans": list(spans)}],
    }]})


def json_span(**overrides):
    span = {
        "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
        "parentSpanId": "eee19b7ec3c1b173", "name": "ai.generateText", "kind": 1,
        "startTimeUnixNano": str(BASE_NS), "endTimeUnixNano": BASE_NS + 1000,
        "attributes": [{"key": "ai.usage.promptTokens", "value": {"intValue": "12"}}],
        "status": {"code": 2, "message": "bad"},
        "links": [{"traceId": "00000000000000000000000000000001", "spanId": "0000000000000002"}],
        "somethingNew": {"ignored": True},
    }
    span.update(overrides)
    return span


def test_json_request_decodes_like_protobuf():
    request, problems = parse_traces(body(json_span()))
    batch = decode_spans(request, "t")
    assert (problems, batch.count) == ([], 1)
    assert batch.columns["TraceId"] == ["5b8efff798038103d269b633813fc60c"]
    assert batch.columns["SpanId"] == ["eee19b7ec3c1b174"]
    assert batch.columns["ParentSpanId"] == ["eee19b7ec3c1b173"]
    assert batch.columns["Links.SpanId"] == [["0000000000000002"]]
    assert batch.columns["Timestamp"] == [BASE_NS]
    assert batch.columns["Duration"] == [1000]
    assert batch.columns["SpanKind"] == ["Internal"]
    assert batch.columns["StatusCode"] == ["Error"]
    assert batch.columns["SpanAttributes"] == [{"ai.usage.promptTokens": "12"}]
    assert batch.columns["SpanAttributeTypes"] == [{"ai.usage.promptTokens": "int"}]


def test_enum_names_and_snake_case_keys_are_accepted():
    span = json_span(kind="SPAN_KIND_CLIENT")
    span["start_time_unix_nano"] = span.pop("startTimeUnixNano")
    request, _ = parse_traces(body(span))
    batch = decode_spans(request, "t")
    assert (batch.columns["SpanKind"], batch.columns["Timestamp"]) == (["Client"], [BASE_NS])


def test_a_span_with_a_non_hex_id_is_taken_out_and_reported():
    request, problems = parse_traces(body(json_span(name="bad", spanId="not-hex!"), json_span(name="ok")))
    batch = decode_spans(request, "t")
    assert batch.columns["SpanName"] == ["ok"]
    assert problems == ["span 'bad': spanId 'not-hex!' is not a hex string"]


def test_a_base64_trace_id_is_rejected():
    _, problems = parse_traces(body(json_span(traceId="W47/95gDgQPSabYzgT/GDA==")))
    assert len(problems) == 1


@pytest.mark.parametrize(("payload", "message"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (orjson.dumps({"resourceSpans": "nope"}), "not an OTLP ExportTraceServiceRequest"),
    (orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5, "kind": "NOT_A_KIND"}]}]}]}),
     "not an OTLP ExportTraceServiceRequest"),
])
def test_malformed_bodies_are_decode_errors(payload, message):
    with pytest.raises(DecodeError, match=message):
        parse_traces(payload)


def bytes_attribute(encoded, key="raw"):
    return {"key": key, "value": {"bytesValue": encoded}}


SPAN_PATH = "resourceSpans[0].scopeSpans[0].spans[0]"


@pytest.mark.parametrize(("span", "message"), [
    (json_span(kind="BOGUS"), f"{SPAN_PATH}.kind 'BOGUS' is not a name in opentelemetry.proto.trace.v1.Span.SpanKind"),
    (json_span(status={"code": "NOPE"}),
     f"{SPAN_PATH}.status.code 'NOPE' is not a name in opentelemetry.proto.trace.v1.Status.StatusCode"),
    (json_span(attributes=[bytes_attribute("AP8="), bytes_attribute("!!!")]),
     f"{SPAN_PATH}.attributes[1].value.bytesValue '!!!' is not base64"),
    (json_span(events=[{"name": "e", "attributes": [{"key": "k", "value": {"arrayValue": {"values": [
        {"bytesValue": "AP8"}, {"kvlistValue": {"values": [bytes_attribute("a")]}}]}}}]}]),
     f"{SPAN_PATH}.events[0].attributes[0].value.arrayValue.values[1].kvlistValue.values[0].value.bytesValue "
     "'a' is not base64"),
    (json_span(links=[{"traceId": "01" * 16, "spanId": "02" * 8, "attributes": [bytes_attribute("AP8==")]}]),
     f"{SPAN_PATH}.links[0].attributes[0].value.bytesValue 'AP8==' is not base64"),
    (json_span(attributes=[bytes_attribute(12)]), f"{SPAN_PATH}.attributes[0].value.bytesValue must be a base64 "
                                                  "string, got the number 12"),
])
def test_unknown_enum_names_and_bad_base64_are_decode_errors_naming_field_and_value(span, message):
    with pytest.raises(DecodeError) as raised:
        parse_traces(body(span))
    assert str(raised.value) == f"request body is not an OTLP ExportTraceServiceRequest: {message}"


def test_bad_base64_in_resource_or_scope_attributes_is_a_decode_error_too():
    with pytest.raises(DecodeError, match=r"resourceSpans\[0\]\.resource\.attributes\[1\]\.value\.bytesValue '%%'"):
        parse_traces(body(json_span(), resource={"attributes": [bytes_attribute(""), bytes_attribute("%%")]}))
    document = orjson.loads(body(json_span()))
    document["resourceSpans"][0]["scopeSpans"][0]["scope"]["attributes"] = [bytes_attribute("b@d")]
    with pytest.raises(DecodeError, match=r"scopeSpans\[0\]\.scope\.attributes\[0\]\.value\.bytesValue 'b@d'"):
        parse_traces(orjson.dumps(document))


def test_integer_enums_outside_the_known_set_stay_accepted_and_base64_spellings_decode():
    span = json_span(kind=77, status={"code": "7"}, attributes=[
        bytes_attribute("AP8="), {"key": "url", "value": {"bytes_value": "AP-_"}}, bytes_attribute("", "none")])
    request, problems = parse_traces(body(span))
    batch = decode_spans(request, "t")
    assert (problems, batch.columns["SpanKind"], batch.columns["StatusCode"]) == ([], ["Unspecified"], ["Unset"])
    assert batch.columns["SpanAttributes"] == [{"raw": "AP8=", "url": "AP+/", "none": ""}]


@pytest.mark.parametrize(("record", "message"), [
    ({"severityNumber": "NOPE"},
     "logRecords[0].severityNumber 'NOPE' is not a name in opentelemetry.proto.logs.v1.SeverityNumber"),
    ({"body": {"bytesValue": "!!!"}}, "logRecords[0].body.bytesValue '!!!' is not base64"),
    ({"attributes": [bytes_attribute("?")]}, "logRecords[0].attributes[0].value.bytesValue '?' is not base64"),
])
def test_log_records_get_the_same_checks(record, message):
    payload = orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [record]}]}]})
    with pytest.raises(DecodeError) as raised:
        parse_logs(payload)
    assert str(raised.value) == ("request body is not an OTLP ExportLogsServiceRequest: "
                                 f"resourceLogs[0].scopeLogs[0].{message}")


def test_named_severities_are_accepted():
    payload = orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"severityNumber": "SEVERITY_NUMBER_WARN"}, {"severity_number": 30}]}]}]})
    request, _ = parse_logs(payload)
    assert [r.severity_number for r in request.resource_logs[0].scope_logs[0].log_records] == [13, 30]


ANY_VALUE = "an object (opentelemetry.proto.common.v1.AnyValue)"
KEY_VALUE = "an object (opentelemetry.proto.common.v1.KeyValue)"
SPAN_KIND = "opentelemetry.proto.trace.v1.Span.SpanKind"


@pytest.mark.parametrize(("span", "message"), [
    (json_span(status="STATUS_CODE_ERROR"),
     "status must be an object (opentelemetry.proto.trace.v1.Status), got the string 'STATUS_CODE_ERROR'"),
    (json_span(status=[]), "status must be an object (opentelemetry.proto.trace.v1.Status), got an array"),
    (json_span(attributes=[{"key": "a", "value": "hello"}]), f"attributes[0].value must be {ANY_VALUE}, "
                                                            "got the string 'hello'"),
    (json_span(attributes=[{"key": "ok", "value": {"intValue": 1}}, "a=b"]),
     f"attributes[1] must be {KEY_VALUE}, got the string 'a=b'"),
    (json_span(attributes=[None]), f"attributes[0] must be {KEY_VALUE}, got null"),
    (json_span(attributes={"a": "b"}), "attributes must be an array, got an object"),
    (json_span(events=["boom"]), "events[0] must be an object (opentelemetry.proto.trace.v1.Span.Event), "
                                 "got the string 'boom'"),
    (json_span(links=["x"]), "links[0] must be an object (opentelemetry.proto.trace.v1.Span.Link), got the string 'x'"),
    (json_span(attributes=[{"key": "a", "value": {"kvlistValue": {"values": ["x"]}}}]),
     f"attributes[0].value.kvlistValue.values[0] must be {KEY_VALUE}, got the string 'x'"),
    (json_span(attributes=[{"key": "a", "value": {"arrayValue": {"values": [{"intValue": 1}, 2]}}}]),
     f"attributes[0].value.arrayValue.values[1] must be {ANY_VALUE}, got the number 2"),
    (json_span(kind=True), f"kind must be an integer or a name in {SPAN_KIND}, got true"),
    (json_span(kind=1.5), f"kind must be an integer or a name in {SPAN_KIND}, got the number 1.5"),
    (json_span(kind=1.9), f"kind must be an integer or a name in {SPAN_KIND}, got the number 1.9"),
    (json_span(kind=2**31), "kind 2147483648 is outside the range of an enum (int32)"),
    (json_span(status={"code": False}),
     "status.code must be an integer or a name in opentelemetry.proto.trace.v1.Status.StatusCode, got false"),
])
def test_a_value_of_the_wrong_json_type_is_a_decode_error_naming_its_path(span, message):
    """json_format would read a string as an object with no known keys, and int() an enum: data silently lost."""
    with pytest.raises(DecodeError) as raised:
        parse_traces(body(json_span(name="good", spanId="01" * 8), span))
    assert str(raised.value) == ("request body is not an OTLP ExportTraceServiceRequest: "
                                 f"resourceSpans[0].scopeSpans[0].spans[1].{message}")


def test_a_resource_or_scope_that_is_not_an_object_is_a_decode_error_too():
    with pytest.raises(DecodeError, match=r": resourceSpans\[0\]\.resource must be an object "
                                          r"\(opentelemetry\.proto\.resource\.v1\.Resource\), got the string 'svc'$"):
        parse_traces(body(json_span(), resource="svc"))
    with pytest.raises(DecodeError, match=r": resourceSpans\[0\] must be an object .*, got the string 'x'$"):
        parse_traces(orjson.dumps({"resourceSpans": ["x"]}))


def test_integral_numbers_and_decimal_strings_are_enum_values_and_null_is_absence():
    spans = [json_span(spanId=hex_id(i + 1, 8), kind=kind) for i, kind in enumerate((2.0, "3", -1, None))]
    spans.append(json_span(spanId=hex_id(9, 8), status=None, attributes=[{"key": "k", "value": None}], events=None))
    request, problems = parse_traces(body(*spans))
    batch = decode_spans(request, "t")
    assert (problems, batch.columns["SpanKind"]) == ([], ["Server", "Client", "Unspecified", "Unspecified",
                                                          "Internal"])
    assert (batch.columns["StatusCode"][4], batch.columns["SpanAttributes"][4]) == ("Unset", {"k": ""})


def test_a_hex_id_with_whitespace_is_not_hex_and_only_its_span_is_taken_out():
    """bytes.fromhex skips whitespace: '0123456789abcdef 0123456789abcdef' would decode as a 16-byte id."""
    spaced = json_span(name="spaced", traceId="0123456789abcdef 0123456789abcdef")
    newline = json_span(name="newline", spanId="eee19b7e\nc3c1b174")
    request, problems = parse_traces(body(spaced, newline, json_span(name="ok")))
    assert problems == ["span 'spaced': traceId '0123456789abcdef 0123456789abcdef' is not a hex string",
                        "span 'newline': spanId 'eee19b7e\\nc3c1b174' is not a hex string"]
    assert decode_spans(request, "t").columns["SpanName"] == ["ok"]


def test_a_link_id_of_the_wrong_length_rejects_its_span_and_an_empty_one_does_not():
    short = json_span(name="short link", links=[{"traceId": "ab", "spanId": "0102030405060708"}])
    odd = json_span(name="odd link", spanId=hex_id(2, 8), links=[{"traceId": "01" * 16, "spanId": "abc"}])
    why = [{"key": "why", "value": {"stringValue": "x"}}]
    empty = json_span(name="no context", spanId=hex_id(3, 8), links=[{"traceId": "", "spanId": "", "attributes": why}])
    request, problems = parse_traces(body(short, odd, empty))
    batch = decode_spans(request, "t")
    assert problems == ["span 'odd link': link 0 spanId 'abc' is not a hex string"]
    assert batch.error_message() == ("1 span(s) rejected: span 'short link': link 0 trace_id must be empty or 16 "
                                     "bytes, got 1 bytes")
    assert (batch.columns["SpanName"], batch.columns["Links.TraceId"], batch.columns["Links.Attributes"]) == (
        ["no context"], [[""]], [[{"why": "x"}]])


def test_a_long_span_name_is_quoted_cut_short():
    _, problems = parse_traces(body(json_span(name="n" * 90_000, spanId="zz")))
    assert problems == ["span '" + "n" * 100 + "…: spanId 'zz' is not a hex string"]


def test_a_body_that_is_not_utf8_is_named_so_with_the_byte_offset():
    """orjson alone says 'str is not valid UTF-8: surrogates not allowed: line 1 column 1 (char 0)'."""
    payload = b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "caf\xe9"}]}]}]}'
    with pytest.raises(DecodeError) as raised:
        parse_traces(payload)
    offset = payload.index(b"\xe9")
    assert str(raised.value) == (f"request body is not valid JSON: not UTF-8 at byte offset {offset} "
                                 "(e9: invalid continuation byte)")
    with pytest.raises(DecodeError, match=r"^request body is not valid JSON: not UTF-8 at byte offset 0 \(ff: invalid "
                                          r"start byte\)$"):
        parse_logs(b"\xff")


@pytest.mark.parametrize(("record", "message"), [
    ({"body": "plain"}, f"logRecords[0].body must be {ANY_VALUE}, got the string 'plain'"),
    ({"body": {"kvlistValue": {"values": ["x"]}}},
     f"logRecords[0].body.kvlistValue.values[0] must be {KEY_VALUE}, got the string 'x'"),
    ({"attributes": ["a=b"]}, f"logRecords[0].attributes[0] must be {KEY_VALUE}, got the string 'a=b'"),
    ({"severityNumber": True},
     "logRecords[0].severityNumber must be an integer or a name in opentelemetry.proto.logs.v1.SeverityNumber, "
     "got true"),
    ({"severityNumber": 9.5},
     "logRecords[0].severityNumber must be an integer or a name in opentelemetry.proto.logs.v1.SeverityNumber, "
     "got the number 9.5"),
])
def test_log_records_of_the_wrong_json_type_are_decode_errors_naming_their_path(record, message):
    payload = orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [record]}]}]})
    with pytest.raises(DecodeError) as raised:
        parse_logs(payload)
    assert str(raised.value) == ("request body is not an OTLP ExportLogsServiceRequest: "
                                 f"resourceLogs[0].scopeLogs[0].{message}")


def test_a_log_record_with_a_spaced_hex_id_is_taken_out():
    payload = orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"traceId": "0123456789abcdef 0123456789abcdef", "eventName": "bad"}, {"eventName": "good"}]}]}]})
    request, problems = parse_logs(payload)
    assert problems == ["log record: traceId '0123456789abcdef 0123456789abcdef' is not a hex string"]
    assert [r.event_name for r in request.resource_logs[0].scope_logs[0].log_records] == ["good"]
