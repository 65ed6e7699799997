"""json_check: what json_format would take from an OTLP/JSON body but the mapping cannot decode."""

from __future__ import annotations

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from spanhouse.decode.json_check import check
from spanhouse.decode.otlp_json import parse_traces
from spanhouse.errors import DecodeError

REQUEST = ExportTraceServiceRequest.DESCRIPTOR


def spans(*items):
    return {"resourceSpans": [{"scopeSpans": [{"spans": list(items)}]}]}


def test_unknown_fields_are_ignored_whatever_they_hold():
    """OTLP/JSON receivers MUST ignore fields they do not know: they may be added to OTLP later."""
    check(spans({"name": "s", "futureField": "x", "futureList": ["x"], "status": {"futureCode": True}}), REQUEST, "R")


def test_snake_case_keys_are_checked_too_and_named_by_their_json_name():
    with pytest.raises(DecodeError) as raised:
        check({"resource_spans": [{"scope_spans": [{"spans": [{"status": "ERROR"}]}]}]}, REQUEST, "R")
    assert str(raised.value) == ("request body is not an OTLP R: resourceSpans[0].scopeSpans[0].spans[0].status "
                                 "must be an object (opentelemetry.proto.trace.v1.Status), got the string 'ERROR'")


def test_a_long_value_is_quoted_cut_short():
    with pytest.raises(DecodeError) as raised:
        check(spans({"kind": "K" * 10_000}), REQUEST, "R")
    assert str(raised.value) == ("request body is not an OTLP R: resourceSpans[0].scopeSpans[0].spans[0].kind "
                                 f"'{'K' * 100}… is not a name in opentelemetry.proto.trace.v1.Span.SpanKind")


def test_values_nested_past_the_parsers_limit_are_a_decode_error_not_a_recursion_error():
    levels = 300  # 600 messages deep, 900 JSON levels: within what orjson reads, past json_format's limit of 100
    value = '{"arrayValue":{"values":[' * levels + '{"stringValue":"bottom"}' + "]}}" * levels
    payload = b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":%s}]}]}]}]}' % (
        value.encode())
    with pytest.raises(DecodeError, match="Message too deep"):
        parse_traces(payload)
