"""GET /api/v1/traces/{id} over the seeded workload: per-trace totals, self times, the critical
path, errors and the thread summary equal what the workload sent; a truncated trace takes its
totals from trace_rollup."""

from __future__ import annotations

import math

from spanhouse.query import api, search
from tests.docs.sent import SentSpan, Turn
from tests.query.schema_check import assert_conforms, response_schema
from tests.query.seed import Seeded
from tests.query.test_threads import assert_threads, view_rows


def self_time_ms(span: SentSpan, turn: Turn) -> float:
    covered = []
    for child in turn.spans:
        if child.parent_span_id == span.span_id:
            start, end = max(child.start_ns, span.start_ns), min(child.end_ns, span.end_ns)
            if end > start:
                covered.append((start, end))
    total, run = 0, None
    for start, end in sorted(covered):
        if run and start <= run[1]:
            run = (run[0], max(run[1], end))
        else:
            total += run[1] - run[0] if run else 0
            run = (start, end)
    total += run[1] - run[0] if run else 0
    return round((span.duration_ns - total) / 1e6, 6)


def expected_totals(turn: Turn) -> dict[str, object]:
    return {
        "spans": len(turn.spans), "llm_calls": turn.count("LLM"), "tool_calls": turn.count("TOOL"),
        "retrieval_calls": turn.count("RETRIEVAL"), "embedding_calls": turn.count("EMBEDDING"),
        "input_tokens": sum(s.input_tokens or 0 for s in turn.spans),
        "output_tokens": sum(s.output_tokens or 0 for s in turn.spans), "total_tokens": turn.tokens,
        "cost_usd": turn.cost, "errors": turn.errors, "wall_time_ms": round((turn.ended - turn.started) / 1e6, 6),
    }


def assert_totals(got: dict[str, object], turn: Turn) -> None:
    want = expected_totals(turn)
    got = dict(got)
    assert math.isclose(got.pop("cost_usd"), want.pop("cost_usd"), rel_tol=1e-9, abs_tol=1e-12)  # type: ignore[arg-type]
    assert got == want


def test_totals_self_time_critical_path_and_thread_of_each_trace(seeded: Seeded):
    schema = response_schema(search.OPENAPI, "/api/v1/traces/{trace_id}", 200)
    threads = view_rows(seeded)
    ordered = sorted(seeded.turns, key=lambda t: t.trace_id)
    turns = [t for t in ordered if t.thread][:15] + [t for t in ordered if not t.thread][:5]
    assert any(turn.thread for turn in turns) and any(not turn.thread for turn in turns)
    for turn in turns:
        doc = seeded.json(f"/api/v1/traces/{turn.trace_id}")
        assert_conforms(doc, schema)
        assert_totals(doc["totals"], turn)
        sent = {span.span_id: span for span in turn.spans}
        assert {s["span_id"]: s["self_time_ms"] for s in doc["spans"]} == {
            span_id: self_time_ms(span, turn) for span_id, span in sent.items()}
        # the workload's children run one after another under the root: all on the path, and the
        # path accounts for the whole wall time
        assert all(s["critical_path"] for s in doc["spans"])
        assert math.isclose(sum(s["critical_path_ms"] for s in doc["spans"]) + doc["critical_path_gaps_ms"],
                            doc["totals"]["wall_time_ms"], abs_tol=1e-5)
        failed = [span for span in sorted(turn.spans, key=lambda s: (s.start_ns, s.span_id)) if span.failed]
        assert [(e["span_id"], e["message"]) for e in doc["error_spans"]] == [(s.span_id, "boom") for s in failed]
        assert (doc["thread_id"], doc["user_id"], doc["agent_name"]) == (turn.thread or None, turn.user or None,
                                                                       turn.agent or None)
        if turn.thread:
            assert_threads([doc["thread"]], [threads[turn.thread]])
        else:
            assert doc["thread"] is None


def test_a_trace_longer_than_the_limit_is_cut_and_totalled_from_the_rollup(seeded: Seeded, monkeypatch):
    turn = max(seeded.turns, key=lambda t: len(t.spans))
    monkeypatch.setattr(api, "MAX_TRACE_SPANS", 3)
    doc = seeded.json(f"/api/v1/traces/{turn.trace_id}")
    assert (doc["truncated"], doc["span_count"], len(doc["spans"])) == (True, 3, 3)
    assert_totals(doc["totals"], turn)


def test_a_critical_path_through_an_async_child_that_outlives_its_parent(server):
    """Spans sent over OTLP: the root ends at 50 ms, its async child runs on to 120 ms."""
    import httpx

    from tests.factories import BASE_NS, export_request, hex_id, make_span

    ms = 1_000_000
    spans = [make_span(7, 1, None, "root", BASE_NS, 50 * ms), make_span(7, 2, 1, "sync", BASE_NS + 10 * ms, 30 * ms),
             make_span(7, 3, 1, "async", BASE_NS + 20 * ms, 100 * ms)]
    httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
               headers={"Content-Type": "application/x-protobuf"}, timeout=30).raise_for_status()
    doc = httpx.get(f"{server.api}/api/v1/traces/{hex_id(7)}", timeout=30).json()
    by_name = {s["name"]: s for s in doc["spans"]}
    assert {name: (s["critical_path"], s["critical_path_ms"], s["self_time_ms"]) for name, s in by_name.items()} == {
        "root": (True, 10.0, 10.0), "sync": (True, 10.0, 30.0), "async": (True, 100.0, 100.0)}
    assert (doc["duration_ms"], doc["totals"]["wall_time_ms"], doc["thread"]) == (120.0, 120.0, None)
