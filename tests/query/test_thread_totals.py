"""A thread's summary totalled from trace_rollup rows, as thread_activity totals them.

The whole path (SQL, then these totals) is checked against the view itself in test_threads.py
and test_trace_api.py; these pin the rules a small workload might not reach.
"""

from __future__ import annotations

from typing import Any

from spanhouse.query.thread_totals import SUMS, thread_row

NO_AGENT_NS = 9_223_372_036_000_000_000  # the view's "no agent" time, 2262-04-11


def rollup(trace: str, thread: str = "t-1", **fields: Any) -> dict[str, Any]:
    """One trace_rollup row as sql/thread_rollup_rows.sql returns it: zeros unless given."""
    row: dict[str, Any] = {
        "trace_id": trace, "thread": thread, "user": "", "agent_at_ns": NO_AGENT_NS, "agent": "",
        "started_ns": 1_000_000_000, "ended_ns": 2_000_000_000, "status_at_ns": 2_000_000_000, "status": "Ok",
        "model_at_ns": 0, "model": "", **{name: 0 for name in SUMS},
    }
    row.update(fields)
    return row


def test_partial_rows_of_a_trace_combine_before_the_thread_totals():
    row = thread_row("t-1", [
        rollup("a", span_count=2, llm_count=1, llm_duration_ns=3_000_000, input_token_sum=10, cost_sum=0.25),
        rollup("a", span_count=1, error_count=1, started_ns=500_000_000, status_at_ns=2_500_000_000, status="Error"),
        rollup("b", span_count=4, llm_count=1, llm_duration_ns=1_000_000, input_token_sum=5, cost_sum=0.5,
               ended_ns=9_000_000_000),
    ])
    assert row is not None
    assert (row["traces"], row["spans"], row["error_count"], row["success_count"]) == (2, 7, 1, 6)
    assert (row["input_tokens"], row["total_cost"], row["llm_calls"]) == (15, 0.75, 2)
    assert (row["first_seen_ns"], row["last_seen_ns"], row["duration_ms"]) == (500_000_000, 9_000_000_000, 8500)
    assert row["avg_llm_latency_ms"] == 2.0 and row["avg_tool_latency_ms"] is None
    assert row["latest_status"] == "Error"


def test_a_trace_whose_spans_name_a_greater_thread_belongs_to_that_one():
    rows = [rollup("a", "t-1", span_count=1), rollup("a", "t-9", span_count=1), rollup("b", "t-1", span_count=5)]
    row = thread_row("t-1", rows)
    assert row is not None and (row["traces"], row["spans"]) == (1, 5)
    assert thread_row("t-1", rows[:2]) is None
    assert thread_row("t-1", []) is None


def test_latest_and_first_are_chosen_by_time_then_by_text():
    row = thread_row("t-1", [
        rollup("a", agent_at_ns=5, agent="zeta", model_at_ns=7, model="gpt-4o", user="u-1"),
        rollup("b", agent_at_ns=5, agent="alpha", model_at_ns=7, model="gpt-4o-mini", user="u-2"),
        rollup("c", model_at_ns=0, model="", user=""),  # no agent, no model call
    ])
    assert row is not None
    assert (row["agent_name"], row["latest_model"], row["user_id"]) == ("alpha", "gpt-4o-mini", "u-2")
    alone = thread_row("t-1", [rollup("c")])
    assert alone is not None and (alone["agent_name"], alone["latest_model"]) == ("", "")


def test_duration_counts_whole_milliseconds_as_clickhouse_cuts_them():
    row = thread_row("t-1", [rollup("a", started_ns=1_999_999, ended_ns=3_000_001)])
    assert row is not None and row["duration_ms"] == 2  # 3 ms - 1 ms, not 1.000002 ms rounded


def test_sums_past_uint64_are_not_wrapped():
    row = thread_row("t-1", [rollup("a", output_token_sum=2**64 - 1), rollup("b", output_token_sum=2)])
    assert row is not None and row["output_tokens"] == 2**64 + 1  # the API then shows it saturated
