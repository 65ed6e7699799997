"""Timeline documents of one or more traces, read from the store: what `GET /api/v1/traces/{id}`
serves, and what `GET /api/v1/threads/{id}` serves for each turn.

One query for the spans of all the traces (`sql/trace_spans.sql`), one for the message text they
reference by hash, and, only when a model call has no messages of its own, one for the GenAI log
events that may carry them. `timeline.py` turns the rows into documents.
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
    docs: dict[str, dict[str, Any]] = {}
    for trace_id, trace_rows in by_trace.items():
        if span_counts is not None and trace_id in span_counts:
            truncated = limited and len({row["SpanId"] for row in trace_rows}) < span_counts[trace_id]
        else:
            truncated = limited
        doc = build_timeline(trace_id, trace_rows, truncated=truncated)
        if doc is not None:
            docs[trace_id] = doc
    wanting = [trace_id for trace_id, doc in docs.items() if needs_log_messages(doc)]
    if wanting:
        events = await reader.rows("trace_genai_events",
                                   {"tenant": tenant, "trace_ids": wanting, "max_events": MAX_EVENTS})
        by_trace_events: dict[str, list[Row]] = defaultdict(list)
        for event in events:
            by_trace_events[event["TraceId"]].append(event)
        for trace_id in wanting:
            attach_log_messages(docs[trace_id], by_trace_events.get(trace_id, []))
    truncated_ids = [trace_id for trace_id, doc in docs.items() if doc["truncated"]]
    if truncated_ids:
        # The listed spans are not all of the trace: its totals come from trace_rollup.
        for row in await reader.rows("trace_totals", {"tenant": tenant, "trace_ids": truncated_ids}):
            docs[row["trace_id"]]["totals"] = rollup_totals(row)
    return docs
