"""What `GET /api/v1/traces/{id}` answers: a trace's timeline with its thread's summary.

trace_rollup tells the trace's thread, time range and counts in one cheap read
(trace_docs.trace_context); with them the spans, the thread's summary and, for a trace with model
calls, its GenAI log events are read at once (on idle cores, the lookup takes the longest of them,
not the sum), and the spans' read needs no subquery for its range."""

from __future__ import annotations

import asyncio
from typing import Any

from spanhouse.query.reader import Reader
from spanhouse.query.threads import thread_summary
from spanhouse.query.trace_docs import load_timelines, trace_context


async def trace_page(reader: Reader, tenant: str, trace_id: str, *, max_spans: int) -> dict[str, Any] | None:
    """The trace's timeline document with `thread` set (None outside a thread); None for no such trace."""
    context = await trace_context(reader, tenant, trace_id)
    thread_id = context.thread_id
    spans = load_timelines(reader, tenant, [trace_id], max_spans=max_spans, bounds=context.bounds,
                           span_counts={trace_id: context.span_count} if context.bounds else None,
                           prefetch_log_events=context.llm_count > 0)
    summary: dict[str, Any] | None = None
    if thread_id:
        timelines, summary = await asyncio.gather(spans, thread_summary(reader, tenant, thread_id))
    else:
        timelines = await spans
    timeline: dict[str, Any] | None = timelines.get(trace_id)
    if timeline is None:
        return None
    # The spans resolve another thread: one naming it arrived after trace_rollup was read, or
    # trace_rollup held no row of the trace.
    if (timeline["thread_id"] or "") != thread_id:
        thread_id = timeline["thread_id"] or ""
        summary = await thread_summary(reader, tenant, thread_id) if thread_id else None
    timeline["thread"] = summary
    return timeline
