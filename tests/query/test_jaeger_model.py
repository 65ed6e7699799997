"""Span rows -> Jaeger's v1 model and OTLP JSON (query/jaeger_model.py), for the values the
endpoint tests cannot easily send: non-finite doubles, huge integers, malformed stored text,
repeated span ids, resources without a service name."""

from __future__ import annotations

import base64
from typing import Any

from spanhouse.query.jaeger_model import jaeger_trace, otlp_resource_spans
from tests.factories import hex_id
from tests.query.jaeger_seed import string_tag as _s


def _row(**overrides: Any) -> dict[str, Any]:
    row = {"TraceId": hex_id(1), "StartNs": 1_700_000_000_123_456_789, "SpanId": hex_id(2, 8), "ParentSpanId": "",
           "TraceState": "", "TraceFlags": 0, "SpanName": "op", "SpanKind": "Unspecified", "ServiceName": "",
           "ResourceAttributes": {}, "ResourceAttributeTypes": {}, "ResourceSchemaUrl": "",
           "ResourceDroppedAttributesCount": 0, "ScopeName": "", "ScopeVersion": "", "ScopeAttributes": {},
           "ScopeSchemaUrl": "", "ScopeDroppedAttributesCount": 0, "SpanAttributes": {}, "SpanAttributeTypes": {},
           "DroppedAttributesCount": 0, "Duration": 1_999, "StatusCode": "Unset", "StatusMessage": "",
           "EventTimesNs": [], "EventNames": [], "EventAttributes": [], "EventDroppedAttributesCounts": [],
           "DroppedEventsCount": 0, "LinkTraceIds": [], "LinkSpanIds": [], "LinkTraceStates": [],
           "LinkAttributes": [], "LinkFlags": [], "LinkDroppedAttributesCounts": [], "DroppedLinksCount": 0}
    row.update(overrides)
    return row


def test_attribute_types_map_to_jaeger_tags_and_otlp_any_values():
    values = {"nan": "nan", "inf": "-inf", "empty": "", "map": '{"a":[1,2.5,true,null],"b":"x"}', "bad int": "1x",
              "neg": "-9007199254740993", "text": "plain", "bytes": base64.b64encode(b"\xff").decode()}
    types = {"nan": "double", "inf": "double", "empty": "empty", "map": "kvlist", "bad int": "int", "neg": "int",
             "bytes": "bytes"}
    row = _row(SpanAttributes=values, SpanAttributeTypes=types, ServiceName="", SpanKind="Internal")
    [span] = jaeger_trace(hex_id(1), [row, dict(row)])["spans"]  # a repeated span id is shown once
    assert span["tags"] == [
        _s("bad int", "1x"), {"key": "bytes", "type": "binary", "value": "/w=="}, _s("empty", ""),
        _s("inf", "-inf"), _s("map", values["map"]), _s("nan", "nan"),
        {"key": "neg", "type": "int64", "value": "-9007199254740993"}, _s("span.kind", "internal"),
        _s("text", "plain")]
    assert (span["startTime"], span["duration"]) == (1_700_000_000_123_456, 1)
    [resource] = otlp_resource_spans(hex_id(1), [row])
    [otlp] = resource["scopeSpans"][0]["spans"]
    assert {a["key"]: a["value"] for a in otlp["attributes"]} == {
        "bad int": {"stringValue": "1x"}, "bytes": {"bytesValue": "/w=="}, "empty": {},
        "inf": {"doubleValue": "-Infinity"},
        "map": {"kvlistValue": {"values": [
            {"key": "a", "value": {"arrayValue": {"values": [{"intValue": "1"}, {"doubleValue": 2.5},
                                                             {"boolValue": True}, {}]}}},
            {"key": "b", "value": {"stringValue": "x"}}]}},
        "nan": {"doubleValue": "NaN"}, "neg": {"intValue": "-9007199254740993"}, "text": {"stringValue": "plain"}}
    assert (otlp["kind"], otlp["status"], otlp["endTimeUnixNano"]) == (1, {"code": 0}, "1700000000123458788")
    assert jaeger_trace(hex_id(1), [row])["processes"] == {"p1": {"serviceName": "OTLPResourceNoServiceName",
                                                                  "tags": []}}
