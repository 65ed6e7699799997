"""GET /api/v1/traces against the seeded workload: every row, filter, sort and page equals what
the workload sent, aggregated in Python (tests/docs/sent.py); bad parameters are 400s naming them."""

from __future__ import annotations

import base64
import math
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from spanhouse.query import search
from spanhouse.query.timeline import rfc3339_ns
from tests.docs.sent import Turn, ns
from tests.factories import hex_id
from tests.query.schema_check import assert_conforms, response_schema
from tests.query.seed import HUGE_WINDOW_NS, Seeded, send_huge_sums

WINDOW = {"start": "2025-11-23T00:00:00Z", "end": "2025-11-25T00:00:00Z"}
START, END = ns("2025-11-23 00:00:00"), ns("2025-11-25 00:00:00")
SORT_KEYS: dict[str, Callable[[Turn], Any]] = {
    "start": lambda turn: turn.started,
    "duration": lambda turn: turn.ended - turn.started,
    "tokens": lambda turn: turn.tokens,
    "cost": lambda turn: round(turn.cost * 1e9),
}


def in_window(db: Seeded, start: int = START, end: int = END) -> list[Turn]:
    return [turn for turn in db.turns if start <= turn.started < end]


def ordered(turns: list[Turn], sort: str = "start", order: str = "desc") -> list[Turn]:
    return sorted(turns, key=lambda turn: (SORT_KEYS[sort](turn), turn.trace_id), reverse=order == "desc")


def expected_row(turn: Turn) -> dict[str, Any]:
    root = next(span for span in turn.spans if not span.parent_span_id)
    return {
        "trace_id": turn.trace_id,
        "root_span": {"span_id": root.span_id, "name": root.name, "service": root.service},
        "start_time": rfc3339_ns(turn.started), "end_time": rfc3339_ns(turn.ended),
        "duration_ms": round((turn.ended - turn.started) / 1e6, 6),
        "span_count": len(turn.spans), "llm_calls": turn.count("LLM"), "tool_calls": turn.count("TOOL"),
        "retrieval_calls": turn.count("RETRIEVAL"), "embedding_calls": turn.count("EMBEDDING"),
        "input_tokens": sum(span.input_tokens or 0 for span in turn.spans),
        "output_tokens": sum(span.output_tokens or 0 for span in turn.spans),
        "total_tokens": turn.tokens, "cost_usd": turn.cost, "error_count": turn.errors,
        "thread_id": turn.thread or None, "user_id": turn.user or None, "agent_name": turn.agent or None,
    }


def assert_rows(rows: list[dict[str, Any]], turns: list[Turn]) -> None:
    assert [row["trace_id"] for row in rows] == [turn.trace_id for turn in turns]
    for row, turn in zip(rows, turns, strict=True):
        want = expected_row(turn)
        assert math.isclose(row.pop("cost_usd"), want.pop("cost_usd"), rel_tol=1e-9, abs_tol=1e-12)
        assert row == want


def search_all(db: Seeded, params: dict[str, Any], limit: int = 1000) -> list[dict[str, Any]]:
    """Every row of a search, following the cursors; each page checked against the OpenAPI schema."""
    rows: list[dict[str, Any]] = []
    cursor = None
    schema = response_schema(search.OPENAPI, "/api/v1/traces", 200)
    while True:
        body = db.json("/api/v1/traces", {**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert_conforms(body, schema)
        assert len(body["traces"]) <= limit
        rows += body["traces"]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def test_every_trace_starting_in_the_window_with_its_totals(seeded):
    body = seeded.json("/api/v1/traces", {**WINDOW, "limit": 1000})
    assert_conforms(body, response_schema(search.OPENAPI, "/api/v1/traces", 200))
    expected = ordered(in_window(seeded))
    assert 40 < len(expected) < len([turn for turn in seeded.turns])
    assert (body["start"], body["end"], body["sort"], body["order"], body["next_cursor"]) == (
        "2025-11-23T00:00:00.000000000Z", "2025-11-25T00:00:00.000000000Z", "start", "desc", None)
    assert_rows(body["traces"], expected)


@pytest.mark.parametrize("sort", sorted(SORT_KEYS))
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sorts_and_orders(seeded, sort, order):
    rows = seeded.json("/api/v1/traces", {**WINDOW, "sort": sort, "order": order, "limit": 1000})["traces"]
    assert_rows(rows, ordered(in_window(seeded), sort, order))


def test_pages_follow_each_other_without_gaps_or_repeats(seeded):
    for sort in SORT_KEYS:
        rows = search_all(seeded, {**WINDOW, "sort": sort, "order": "asc"}, limit=7)
        assert_rows(rows, ordered(in_window(seeded), sort, "asc"))


def _filters(db: Seeded) -> list[tuple[dict[str, Any], Callable[[Turn], bool]]]:
    """(query parameters, the same filter on a sent turn), with values the window's data has."""
    turns = in_window(db)

    def common(values: list[str]) -> str:
        return Counter(value for value in values if value).most_common(1)[0][0]

    thread = common([turn.thread for turn in turns])
    user = common([turn.user for turn in turns])
    tokens = sorted(span.input_tokens for turn in turns for span in turn.spans if span.input_tokens)[5]

    def has(turn: Turn, **attrs: str) -> bool:
        return all(any(span.get(key) == value for span in db.span_attrs(turn)) for key, value in attrs.items())

    return [
        ({"service": "support-bot"}, lambda t: any(s.service == "support-bot" for s in t.spans)),
        ({"model": "gpt-4o-mini"}, lambda t: any(s.model == "gpt-4o-mini" for s in t.spans)),
        ({"category": "RETRIEVAL"}, lambda t: t.count("RETRIEVAL") > 0),
        ({"category": "EMBEDDING"}, lambda t: t.count("EMBEDDING") > 0),
        ({"status": "error"}, lambda t: t.errors > 0),
        ({"status": "ok"}, lambda t: t.errors == 0),
        ({"min_duration_ms": 20_000}, lambda t: t.ended - t.started >= 20_000 * 10**6),
        ({"min_tokens": 6000}, lambda t: t.tokens >= 6000),
        ({"min_cost": "0.02"}, lambda t: t.cost >= 0.02),
        ({"thread": thread}, lambda t: t.thread == thread),
        ({"user": user}, lambda t: t.user == user),
        ({"agent": "writer"}, lambda t: t.agent == "writer"),
        ({"attr.gen_ai.tool.name": "lookup_order"}, lambda t: has(t, **{"gen_ai.tool.name": "lookup_order"})),
        # two attributes, carried by different spans of the trace
        ({"attr.gen_ai.tool.name": "get_weather", "attr.gen_ai.retrieval.query.text": "refund policy"},
         lambda t: has(t, **{"gen_ai.tool.name": "get_weather", "gen_ai.retrieval.query.text": "refund policy"})),
        # an integer attribute, as its decimal text
        ({"attr.gen_ai.usage.input_tokens": str(tokens)}, lambda t: any(s.input_tokens == tokens for s in t.spans)),
        ({"model": "gpt-4o", "category": "TOOL", "status": "error"},
         lambda t: any(s.model == "gpt-4o" for s in t.spans) and t.count("TOOL") > 0 and t.errors > 0),
        ({"agent": "triage", "min_tokens": 3000, "service": "research-agent"},
         lambda t: t.agent == "triage" and t.tokens >= 3000 and any(s.service == "research-agent" for s in t.spans)),
    ]


def test_each_filter_keeps_exactly_the_matching_traces(seeded):
    everything = in_window(seeded)
    for params, keep in _filters(seeded):
        expected = ordered([turn for turn in everything if keep(turn)], "tokens")
        assert 0 < len(expected) < len(everything), f"{params}: the data does not exercise this filter"
        rows = seeded.json("/api/v1/traces", {**WINDOW, **params, "sort": "tokens", "limit": 1000})["traces"]
        assert [row["trace_id"] for row in rows] == [turn.trace_id for turn in expected], params
    assert_rows(seeded.json("/api/v1/traces", {**WINDOW, "status": "error", "limit": 1000})["traces"],
                ordered([turn for turn in everything if turn.errors]))


def test_a_filter_matched_by_a_span_after_the_window_still_finds_the_trace(seeded):
    """A trace is in the window by its first span; its other spans count wherever they fall."""
    for turn in sorted(seeded.turns, key=lambda t: t.started):
        before = {item for span, attrs in zip(turn.spans, seeded.span_attrs(turn), strict=True)
                  for item in attrs.items()}
        late = [(span, attrs) for span, attrs in zip(turn.spans, seeded.span_attrs(turn), strict=True)
                if span.start_ns >= turn.started + 10**9]
        unique = [item for span, attrs in late for item in attrs.items()
                  if sum(item in other.items() for other in seeded.span_attrs(turn)) == 1]
        if unique and before:
            break
    else:
        pytest.fail("no trace with an attribute only a late span carries")
    key, value = unique[0]
    window = {"start": turn.started, "end": turn.started + 10**9, "limit": 1000}  # spans after the end
    rows = seeded.json("/api/v1/traces", {**window, f"attr.{key}": value})["traces"]
    assert [row["trace_id"] for row in rows] == [turn.trace_id]
    assert_rows(rows, [turn])


def test_other_tenants_traces_never_show(seeded):
    """The store holds three tenants' workloads, with overlapping trace ids; the API serves acme's."""
    rows = search_all(seeded, {"start": "2025-11-20T00:00:00Z", "end": "2025-12-01T00:00:00Z"})
    assert_rows(rows, ordered(seeded.turns))


@pytest.mark.parametrize(("params", "parameter"), [
    ({"start": "yesterday"}, "start"),
    ({"end": "2025-13-01T00:00:00Z"}, "end"),
    ({"start": "2025-11-25T00:00:00Z", "end": "2025-11-24T00:00:00Z"}, "start"),
    ({"start": "2025-10-01T00:00:00Z", "end": "2025-11-24T00:00:00Z"}, "start"),
    ({"limit": "0"}, "limit"),
    ({"limit": "1001"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"sort": "name"}, "sort"),
    ({"order": "up"}, "order"),
    ({"status": "failed"}, "status"),
    ({"category": "llm"}, "category"),
    ({"min_duration_ms": "-5"}, "min_duration_ms"),
    ({"min_tokens": "1.5"}, "min_tokens"),
    ({"min_cost": "NaN"}, "min_cost"),
    ({"servise": "x"}, "servise"),
    ([("service", "a"), ("service", "b")], "service"),
    ({"attr.": "x"}, "attr."),
    ({f"attr.k{n}": "v" for n in range(21)}, "attr.*"),
    ({"start": "9999-01-01T00:00:00Z", "end": "9999-01-02T00:00:00Z"}, "end"),
    ({"start": "9999-01-01T00:00:00Z"}, "start"),
    ({"start": "-52000w", "end": "-51999w"}, "end"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "eyJ2IjoxfQ"}, "cursor"),
])
def test_bad_parameters_are_400_naming_the_parameter(seeded, params, parameter):
    response = seeded.get("/api/v1/traces", params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_parameter"
    assert response.json()["error"]["parameter"] == parameter
    assert_conforms(response.json(), response_schema(search.OPENAPI, "/api/v1/traces", 400))


def test_a_cursor_only_continues_the_search_it_came_from(seeded):
    first = seeded.json("/api/v1/traces", {**WINDOW, "limit": 5})
    cursor = first["next_cursor"]
    for changed in ({"service": "support-bot"}, {"sort": "cost"}, {"order": "asc"}):
        response = seeded.get("/api/v1/traces", {**WINDOW, "limit": 5, "cursor": cursor, **changed})
        assert (response.status_code, response.json()["error"]["parameter"]) == (400, "cursor")
    thread_cursor = seeded.json("/api/v1/threads", {**WINDOW, "limit": 1})["next_cursor"]
    response = seeded.get("/api/v1/traces", {**WINDOW, "cursor": thread_cursor})
    assert (response.status_code, response.json()["error"]["parameter"]) == (400, "cursor")
    payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    tampered = base64.urlsafe_b64encode(orjson.dumps({**payload, "key": 2**63})).decode()
    response = seeded.get("/api/v1/traces", {**WINDOW, "limit": 5, "cursor": tampered})
    assert (response.status_code, response.json()["error"]["parameter"]) == (400, "cursor")
    # the window travels with the cursor: other start / end values do not move the pages
    later = seeded.json("/api/v1/traces", {"start": "-1h", "limit": 5, "cursor": cursor})
    assert (later["start"], later["end"]) == (first["start"], first["end"])
    assert_rows(later["traces"], ordered(in_window(seeded))[5:10])


def _edited(cursor: str, **changes: Any) -> str:
    payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return base64.urlsafe_b64encode(orjson.dumps({**payload, **changes})).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/api/v1/traces", "/api/v1/threads"])
def test_a_cursor_carries_no_time_range_its_parameters_could_not(seeded, path):
    """Cursors are not signed: their range is checked as start / end are, so no edit lifts the 31 days."""
    cursor = seeded.json(path, {**WINDOW, "limit": 1})["next_cursor"]
    assert cursor is not None
    for changes in ({"start": 0, "end": 2**63 - 1},  # all time
                    {"start": START - 32 * 86_400 * 10**9, "end": START},  # 32 days
                    {"start": END, "end": START},  # reversed
                    {"start": START, "end": START},  # empty
                    {"start": -10**18, "end": START}):  # before 1970
        response = seeded.get(path, {"cursor": _edited(cursor, **changes)})
        assert response.status_code == 400, (changes, response.text[:200])
        assert (response.json()["error"]["code"], response.json()["error"]["parameter"]) == (
            "invalid_parameter", "cursor")
    assert seeded.get(path, {"cursor": _edited(cursor, start=END - 31 * 86_400 * 10**9, end=END)}).status_code == 200


def test_costs_and_tokens_past_what_an_int64_holds_sort_and_page_in_order(server):
    """A cost of 1e300 USD (or two of 1.5e308, an inf sum) no longer fails the cost sort's Int64
    conversion; tokens past 2^63-1 sort as the 2^63-1 shown."""
    send_huge_sums(server)
    window = {"start": str(HUGE_WINDOW_NS[0]), "end": str(HUGE_WINDOW_NS[1])}
    by_cost = [hex_id(trace) for trace in (1, 2, 3, 4, 5)]
    for order, expected in (("desc", by_cost), ("asc", by_cost[::-1])):
        rows = _pages(server, "/api/v1/traces", "traces", {**window, "sort": "cost", "order": order})
        assert [row["trace_id"] for row in rows] == expected
    assert [row["cost_usd"] for row in rows[::-1]] == [sys.float_info.max, 1e300, 1e20, 0.75, 0.25]
    rows = _pages(server, "/api/v1/traces", "traces", {**window, "sort": "tokens"})
    assert [(row["trace_id"], row["output_tokens"]) for row in rows] == [
        (hex_id(4), 2**63 - 1), (hex_id(5), 10), (hex_id(1), 2), (hex_id(3), 1), (hex_id(2), 1)]


def _pages(server: Any, path: str, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of a list, one per page."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = httpx.get(server.api + path, params={**params, "limit": 1, **({"cursor": cursor} if cursor else {})},
                             timeout=30)
        assert response.status_code == 200, response.text
        rows += response.json()[key]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return rows
