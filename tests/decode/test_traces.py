"""decode_spans: an OTLP request becomes exporter-compatible columns; invalid spans are counted, not stored."""

from __future__ import annotations

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from spanhouse.decode.traces import OTLP_COLUMNS, decode_spans, parse_protobuf
from spanhouse.errors import DecodeError
from tests.factories import BASE_NS, export_request, hex_id, kv, make_span

NS_2107 = 4_336_329_600 * 10**9  # 2107-06-01T00:00:00Z
LAST_DATETIME_NS = 4_294_967_295_999_999_999  # 2106-02-07T06:28:15.999999999Z


def row(batch, index=0):
    return {name: batch.columns[name][index] for name in OTLP_COLUMNS}


def test_a_span_becomes_one_row_with_the_exporter_spellings():
    span = make_span(
        trace=7, span=3, parent=2, name="GET /chat", kind=Span.SPAN_KIND_SERVER, duration_ns=2_500_000,
        status=Status(code=Status.STATUS_CODE_ERROR, message="boom"), trace_state="k=v", flags=0x301,
        attributes={"http.route": "/chat", "retries": 2, "ratio": 0.5, "ok": True, "tags": ["a", 1]},
        dropped_attributes_count=4, dropped_events_count=1, dropped_links_count=2,
        events=[Span.Event(time_unix_nano=BASE_NS + 5, name="exception", attributes=[kv("exception.type", "E")],
                           dropped_attributes_count=1)],
        links=[Span.Link(trace_id=(9).to_bytes(16, "big"), span_id=(8).to_bytes(8, "big"), trace_state="a=b",
                         attributes=[kv("why", "retry")], flags=1)],
    )
    batch = decode_spans(export_request(span, service="chat-api", scope="my.scope"), tenant="acme")

    assert (batch.count, batch.rejected) == (1, 0)
    assert row(batch) == {
        "Tenant": "acme", "Timestamp": BASE_NS, "TraceId": hex_id(7), "SpanId": hex_id(3, 8),
        "ParentSpanId": hex_id(2, 8), "TraceState": "k=v", "TraceFlags": 0x301, "SpanName": "GET /chat",
        "SpanKind": "Server", "ServiceName": "chat-api",
        "ResourceAttributes": {"service.name": "chat-api"}, "ResourceAttributeTypes": {},
        "ResourceSchemaUrl": "", "ResourceDroppedAttributesCount": 0,
        "ScopeName": "my.scope", "ScopeVersion": "1.0", "ScopeAttributes": {}, "ScopeSchemaUrl": "",
        "ScopeDroppedAttributesCount": 0,
        "SpanAttributes": {"http.route": "/chat", "retries": "2", "ratio": "0.5", "ok": "true", "tags": '["a",1]'},
        "SpanAttributeTypes": {"retries": "int", "ratio": "double", "ok": "bool", "tags": "array"},
        "DroppedAttributesCount": 4, "Duration": 2_500_000, "StatusCode": "Error", "StatusMessage": "boom",
        "Events.Timestamp": [BASE_NS + 5], "Events.Name": ["exception"],
        "Events.Attributes": [{"exception.type": "E"}], "Events.DroppedAttributesCount": [1],
        "DroppedEventsCount": 1,
        "Links.TraceId": [hex_id(9)], "Links.SpanId": [hex_id(8, 8)], "Links.TraceState": ["a=b"],
        "Links.Attributes": [{"why": "retry"}], "Links.Flags": [1], "Links.DroppedAttributesCount": [0],
        "DroppedLinksCount": 2,
    }


@pytest.mark.parametrize(("kind", "spelling"), [
    (Span.SPAN_KIND_UNSPECIFIED, "Unspecified"), (Span.SPAN_KIND_INTERNAL, "Internal"),
    (Span.SPAN_KIND_CLIENT, "Client"), (Span.SPAN_KIND_PRODUCER, "Producer"), (Span.SPAN_KIND_CONSUMER, "Consumer"),
    (17, "Unspecified"),
])
def test_span_kinds_use_the_exporter_spelling(kind, spelling):
    batch = decode_spans(export_request(make_span(kind=kind)), "t")
    assert batch.columns["SpanKind"] == [spelling]


def test_root_span_has_empty_parent_and_end_before_start_gives_zero_duration():
    span = make_span(duration_ns=0)
    span.end_time_unix_nano = span.start_time_unix_nano - 10
    batch = decode_spans(export_request(span), "t")
    assert (batch.columns["ParentSpanId"], batch.columns["Duration"]) == ([""], [0])


@pytest.mark.parametrize(("change", "problem"), [
    ({"trace_id": b"\x01" * 8}, "trace_id must be 16 bytes"),
    ({"trace_id": b"\x00" * 16}, "trace_id must be 16 bytes and not all zero"),
    ({"span_id": b""}, "span_id must be 8 bytes"),
    ({"parent_span_id": b"\x01\x02"}, "parent_span_id must be empty or 8 bytes"),
    ({"start_time_unix_nano": 0}, "start_time_unix_nano is missing"),
    ({"start_time_unix_nano": 2**63}, "is after 2106-02-07T06:28:15Z, the latest time stored"),
    ({"start_time_unix_nano": NS_2107, "end_time_unix_nano": NS_2107 + 1},
     f"start_time_unix_nano {NS_2107} is after 2106-02-07T06:28:15Z, the latest time stored"),
    ({"end_time_unix_nano": NS_2107}, f"end_time_unix_nano {NS_2107} is after 2106-02-07T06:28:15Z"),
    ({"events": [Span.Event(name="late", time_unix_nano=2**63)]}, "event 'late' timestamp is past the year 2262"),
])
def test_an_invalid_span_is_rejected_and_its_neighbours_kept(change, problem):
    bad = make_span(trace=1, span=1, name="bad")
    for field, value in change.items():
        if field == "events":
            bad.events.extend(value)
        else:
            setattr(bad, field, value)
    good = make_span(trace=2, span=2, name="good")
    batch = decode_spans(export_request(bad, good), "t")
    assert (batch.count, batch.rejected, batch.columns["SpanName"]) == (1, 1, ["good"])
    assert problem in batch.error_message()
    assert batch.error_message().startswith("1 span(s) rejected: span 'bad': ")


def test_the_last_second_a_datetime_holds_is_still_stored():
    last = make_span(start_ns=LAST_DATETIME_NS - 10, duration_ns=10)
    batch = decode_spans(export_request(last), "t")
    assert (batch.count, batch.rejected, batch.columns["Timestamp"]) == (1, 0, [LAST_DATETIME_NS - 10])


def test_error_message_summarises_many_rejections():
    spans = [make_span(trace=1, span=i + 1, start_ns=0) for i in range(25)]
    batch = decode_spans(export_request(*spans), "t")
    assert batch.rejected == 25
    assert batch.error_message().endswith("; and 15 more")


def test_undecodable_protobuf_is_a_decode_error():
    with pytest.raises(DecodeError, match="not a protobuf ExportTraceServiceRequest"):
        parse_protobuf(b"\xff\xff\xff\xff not protobuf")


@pytest.mark.parametrize(("link", "problem"), [
    (Span.Link(trace_id=b"\xab", span_id=(1).to_bytes(8, "big")),
     "link 0 trace_id must be empty or 16 bytes, got 1 bytes"),
    (Span.Link(trace_id=(1).to_bytes(16, "big"), span_id=b"\x01" * 9),
     "link 0 span_id must be empty or 8 bytes, got 9 bytes"),
])
def test_a_link_id_of_the_wrong_length_rejects_its_span_as_its_own_id_would(link, problem):
    bad = make_span(trace=1, span=1, name="bad", links=[link])
    batch = decode_spans(export_request(bad, make_span(trace=2, span=2, name="good")), "t")
    assert (batch.count, batch.columns["SpanName"]) == (1, ["good"])
    assert batch.error_message() == f"1 span(s) rejected: span 'bad': {problem}"


def test_a_link_to_an_invalid_context_is_kept_as_the_api_records_it():
    """The trace API records a link with empty or all-zero ids when it has attributes or a trace state."""
    links = [Span.Link(attributes=[kv("why", "batch")]), Span.Link(trace_id=b"\0" * 16, span_id=b"\0" * 8,
                                                                    trace_state="k=v")]
    batch = decode_spans(export_request(make_span(links=links)), "t")
    assert (batch.rejected, batch.columns["Links.TraceId"], batch.columns["Links.SpanId"]) == (
        0, [["", "0" * 32]], [["", "0" * 16]])


def test_rejections_of_spans_with_huge_names_are_described_in_a_bounded_message():
    """10 spans named with 90 KB each once made a 900 KB partial-success message."""
    spans = [make_span(trace=0, span=i + 1, name=f"{i}" + "n" * 90_000) for i in range(12)]
    spans[0].events.append(Span.Event(name="e" * 90_000, time_unix_nano=2**63))
    spans[0].trace_id = (1).to_bytes(16, "big")
    batch = decode_spans(export_request(*spans), "t")
    message = batch.error_message()
    assert (batch.rejected, len(message) < 3_000) == (12, True)
    assert message.startswith(f"12 span(s) rejected: span '0{'n' * 99}…: event '{'e' * 100}… timestamp is past the "
                              f"year 2262; span '1{'n' * 99}…: trace_id must be 16 bytes and not all zero, got 16 "
                              "bytes; ")
    assert message.endswith("; and 2 more")


def test_a_problem_that_quotes_too_much_is_cut():
    batch = decode_spans(export_request(), "t")
    batch.reject("x" * 10_000)
    assert batch.error_message() == "1 span(s) rejected: " + "x" * 500 + "…"
