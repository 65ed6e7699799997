"""A trace's thread, user and outer agent in its timeline: whichever of its spans named them, in whatever order
they arrived, exactly as trace_rollup resolves them; from trace_rollup itself when the timeline is cut short.
The thread and time range trace_rollup tells before the spans are read, and otel_traces_trace_id_ts's range
when trace_rollup has no row of the trace."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from spanhouse.app import INSERT_COLUMNS, TRACES_TABLE
from spanhouse.decode.traces import decode_spans
from spanhouse.normalise.spans import normalise_batch
from spanhouse.query import api
from spanhouse.query.reader import Reader
from spanhouse.query.threads import thread_summary
from spanhouse.query.timeline import resolve_trace_context
from spanhouse.query.trace_docs import NO_CONTEXT, load_timelines, trace_context
from spanhouse.store.native import NativeEncoder, TableLayout
from spanhouse.store.writer import BatchWriter
from tests.factories import BASE_NS, export_request, hex_id, make_span
from tests.query.serving import Serving

MS = 1_000_000


def context_row(start_ms: int, thread: str = "", user: str = "", agent: str = "") -> dict[str, object]:
    return {"StartNs": BASE_NS + start_ms * MS, "ThreadId": thread, "UserId": user, "AgentName": agent}


def test_the_greatest_thread_and_user_named_and_the_agent_of_the_earliest_span_naming_one():
    rows = [context_row(5, agent="inner"), context_row(0, thread="t-1"), context_row(3, user="u-2", agent="outer"),
            context_row(3, agent="also-outer"), context_row(9, thread="t-2", user="u-1")]
    assert resolve_trace_context(rows) == ("t-2", "u-2", "also-outer")  # a tie at 3 ms goes to the least name
    assert resolve_trace_context([context_row(0)]) == ("", "", "")


def test_strings_compare_as_clickhouse_compares_them_bytewise():
    assert resolve_trace_context([context_row(0, thread="é"), context_row(1, thread="z")])[0] == "é"  # 0xC3 > 'z'


# (span, parent, start ms, attributes): the root names the thread and the outer agent but is exported last,
# a child names the user, an inner agent starts after the outer one.
TRACE = [
    (2, 1, 10, {"gen_ai.agent.name": "researcher"}),
    (3, 2, 20, {"user.id": "u-7"}),
    (4, 2, 30, {}),
    (1, None, 0, {"gen_ai.conversation.id": "thread-42", "gen_ai.agent.name": "planner"}),
]


@pytest.fixture
def stored(store):
    """TRACE stored one span per request, in the order above, as an SDK's batches would send it."""
    layout = TableLayout.read(store, TRACES_TABLE, INSERT_COLUMNS)
    with BatchWriter(store, layout) as writer:
        for span, parent, start_ms, attributes in TRACE:
            sent = make_span(trace=5, span=span, parent=parent, name=f"s{span}", start_ns=BASE_NS + start_ms * MS,
                             duration_ns=50 * MS, attributes={"gen_ai.operation.name": "invoke_agent", **attributes})
            block = NativeEncoder(layout).encode(normalise_batch(decode_spans(export_request(sent), "acme")).columns)
            writer.submit(block).result(timeout=60)
    return store


def rollup_context(client) -> tuple[str, str, str]:
    return tuple(client.query("SELECT max(trace_thread_id), max(trace_user_id), min(trace_first_agent).name "
                              "FROM trace_rollup WHERE tenant = 'acme' AND trace_id = {t:String}",
                              parameters={"t": hex_id(5)}).result_rows[0])


@pytest.mark.parametrize("max_spans", [50_000, 2], ids=["whole", "cut to its first two spans"])
def test_every_span_of_a_timeline_gets_the_context_trace_rollup_resolves(stored, max_spans):
    doc = asyncio.run(load_timelines(Reader(stored), "acme", [hex_id(5)], max_spans=max_spans))[hex_id(5)]

    assert rollup_context(stored) == ("thread-42", "u-7", "planner")
    assert (doc["thread_id"], doc["user_id"], doc["agent_name"], doc["truncated"]) == (
        "thread-42", "u-7", "planner", max_spans == 2)
    assert [(span["name"], span["ai"]["thread_id"], span["ai"]["user_id"], span["ai"]["agent"]["name"])
            for span in doc["spans"]] == [
        ("s1", "thread-42", "u-7", "planner"), ("s2", "thread-42", "u-7", "researcher"),
        ("s3", "thread-42", "u-7", "planner"), ("s4", "thread-42", "u-7", "planner")][:len(doc["spans"])]


@pytest.mark.parametrize("counted", [False, True], ids=["span count unknown", "span count from trace_rollup"])
@pytest.mark.parametrize("max_spans", [1, 3, 4, 5])
def test_a_timeline_cut_at_max_spans_keeps_the_spans_that_started_first(stored, max_spans, counted):
    """The spans are read in no order; the cut still keeps the earliest, and only a cut marks truncation."""
    doc = asyncio.run(load_timelines(Reader(stored), "acme", [hex_id(5)], max_spans=max_spans,
                                     span_counts={hex_id(5): 4} if counted else None))[hex_id(5)]

    assert [span["name"] for span in doc["spans"]] == ["s1", "s2", "s3", "s4"][:max_spans]
    assert doc["truncated"] is (max_spans < 4)


def test_trace_rollup_tells_the_thread_time_range_and_span_count_read_before_the_spans(stored):
    reader = Reader(stored)
    doc = asyncio.run(load_timelines(reader, "acme", [hex_id(5)], max_spans=50_000))[hex_id(5)]
    context = asyncio.run(trace_context(reader, "acme", hex_id(5)))

    assert context.thread_id == doc["thread_id"] == "thread-42"
    assert context.bounds == (BASE_NS, BASE_NS + 80 * MS)  # first start; the span starting at 30 ms ends at 80
    assert context.span_count == doc["span_count"] == 4
    assert asyncio.run(trace_context(reader, "acme", hex_id(6))) == NO_CONTEXT  # no such trace
    assert asyncio.run(trace_context(reader, "other", hex_id(5))) == NO_CONTEXT  # not this tenant's
    summary = asyncio.run(thread_summary(reader, "acme", "thread-42"))
    assert (summary["traces"], summary["spans"], summary["user_id"]) == (1, 4, "u-7")


def test_given_the_range_the_spans_read_keep_to_it(stored):
    reader = Reader(stored)
    inside = asyncio.run(load_timelines(reader, "acme", [hex_id(5)], max_spans=50_000,
                                        bounds=(BASE_NS + 10 * MS, BASE_NS + 20 * MS)))[hex_id(5)]
    assert [span["name"] for span in inside["spans"]] == ["s2", "s3"]
    assert asyncio.run(load_timelines(reader, "acme", [hex_id(5)], max_spans=50_000,
                                      bounds=(BASE_NS + 31 * MS, BASE_NS + 80 * MS))) == {}


def test_without_trace_rollup_rows_the_range_comes_from_otel_traces_trace_id_ts(stored):
    """Rollup rows can be gone while spans remain (e.g. raw spans kept longer than the rollups)."""
    stored.command("TRUNCATE TABLE trace_rollup")
    reader = Reader(stored)
    assert asyncio.run(trace_context(reader, "acme", hex_id(5))) == NO_CONTEXT

    doc = asyncio.run(load_timelines(reader, "acme", [hex_id(5)], max_spans=50_000))[hex_id(5)]
    assert ([span["name"] for span in doc["spans"]], doc["thread_id"]) == (["s1", "s2", "s3", "s4"], "thread-42")
    assert asyncio.run(load_timelines(reader, "acme", [hex_id(6)], max_spans=50_000)) == {}

    with Serving(api.create_app(reader, lambda request: "acme")) as serving:
        found = httpx.get(f"{serving.api}/api/v1/traces/{hex_id(5)}", timeout=30)
        missing = httpx.get(f"{serving.api}/api/v1/traces/{hex_id(6)}", timeout=30)
    assert found.status_code == 200
    assert (len(found.json()["spans"]), found.json()["thread_id"]) == (4, "thread-42")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "trace_not_found")
