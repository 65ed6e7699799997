"""build_timeline: a depth-first tree with offsets; orphans, cycles and duplicates handled."""

from __future__ import annotations

from spanhouse.query.timeline import build_timeline, lacks_messages, rfc3339_ns

T0 = 1_763_800_000_000_000_000


def row(span_id, parent="", start_ms=0, duration_ms=1, name=None, status="Unset"):
    return {
        "StartNs": T0 + start_ms * 1_000_000, "SpanId": span_id, "ParentSpanId": parent, "TraceState": "",
        "SpanName": name or span_id, "SpanKind": "Internal", "ServiceName": "svc", "ScopeName": "", "ScopeVersion": "",
        "Duration": duration_ms * 1_000_000, "StatusCode": status, "StatusMessage": "", "SpanAttributes": {},
        "SpanAttributeTypes": {}, "ResourceAttributes": {}, "ResourceAttributeTypes": {}, "EventTimesNs": [],
        "EventNames": [], "EventAttributes": [], "LinkTraceIds": [], "LinkSpanIds": [], "LinkAttributes": [],
        "Category": "", "Convention": [], "TraceThreadId": "", "TraceUserId": "", "TraceAgentName": "",
        "InputTokens": None, "OutputTokens": None, "TotalTokens": None, "TotalCost": None, "ErrorType": "",
        "ErrorMessage": "",
    }


AI_COLUMNS = {
    "Operation": "", "Provider": "", "RequestModel": "", "ResponseModel": "", "CacheReadTokens": None,
    "CacheWriteTokens": None, "ReasoningTokens": None, "InputCost": None, "OutputCost": None, "CostSource": "",
    "ThreadId": "", "UserId": "", "AgentName": "", "AgentId": "", "ToolName": "", "ToolCallId": "",
    "ToolArguments": "", "ToolResult": "", "RetrievalQuery": "", "DocumentCount": None, "FinishReasons": [],
    "Temperature": None, "MaxTokens": None, "Streaming": None, "ResponseId": "", "Framework": "",
    "TimeToFirstTokenMs": None, "InputMessages": "", "OutputMessages": "",
}


def ai_row(span_id, parent, start_ms, duration_ms, category, status="Unset", **columns):
    return row(span_id, parent, start_ms, duration_ms, status=status) | AI_COLUMNS | {"Category": category} | columns


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
    """LLM and EMBEDDING spans (OpenLLMetry sends an embedding's input as gen_ai.user.message); messages
    inline or by hash into message_content are their own."""
    hashes = {"InputMessageHashes": [], "OutputMessageHashes": []}

    def span(category, **columns):
        return ai_row("s", "", 0, 1, category, **(hashes | columns))

    assert [lacks_messages(row) for row in (
        span("LLM"), span("EMBEDDING"), span("LLM", InputMessages='[{"role": "user"}]'),
        span("LLM", OutputMessageHashes=[7]), span("EMBEDDING", InputMessageHashes=[7]), span("TOOL"), span(""),
    )] == [True, True, False, False, False, False, False]


def test_spans_get_self_time_and_their_share_of_the_critical_path():
    # (start, duration) in ms: root 0-100, a 10-30, b 20-50, late 60-90, and late's async child 80-140
    rows = [row("root", "", 0, 100), row("a", "root", 10, 20), row("b", "root", 20, 30), row("late", "root", 60, 30),
            row("async", "late", 80, 60)]
    doc = build_timeline("t", rows)
    spans = {s["span_id"]: s for s in doc["spans"]}
    # root: 100 - [10, 50] - [60, 90]; late: 30 - [80, 90] (its child clipped to it)
    assert {i: s["self_time_ms"] for i, s in spans.items()} == {
        "root": 30.0, "a": 20.0, "b": 30.0, "late": 20.0, "async": 60.0}
    # backwards from 140: async (80-140), late before it (60-80), root's own gap (50-60), b (20-50),
    # a before b started (10-20), root (0-10)
    assert {i: (s["critical_path"], s["critical_path_ms"]) for i, s in spans.items()} == {
        "root": (True, 20.0), "a": (True, 10.0), "b": (True, 30.0), "late": (True, 20.0), "async": (True, 60.0)}
    assert (doc["duration_ms"], doc["totals"]["wall_time_ms"], doc["critical_path_gaps_ms"]) == (140.0, 140.0, 0.0)


def test_a_span_sent_twice_counts_once_in_the_totals():
    llm = ai_row("llm", "root", 1, 5, "LLM", InputTokens=100, OutputTokens=20, TotalTokens=120, TotalCost=0.25)
    tool = ai_row("tool", "root", 6, 2, "TOOL", status="Error", ErrorType="TimeoutError", ErrorMessage="took too long")
    embed = ai_row("embed", "root", 8, 1, "EMBEDDING", InputTokens=7, TotalTokens=7)
    doc = build_timeline("t", [row("root", "", 0, 10), llm, llm, tool, embed])
    assert doc["totals"] == {
        "spans": 4, "llm_calls": 1, "tool_calls": 1, "retrieval_calls": 0, "embedding_calls": 1,
        "input_tokens": 107, "output_tokens": 20, "total_tokens": 127, "cost_usd": 0.25, "errors": 1,
        "wall_time_ms": 10.0}
    assert doc["error_spans"] == [{"span_id": "tool", "name": "tool", "service": "svc", "type": "TimeoutError",
                                   "message": "took too long"}]


def test_an_error_without_ai_fields_is_described_by_its_status_and_exception_event():
    failed = row("f", "", 0, 1, status="Error") | {
        "EventTimesNs": [T0], "EventNames": ["exception"],
        "EventAttributes": [{"exception.type": "ValueError", "exception.message": "bad input"}]}
    span = build_timeline("t", [failed])["spans"][0]
    assert (span["error"], span["error_type"], span["error_message"]) == (True, "ValueError", "bad input")
    failed["StatusMessage"] = "handler failed"
    span = build_timeline("t", [failed])["spans"][0]
    assert (span["error_type"], span["error_message"]) == ("ValueError", "handler failed")
    ok = build_timeline("t", [row("ok")])["spans"][0]
    assert (ok["error"], ok["error_type"], ok["error_message"]) == (False, None, None)


def test_the_edge_that_closes_a_parent_cycle_is_not_walked_for_self_time():
    doc = build_timeline("t", [row("a", "b", 0, 10), row("b", "a", 2, 5)])
    spans = {s["span_id"]: s for s in doc["spans"]}
    assert (spans["a"]["self_time_ms"], spans["b"]["self_time_ms"]) == (5.0, 5.0)
    assert sum(s["critical_path_ms"] for s in doc["spans"]) == 10.0
