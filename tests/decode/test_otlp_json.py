"""OTLP/JSON: hex ids, camelCase, enums as integers or names, int64 as strings or numbers."""

from __future__ import annotations

import orjson
import pytest

from spanhouse.decode.otlp_json import parse_traces
from spanhouse.decode.traces import decode_spans
from spanhouse.errors import DecodeError
from tests.factories import BASE_NS


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
