"""Timeline documents of one or more traces, read from the store: what `GET /api/v1/traces/{id}`
serves, and what `GET /api/v1/threads/{id}` serves for each turn.

One query for the spans of all the traces (`sql/trace_spans.sql`); then, only when needed, one for
the message text they reference by hash, one for the totals, thread, user and agent of a trace
cut at `max_spans` (trace_rollup), and one for the GenAI log events that may carry the messages
of a model call that has none of its own. `timeline.py` turns the rows into documents. Each
query costs a few ms whatever it reads, so what the spans themselves tell (a whole trace's
thread, user and agent, and its time range) is taken from them rather than asked again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from spanhouse.query.reader import Reader, Row
from spanhouse.query.timeline import (
    attach_log_messages,
    build_timeline,
    content_hashes,
    inflate_content,
    needs_log_messages,
    resolve_trace_context,
    rollup_totals,
)

MAX_EVENTS = 20_000


async def load_timelines(reader: Reader, tenant: str, trace_ids: Sequence[str], *, max_spans: int,
                         span_counts: Mapping[str, int] | None = None) -> dict[str, dict[str, Any]]:
    """Timeline documents by trace id; a trace without spans has none.

    Args:
        reader: runs the queries.
        tenant: whose traces.
        trace_ids: lower-case hex ids.
        max_spans: at most this many spans in all; the traces that started last lose spans
            first and are marked `truncated`.
        span_counts: span count of each trace from trace_rollup, when the caller has it: a trace
            listed with fewer spans is truncated. Without it, every trace is marked truncated when
            the limit was reached.
    """
    if not trace_ids:
        return {}
    rows = await reader.rows("trace_spans", {"tenant": tenant, "trace_ids": list(trace_ids), "max_spans": max_spans})
    hashes = content_hashes(rows)
    if hashes:
        texts = await reader.rows("trace_content", {"tenant": tenant, "hashes": hashes})
        inflate_content(rows, {text["hash"]: text["content"] for text in texts})
    by_trace: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_trace[row["TraceId"]].append(row)
    limited = len(rows) >= max_spans
    truncated: dict[str, bool] = {}
    for trace_id, trace_rows in by_trace.items():
        if span_counts is not None and trace_id in span_counts:
            truncated[trace_id] = limited and len({row["SpanId"] for row in trace_rows}) < span_counts[trace_id]
        else:
            truncated[trace_id] = limited
    # A trace whose spans are not all listed: its totals, thread, user and agent from trace_rollup.
    rollups: dict[str, Row] = {}
    if any(truncated.values()):
        cut = [trace_id for trace_id, is_cut in truncated.items() if is_cut]
        rollups = {row["trace_id"]: row for row in await reader.rows("trace_totals", {"tenant": tenant,
                                                                                      "trace_ids": cut})}
    docs: dict[str, dict[str, Any]] = {}
    ranges: dict[str, tuple[int, int]] = {}
    for trace_id, trace_rows in by_trace.items():
        rollup = rollups.get(trace_id)
        if rollup is not None:
            context = rollup["thread_id"], rollup["user_id"], rollup["agent_name"]
            ranges[trace_id] = rollup["start_ns"], rollup["end_ns"]
        else:
            context = resolve_trace_context(trace_rows)
            ranges[trace_id] = (min(row["StartNs"] for row in trace_rows),
                                max(row["StartNs"] + row["Duration"] for row in trace_rows))
        for row in trace_rows:
            row["TraceThreadId"], row["TraceUserId"], row["TraceAgentName"] = context
        doc = build_timeline(trace_id, trace_rows, truncated=truncated[trace_id])
        if doc is not None:
            if rollup is not None:
                doc["totals"] = rollup_totals(rollup)
            docs[trace_id] = doc
    wanting = [trace_id for trace_id, doc in docs.items() if needs_log_messages(doc)]
    if wanting:
        events = await reader.rows("trace_genai_events", {
            "tenant": tenant, "trace_ids": wanting, "max_events": MAX_EVENTS,
            "start_ns": min(ranges[trace_id][0] for trace_id in wanting),
            "end_ns": max(ranges[trace_id][1] for trace_id in wanting)})
        by_trace_events: dict[str, list[Row]] = defaultdict(list)
        for event in events:
            by_trace_events[event["TraceId"]].append(event)
        for trace_id in wanting:
            attach_log_messages(docs[trace_id], by_trace_events.get(trace_id, []))
    return docs
