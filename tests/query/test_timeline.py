"""build_timeline: a depth-first tree with offsets; orphans, cycles and duplicates handled."""

from __future__ import annotations

from spanhouse.query.timeline import build_timeline, needs_log_messages, rfc3339_ns

T0 = 1_763_800_000_000_000_000


def row(span_id, parent="", start_ms=0, duration_ms=1, name=None, status="Unset"):
    return {
        "StartNs": T0 + start_ms * 1_000_000, "SpanId": span_id, "ParentSpanId": parent, "TraceState": "",
        "SpanName": name or span_id, "SpanKind": "Internal", "ServiceName": "svc", "ScopeName": "", "ScopeVersion": "",
        "Duration": duration_ms * 1_000_000, "StatusCode": status, "StatusMessage": "", "SpanAttributes": {},
        "SpanAttributeTypes": {}, "ResourceAttributes": {}, "ResourceAttributeTypes": {}, "EventTimesNs": [],
        "EventNames": [], "EventAttributes": [], "LinkTraceIds": [], "LinkSpanIds": [], "LinkAttributes": [],
        "Category": "", "Convention": [], "TraceThreadId": "", "TraceUserId": "", "TraceAgentName": "",
    }


def shape(doc):
    return [(s["span_id"], s["depth"], s["orphan"], s["start_offset_ms"]) for s in doc["spans"]]


def test_spans_are_listed_depth_first_with_children_by_start_time():
    rows = [row("c2", "root", 30), row("root", "", 0, 100), row("c1", "root", 10), row("g1", "c1", 12)]
    doc = build_timeline("t", rows)
    assert shape(doc) == [("root", 0, False, 0.0), ("c1", 1, False, 10.0), ("g1", 2, False, 12.0),
                          ("c2", 1, False, 30.0)]
    assert doc["spans"][0]["children"] == ["c1", "c2"]
    assert (doc["duration_ms"], doc["root_span_ids"], doc["orphan_count"]) == (100.0, ["root"], 0)


def test_a_span_whose_parent_never_arrived_is_an_orphan_root():
    doc = build_timeline("t", [row("root", "", 0, 50), row("lost", "missing-parent", 5), row("kid", "lost", 6)])
    assert shape(doc) == [("root", 0, False, 0.0), ("lost", 0, True, 5.0), ("kid", 1, False, 6.0)]
    assert doc["orphan_count"] == 1


def test_a_parent_cycle_does_not_hide_spans():
    doc = build_timeline("t", [row("a", "b", 0), row("b", "a", 1), row("self", "self", 2)])
    assert sorted(s["span_id"] for s in doc["spans"]) == ["a", "b", "self"]
    assert {s["span_id"] for s in doc["spans"] if s["orphan"]} == {"a", "self"}


def test_a_span_sent_twice_is_shown_once():
    doc = build_timeline("t", [row("root"), row("root"), row("kid", "root", 1)])
    assert doc["span_count"] == 2


def test_a_deep_trace_does_not_hit_the_recursion_limit():
    rows = [row("s0")] + [row(f"s{i}", f"s{i - 1}", i) for i in range(1, 5000)]
    assert build_timeline("t", rows)["spans"][-1]["depth"] == 4999


def test_no_rows_is_no_trace_and_times_are_rfc3339_with_nanoseconds():
    assert build_timeline("t", []) is None
    assert rfc3339_ns(T0 + 5) == "2025-11-22T08:26:40.000000005Z"


def test_model_calls_without_messages_of_their_own_send_the_reader_to_the_logs():
    """LLM and EMBEDDING spans (OpenLLMetry sends an embedding's input as gen_ai.user.message)."""
    def doc(*spans):
        return {"spans": [{"ai": None if ai is None else {"category": ai[0], "messages": {"source": ai[1]}}}
                          for ai in spans]}

    assert [needs_log_messages(doc(*spans)) for spans in (
        [("LLM", None)], [("EMBEDDING", None)], [("LLM", "span"), ("EMBEDDING", "span")], [("TOOL", None), None],
    )] == [True, True, False, False]
