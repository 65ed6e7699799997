"""GET /api/v1/threads and GET /api/v1/threads/{id} against the seeded workload: rows equal the
thread_activity view (plain SQL) and the turns the workload sent (Python); windows, filters, sorts,
pages, the thread timeline and its limits; 400s and 404s."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from spanhouse.query import threads
from spanhouse.query.timeline import rfc3339_ns
from tests.docs.sent import ns
from tests.factories import BASE_NS, export_request, make_span
from tests.query.schema_check import assert_conforms, response_schema
from tests.query.seed import HUGE_WINDOW_NS, TENANT, Seeded, send_huge_sums

ALL = {"start": "2025-11-20T00:00:00Z", "end": "2025-12-01T00:00:00Z"}
VIEW = """
SELECT thread_id, toUnixTimestamp64Nano(first_seen), toUnixTimestamp64Nano(last_seen), duration_ms, traces, spans,
       llm_calls, tool_calls, retrieval_calls, embedding_calls, input_tokens, output_tokens, total_tokens, total_cost,
       error_count, success_count, latest_status, latest_model, agent_name, user_id, avg_llm_latency_ms,
       avg_tool_latency_ms
FROM thread_activity WHERE tenant = {tenant:String}
"""
COLUMNS = ("thread_id", "first_seen", "last_seen", "duration_ms", "traces", "spans", "llm_calls", "tool_calls",
           "retrieval_calls", "embedding_calls", "input_tokens", "output_tokens", "total_tokens", "total_cost",
           "error_count", "success_count", "latest_status", "latest_model", "agent_name", "user_id",
           "avg_llm_latency_ms", "avg_tool_latency_ms")
SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "last_seen": lambda row: row["last_seen_ns"],
    "duration": lambda row: row["duration_ms"],
    "tokens": lambda row: row["total_tokens"],
    "cost": lambda row: round(row["total_cost"] * 1e9),
    "errors": lambda row: row["error_count"],
}


def view_rows(db: Seeded) -> dict[str, dict[str, Any]]:
    """The tenant's thread_activity rows as the API should show them, plus last_seen_ns for sorting."""
    rows = {}
    for values in db.sql(VIEW, tenant=TENANT):
        row = dict(zip(COLUMNS, values, strict=True))
        row["last_seen_ns"] = row["last_seen"]
        row["first_seen"], row["last_seen"] = rfc3339_ns(row["first_seen"]), rfc3339_ns(row["last_seen"])
        for name in ("latest_model", "agent_name", "user_id"):
            row[name] = row[name] or None
        rows[row["thread_id"]] = row
    return rows


def ordered(rows: list[dict[str, Any]], sort: str = "last_seen", order: str = "desc") -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: (SORT_KEYS[sort](row), row["thread_id"]), reverse=order == "desc")


def assert_threads(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [row["thread_id"] for row in got] == [row["thread_id"] for row in expected]
    for row, want in zip(got, expected, strict=True):
        want = {name: value for name, value in want.items() if name != "last_seen_ns"}
        for name in ("total_cost", "avg_llm_latency_ms", "avg_tool_latency_ms"):
            a, b = row.pop(name), want.pop(name)
            assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (name, a, b)
        assert row == want


def list_all(db: Seeded, params: dict[str, Any], limit: int = 1000) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    schema = response_schema(threads.OPENAPI, "/api/v1/threads", 200)
    while True:
        body = db.json("/api/v1/threads", {**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert_conforms(body, schema)
        rows += body["threads"]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def test_every_thread_equals_its_thread_activity_row_and_what_was_sent(seeded):
    view = view_rows(seeded)
    sent = seeded.threads()
    assert set(view) == set(sent) and len(sent) > 30
    for thread_id, turns in sent.items():  # the view itself, against the workload
        row = view[thread_id]
        assert (row["traces"], row["spans"], row["total_tokens"], row["error_count"]) == (
            len(turns), sum(len(t.spans) for t in turns), sum(t.tokens for t in turns), sum(t.errors for t in turns))
        assert (row["first_seen"], row["last_seen"]) == (rfc3339_ns(min(t.started for t in turns)),
                                                         rfc3339_ns(max(t.ended for t in turns)))
        assert math.isclose(row["total_cost"], sum(t.cost for t in turns), rel_tol=1e-9, abs_tol=1e-12)
        first_agent = min((t.started, t.agent) for t in turns if t.agent)[1]
        assert (row["agent_name"], row["user_id"]) == (first_agent, max(t.user for t in turns) or None)
    assert_threads(list_all(seeded, ALL), ordered(list(view.values())))


def test_the_window_selects_by_last_activity_and_totals_cover_every_turn(seeded):
    view = view_rows(seeded)
    start, end = ns("2025-11-24 00:00:00"), ns("2025-11-25 12:00:00")
    expected = [row for row in view.values() if start <= row["last_seen_ns"] < end]
    older = [row for row in expected if row["first_seen"] < rfc3339_ns(start)]
    assert expected and older, "no thread in the window began before it"
    got = list_all(seeded, {"start": "2025-11-24T00:00:00Z", "end": "2025-11-25T12:00:00Z"})
    assert_threads(got, ordered(expected))


@pytest.mark.parametrize("sort", sorted(SORT_KEYS))
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sorts_orders_and_pages(seeded, sort, order):
    expected = ordered(list(view_rows(seeded).values()), sort, order)
    assert_threads(list_all(seeded, {**ALL, "sort": sort, "order": order}, limit=1000), expected)
    assert_threads(list_all(seeded, {**ALL, "sort": sort, "order": order}, limit=7), expected)


def test_each_filter_keeps_exactly_the_matching_threads(seeded):
    view = list(view_rows(seeded).values())
    user = next(row["user_id"] for row in view if row["user_id"])
    model = next(row["latest_model"] for row in view if row["latest_model"])

    def median(name: str) -> Any:
        return sorted(row[name] for row in view)[len(view) // 2]

    costs = sorted(row["total_cost"] for row in view)
    cost = (costs[len(costs) // 2 - 1] + costs[len(costs) // 2]) / 2  # between two costs: no float edge

    cases: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
        ({"agent": "researcher"}, lambda r: r["agent_name"] == "researcher"),
        ({"user": user}, lambda r: r["user_id"] == user),
        ({"model": model}, lambda r: r["latest_model"] == model),
        ({"min_duration_ms": median("duration_ms")}, lambda r: r["duration_ms"] >= median("duration_ms")),
        ({"min_tokens": median("total_tokens")}, lambda r: r["total_tokens"] >= median("total_tokens")),
        ({"min_cost": repr(cost)}, lambda r: r["total_cost"] >= cost),
        ({"has_errors": "true"}, lambda r: r["error_count"] > 0),
        ({"has_errors": "false"}, lambda r: r["error_count"] == 0),
        ({"agent": "triage", "has_errors": "true", "min_tokens": median("total_tokens")},
         lambda r: r["agent_name"] == "triage" and r["error_count"] > 0
         and r["total_tokens"] >= median("total_tokens")),
    ]
    for params, keep in cases:
        expected = ordered([row for row in view if keep(row)], "tokens")
        assert 0 < len(expected) < len(view), f"{params}: the data does not exercise this filter"
        assert_threads(list_all(seeded, {**ALL, **params, "sort": "tokens"}), expected)


def test_the_default_window_is_the_last_day(seeded):
    body = seeded.json("/api/v1/threads")
    assert body["threads"] == []  # the workload is from 2025
    assert ns(body["end"][:19].replace("T", " ")) - ns(body["start"][:19].replace("T", " ")) == 86_400 * 10**9


@pytest.mark.parametrize(("params", "parameter"), [
    ({"start": "-40d"}, "start"),
    ({"start": "9999-01-01T00:00:00Z", "end": "9999-01-02T00:00:00Z"}, "end"),
    ({"sort": "turns"}, "sort"),
    ({"has_errors": "yes"}, "has_errors"),
    ({"min_tokens": "-1"}, "min_tokens"),
    ({"min_cost": "cheap"}, "min_cost"),
    ({"limit": "100000"}, "limit"),
    ({"thread": "thread-1"}, "thread"),
    ({"cursor": "%%%"}, "cursor"),
])
def test_bad_list_parameters_are_400_naming_the_parameter(seeded, params, parameter):
    response = seeded.get("/api/v1/threads", params)
    assert (response.status_code, response.json()["error"]["parameter"]) == (400, parameter)


# --- one thread --------------------------------------------------------------------------------------

def test_a_thread_reads_top_to_bottom_turn_by_turn(seeded):
    sent = seeded.threads()
    thread_id = max(sent, key=lambda t: len(sent[t]))
    turns = sorted(sent[thread_id], key=lambda t: (t.started, t.trace_id))
    assert len(turns) >= 4
    schema = response_schema(threads.OPENAPI, "/api/v1/threads/{thread_id}", 200)
    listed: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        body = seeded.json(f"/api/v1/threads/{thread_id}", {"limit": 3, **({"cursor": cursor} if cursor else {})})
        assert_conforms(body, schema)
        assert_threads([body["thread"]], [view_rows(seeded)[thread_id]])
        assert len(body["turns"]) <= 3
        listed += body["turns"]
        pages += 1
        cursor = body["next_cursor"]
        assert body["truncated"] == (cursor is not None)
        if cursor is None:
            break
    assert pages == math.ceil(len(turns) / 3)
    assert [turn["trace_id"] for turn in listed] == [turn.trace_id for turn in turns]
    assert [turn["turn"] for turn in listed] == list(range(1, len(turns) + 1))
    for doc, turn in zip(listed, turns, strict=True):
        assert sorted(span["span_id"] for span in doc["spans"]) == sorted(span.span_id for span in turn.spans)
        assert (doc["thread_id"], doc["start_time"], doc["totals"]["spans"], doc["totals"]["total_tokens"],
                doc["totals"]["errors"]) == (thread_id, rfc3339_ns(turn.started), len(turn.spans), turn.tokens,
                                             turn.errors)
        assert all(span["ai"] is None or span["ai"]["thread_id"] == thread_id for span in doc["spans"])


def test_a_page_keeps_to_the_span_budget_in_whole_turns(seeded, monkeypatch):
    sent = seeded.threads()
    thread_id = max(sent, key=lambda t: len(sent[t]))
    turns = sorted(sent[thread_id], key=lambda t: (t.started, t.trace_id))
    budget = len(turns[0].spans) + len(turns[1].spans)
    monkeypatch.setattr(threads, "MAX_THREAD_SPANS", budget)
    body = seeded.json(f"/api/v1/threads/{thread_id}", {"limit": 10})
    assert [turn["trace_id"] for turn in body["turns"]] == [turns[0].trace_id, turns[1].trace_id]
    assert body["truncated"] and body["next_cursor"]
    following = seeded.json(f"/api/v1/threads/{thread_id}", {"limit": 10, "cursor": body["next_cursor"]})
    assert following["turns"][0]["trace_id"] == turns[2].trace_id and following["turns"][0]["turn"] == 3
    # a single turn over the budget is cut, and its totals come from trace_rollup
    big = max(turns, key=lambda t: len(t.spans))
    monkeypatch.setattr(threads, "MAX_THREAD_SPANS", len(big.spans) - 1)
    position = turns.index(big)
    cursor = None
    if position:
        previous = turns[position - 1]
        cursor = _cursor_after(seeded, thread_id, previous.trace_id)
    body = seeded.json(f"/api/v1/threads/{thread_id}", {"limit": 1, **({"cursor": cursor} if cursor else {})})
    (doc,) = body["turns"]
    assert (doc["trace_id"], doc["truncated"], len(doc["spans"])) == (big.trace_id, True, len(big.spans) - 1)
    assert (doc["totals"]["spans"], doc["totals"]["total_tokens"]) == (len(big.spans), big.tokens)


def _cursor_after(db: Seeded, thread_id: str, trace_id: str) -> str:
    cursor = None
    while True:
        body = db.json(f"/api/v1/threads/{thread_id}", {"limit": 1, **({"cursor": cursor} if cursor else {})})
        cursor = body["next_cursor"]
        if body["turns"][0]["trace_id"] == trace_id:
            return str(cursor)


def test_an_unknown_thread_is_404_and_other_tenants_turns_never_count(seeded):
    for path in ("/api/v1/threads/no-such-thread", "/api/v1/threads/"):
        response = seeded.get(path)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "thread_not_found")
    assert_conforms(response.json(), response_schema(threads.OPENAPI, "/api/v1/threads/{thread_id}", 404))
    # thread ids repeat across the workload's tenants: acme's thread shows acme's turns only
    everyone: dict[str, set[str]] = {}
    for span in seeded.spans:
        if span.thread:
            everyone.setdefault(span.thread, set()).add(span.tenant)
    shared = sorted(thread for thread, tenants in everyone.items() if len(tenants) > 1 and TENANT in tenants)
    assert shared
    body = seeded.json(f"/api/v1/threads/{shared[0]}", {"limit": 100})
    ours = seeded.threads()[shared[0]]
    assert body["thread"]["traces"] == len(ours) == len(body["turns"])
    assert {turn["trace_id"] for turn in body["turns"]} == {turn.trace_id for turn in ours}


@pytest.mark.parametrize(("params", "parameter"), [
    ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"sort": "start"}, "sort"), ({"cursor": "x"}, "cursor"),
])
def test_bad_thread_parameters_are_400_naming_the_parameter(seeded, params, parameter):
    thread_id = next(iter(seeded.threads()))
    response = seeded.get(f"/api/v1/threads/{thread_id}", params)
    assert (response.status_code, response.json()["error"]["parameter"]) == (400, parameter)
    response = seeded.get("/api/v1/threads/" + "x" * 1100)
    assert (response.status_code, response.json()["error"]["parameter"]) == (400, "thread_id")


def test_costs_and_tokens_past_what_an_int64_holds_sort_and_page_in_order(server):
    """As for trace search (test_search.py): no Int64 conversion of a cost, tokens shown saturated."""
    send_huge_sums(server)
    window = {"start": str(HUGE_WINDOW_NS[0]), "end": str(HUGE_WINDOW_NS[1])}
    by_cost = [f"thread-{trace}" for trace in (1, 2, 3, 4, 5)]
    for order, expected in (("desc", by_cost), ("asc", by_cost[::-1])):
        rows = pages(server, {**window, "sort": "cost", "order": order})
        assert [row["thread_id"] for row in rows] == expected
    assert [row["total_cost"] for row in rows[::-1]] == [sys.float_info.max, 1e300, 1e20, 0.75, 0.25]
    rows = pages(server, {**window, "sort": "tokens"})
    assert [(row["thread_id"], row["output_tokens"]) for row in rows] == [
        ("thread-4", 2**63 - 1), ("thread-5", 10), ("thread-1", 2), ("thread-3", 1), ("thread-2", 1)]
    thread = httpx.get(f"{server.api}/api/v1/threads/thread-1", timeout=30).json()
    assert (thread["thread"]["total_cost"], thread["turns"][0]["totals"]["cost_usd"]) == (sys.float_info.max,) * 2


def pages(server: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every thread of a list, one per page."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = httpx.get(f"{server.api}/api/v1/threads",
                             params={**params, "limit": 1, **({"cursor": cursor} if cursor else {})}, timeout=30)
        assert response.status_code == 200, response.text
        rows += response.json()["threads"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return rows


def test_latest_status_model_and_outer_agent_break_ties_as_the_view_does(server, query):
    """Turns whose agents start at the same ns and whose last spans end at the same ns: the greatest
    (time, text) wins, the text deciding a tie, in the list exactly as in thread_activity."""
    end = BASE_NS + 5 * 10**6
    spans = []
    # the winner of each tie is the middle turn, so that neither the first nor the last row read wins by luck
    for trace, agent, model, code in ((1, "beta", "gpt-4o", Status.STATUS_CODE_ERROR),
                                      (2, "alpha", "gpt-4o-mini", Status.STATUS_CODE_OK),
                                      (3, "gamma", "gpt-4.1", Status.STATUS_CODE_ERROR)):
        spans += [make_span(trace=trace, span=1, name="invoke_agent", start_ns=BASE_NS, duration_ns=end - BASE_NS,
                            attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent,
                                        "gen_ai.conversation.id": "tied"}, status=Status(code=code)),
                  make_span(trace=trace, span=2, parent=1, name="chat", start_ns=BASE_NS + 1000,
                            duration_ns=end - BASE_NS - 1000, status=Status(code=code),
                            attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": model})]
    # a turn naming no agent starts first: the outer agent is still the earliest one named
    spans += [make_span(trace=4, span=1, name="chat", start_ns=BASE_NS - 10**9, attributes={
                  "gen_ai.operation.name": "chat", "gen_ai.request.model": "o3", "gen_ai.conversation.id": "mixed"}),
              make_span(trace=5, span=1, name="invoke_agent", start_ns=BASE_NS, attributes={
                  "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "gamma",
                  "gen_ai.conversation.id": "mixed"})]
    httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
               headers={"Content-Type": "application/x-protobuf"}, timeout=30).raise_for_status()
    window = {"start": str(BASE_NS - 3600 * 10**9), "end": str(BASE_NS + 3600 * 10**9)}
    listed = {row["thread_id"]: (row["latest_status"], row["latest_model"], row["agent_name"])
              for row in pages(server, window)}
    view = {thread: (status, model, agent) for thread, status, model, agent in query(
        "SELECT thread_id, latest_status, latest_model, agent_name FROM thread_activity")}
    assert listed == view == {"tied": ("Ok", "gpt-4o-mini", "alpha"), "mixed": ("Unset", "o3", "gamma")}
