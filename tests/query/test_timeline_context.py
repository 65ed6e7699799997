"""A trace's thread, user and outer agent in its timeline: whichever of its spans named them, in whatever order
they arrived, exactly as trace_rollup resolves them; from trace_rollup itself when the timeline is cut short."""

from __future__ import annotations

import asyncio

import pytest

from spanhouse.app import INSERT_COLUMNS, TRACES_TABLE
from spanhouse.decode.traces import decode_spans
from spanhouse.normalise.spans import normalise_batch
from spanhouse.query.reader import Reader
from spanhouse.query.threads import thread_summary, trace_thread_summary
from spanhouse.query.timeline import resolve_trace_context
from spanhouse.query.trace_docs import load_timelines
from spanhouse.store.native import NativeEncoder, TableLayout
from spanhouse.store.writer import BatchWriter
from tests.factories import BASE_NS, export_request, hex_id, make_span

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


def test_the_thread_summary_read_beside_the_spans_is_the_thread_the_timeline_resolves(stored):
    reader = Reader(stored)
    doc = asyncio.run(load_timelines(reader, "acme", [hex_id(5)], max_spans=50_000))[hex_id(5)]
    thread_id, summary = asyncio.run(trace_thread_summary(reader, "acme", hex_id(5)))

    assert thread_id == doc["thread_id"] == "thread-42"
    assert summary == asyncio.run(thread_summary(reader, "acme", "thread-42"))
    assert (summary["traces"], summary["spans"], summary["user_id"]) == (1, 4, "u-7")
    assert asyncio.run(trace_thread_summary(reader, "acme", hex_id(6))) == ("", None)  # no such trace
    assert asyncio.run(trace_thread_summary(reader, "other", hex_id(5))) == ("", None)  # not this tenant's
