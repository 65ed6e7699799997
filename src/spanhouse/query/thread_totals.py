"""One thread's summary row, totalled from its traces' trace_rollup rows (sql/thread_rollup_rows.sql).

The same figures as a row of sql/threads.sql (the `thread_activity` view's columns), computed the
same way in two steps: a trace's partial rows (parts not merged yet) are combined as the
SimpleAggregateFunction columns say (max, min, sum), the trace belongs to the thread its spans
resolve it to (the greatest thread id named), and the thread totals its traces. Tuples of
(time in ns, text) compare as ClickHouse compares them: time first, then the text (Python orders
str by code point, and UTF-8 bytes in the same order).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spanhouse.query.reader import Row
from spanhouse.query.timeline import NS_PER_MS

SUMS = ("span_count", "llm_count", "tool_count", "retrieval_count", "embedding_count", "input_token_sum",
        "output_token_sum", "total_token_sum", "cost_sum", "error_count", "llm_duration_ns", "tool_duration_ns")


class _Trace:
    __slots__ = ("agent", "ended_ns", "model", "started_ns", "status", "sums", "thread", "user")

    def __init__(self, row: Row) -> None:
        self.thread: str = row["thread"]
        self.user: str = row["user"]
        self.agent: tuple[int, str] = (row["agent_at_ns"], row["agent"])
        self.started_ns: int = row["started_ns"]
        self.ended_ns: int = row["ended_ns"]
        self.status: tuple[int, str] = (row["status_at_ns"], row["status"])
        self.model: tuple[int, str] = (row["model_at_ns"], row["model"])
        self.sums: list[Any] = [row[name] for name in SUMS]

    def add(self, row: Row) -> None:
        self.thread = max(self.thread, row["thread"])
        self.user = max(self.user, row["user"])
        self.agent = min(self.agent, (row["agent_at_ns"], row["agent"]))
        self.started_ns = min(self.started_ns, row["started_ns"])
        self.ended_ns = max(self.ended_ns, row["ended_ns"])
        self.status = max(self.status, (row["status_at_ns"], row["status"]))
        self.model = max(self.model, (row["model_at_ns"], row["model"]))
        self.sums = [total + row[name] for total, name in zip(self.sums, SUMS, strict=True)]


def thread_row(thread_id: str, rows: Iterable[Row]) -> Row | None:
    """The thread's summary, keyed as sql/threads.sql's columns; None when none of the traces
    resolves to `thread_id` (a trace naming it in one span may name a greater thread in another)."""
    traces: dict[str, _Trace] = {}
    for row in rows:
        trace = traces.get(row["trace_id"])
        if trace is None:
            traces[row["trace_id"]] = _Trace(row)
        else:
            trace.add(row)
    turns = [trace for trace in traces.values() if trace.thread == thread_id]
    if not turns:
        return None
    totals = dict(zip(SUMS, (sum(column) for column in zip(*(turn.sums for turn in turns), strict=True)),
                      strict=True))
    first_ns = min(turn.started_ns for turn in turns)
    last_ns = max(turn.ended_ns for turn in turns)
    llm, tool = totals["llm_count"], totals["tool_count"]
    return {
        "thread_id": thread_id,
        "first_seen_ns": first_ns,
        "last_seen_ns": last_ns,
        # whole milliseconds apart, as toUnixTimestamp64Milli cuts them
        "duration_ms": max(last_ns // NS_PER_MS - first_ns // NS_PER_MS, 0),
        "traces": len(turns),
        "spans": totals["span_count"],
        "llm_calls": llm,
        "tool_calls": tool,
        "retrieval_calls": totals["retrieval_count"],
        "embedding_calls": totals["embedding_count"],
        "input_tokens": totals["input_token_sum"],
        "output_tokens": totals["output_token_sum"],
        "total_tokens": totals["total_token_sum"],
        "total_cost": totals["cost_sum"],
        "error_count": totals["error_count"],
        "success_count": totals["span_count"] - totals["error_count"],
        "latest_status": max(turn.status for turn in turns)[1],
        "latest_model": max(turn.model for turn in turns)[1],
        "agent_name": min(turn.agent for turn in turns)[1],
        "user_id": max(turn.user for turn in turns),
        "avg_llm_latency_ms": totals["llm_duration_ns"] / llm / 1e6 if llm else None,
        "avg_tool_latency_ms": totals["tool_duration_ns"] / tool / 1e6 if tool else None,
    }
