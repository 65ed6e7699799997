"""Timeline documents of one or more traces, read from the store: what `GET /api/v1/traces/{id}`
serves, and what `GET /api/v1/threads/{id}` serves for each turn.

One query for the spans of all the traces (`sql/trace_spans.sql`), bounded by the traces' time
range (which the caller usually has; else `sql/trace_bounds.sql` reads it); then, side by side and only
when needed, one for the message text they reference by hash, one for the totals, thread, user
and agent of a trace cut at `max_spans` (trace_rollup), and one for the GenAI log events that
may carry the messages of a model call that has none of its own.
`timeline.py` turns the rows into documents. Each query costs a few ms whatever it reads, so
what the spans themselves tell (a whole trace's thread, user and agent, and its time range) is
taken from them rather than asked again."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spanhouse.query.reader import Reader, Row
from spanhouse.query.timeline import (
    attach_log_messages,
    build_timeline,
    content_hashes,
    inflate_content,
    lacks_messages,
    resolve_trace_context,
    rollup_totals,
)

MAX_EVENTS = 20_000


@dataclass(frozen=True, slots=True)
class TraceContext:
    """What trace_rollup tells of a trace before its spans are read."""

    thread_id: str  # '' outside a thread
    bounds: tuple[int, int] | None  # (first span start, last span end) in ns; None: trace_rollup has no row
    span_count: int
    llm_count: int  # spans of category LLM


NO_CONTEXT = TraceContext("", None, 0, 0)


async def trace_context(reader: Reader, tenant: str, trace_id: str) -> TraceContext:
    """The thread a trace belongs to, its time range, span and model call counts, from trace_rollup.

    With no row there (an unknown trace, or rollups kept for less time than spans), load_timelines
    reads the range from otel_traces_trace_id_ts.
    """
    rows = await reader.rows("trace_context", {"tenant": tenant, "trace_id": trace_id})
    if not rows:
        return NO_CONTEXT
    return TraceContext(max(row["thread_id"] for row in rows),
                        (min(row["start_ns"] for row in rows), max(row["end_ns"] for row in rows)),
                        sum(row["span_count"] for row in rows), sum(row["llm_count"] for row in rows))


async def load_timelines(reader: Reader, tenant: str, trace_ids: Sequence[str], *, max_spans: int,
                         span_counts: Mapping[str, int] | None = None,
                         bounds: tuple[int, int] | None = None,
                         prefetch_log_events: bool = False) -> dict[str, dict[str, Any]]:
    """Timeline documents by trace id; a trace without spans has none.

    Args:
        reader: runs the queries.
        tenant: whose traces.
        trace_ids: lower-case hex ids.
        max_spans: at most this many spans in all; the traces that started last lose spans
            first and are marked `truncated`.
        span_counts: span count of each trace from trace_rollup, when the caller has it: a trace
            listed with fewer spans is truncated. Without it, every trace is marked truncated when
            the limit cut spans. It also spares reading spans that the limit would cut.
        bounds: (first span start, last span end) in ns over all the traces, from trace_rollup,
            when the caller has it; without it, otel_traces_trace_id_ts is asked first. A span
            outside it (stored after the caller read it) is not listed.
        prefetch_log_events: read the traces' GenAI log events at the same time as their spans,
            when the caller expects a model call without messages of its own (trace_rollup counts
            model calls; the OTel GenAI instrumentations send messages as log events). A lookup
            then waits for one query fewer after the spans; when no call lacks messages, the
            events read are not used. Only with span_counts that fit in max_spans.
    """
    if not trace_ids:
        return {}
    if bounds is None:
        found = await reader.rows("trace_bounds", {"tenant": tenant, "trace_ids": list(trace_ids)})
        if not found:
            return {}
        bounds = (found[0]["start_ns"], found[0]["end_ns"])
    expected = None
    if span_counts is not None and all(trace_id in span_counts for trace_id in trace_ids):
        expected = sum(span_counts[trace_id] for trace_id in trace_ids)
    spans = _spans(reader, tenant, trace_ids, max_spans=max_spans, bounds=bounds, expected=expected)
    early_events: dict[str, list[Row]] | None = None
    if prefetch_log_events and expected is not None and expected <= max_spans:
        # Read with the spans, not after them: a whole timeline's events, over its known range. The
        # spans take longer, so waiting for both costs no time.
        (rows, limited), early_events = await asyncio.gather(spans, _events_between(reader, tenant, trace_ids,
                                                                                      *bounds))
    else:
        rows, limited = await spans
    by_trace: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_trace[row["TraceId"]].append(row)
    truncated: dict[str, bool] = {}
    for trace_id, trace_rows in by_trace.items():
        if span_counts is not None and trace_id in span_counts:
            truncated[trace_id] = limited and len({row["SpanId"] for row in trace_rows}) < span_counts[trace_id]
        else:
            truncated[trace_id] = limited
    # the traces with a model call carrying no messages of its own, which GenAI log events may hold
    wanting = {trace_id: trace_rows for trace_id, trace_rows in by_trace.items()
               if any(lacks_messages(row) for row in trace_rows)}
    # What the spans do not hold, asked for side by side: each query's fixed cost dwarfs its reading.
    texts, rollups, events = await asyncio.gather(
        _texts(reader, tenant, content_hashes(rows)),
        # a trace whose spans are not all listed: its totals, thread, user and agent from trace_rollup
        _rollups(reader, tenant, [trace_id for trace_id, is_cut in truncated.items() if is_cut]),
        _log_events(reader, tenant, wanting, read=early_events))
    if texts:
        inflate_content(rows, texts)
    docs: dict[str, dict[str, Any]] = {}
    for trace_id, trace_rows in by_trace.items():
        rollup = rollups.get(trace_id)
        context = ((rollup["thread_id"], rollup["user_id"], rollup["agent_name"]) if rollup is not None
                   else resolve_trace_context(trace_rows))
        for row in trace_rows:
            row["TraceThreadId"], row["TraceUserId"], row["TraceAgentName"] = context
        doc = build_timeline(trace_id, trace_rows, truncated=truncated[trace_id])
        if doc is not None:
            if rollup is not None:
                doc["totals"] = rollup_totals(rollup)
            if trace_id in events:
                attach_log_messages(doc, events[trace_id])
            docs[trace_id] = doc
    return docs


async def _spans(reader: Reader, tenant: str, trace_ids: Sequence[str], *, max_spans: int,
                 bounds: tuple[int, int], expected: int | None) -> tuple[list[Row], bool]:
    """The traces' spans by start time, at most max_spans of them, and whether that limit cut some.

    trace_spans.sql reads them in no order (see there). Asked for one row more than the limit, it
    tells whether the traces hold more, and only then is the cut read: the start of the last span
    kept. When trace_rollup's count already says there are more (`expected`), the first read is
    skipped. Spans starting in the same nanosecond as the last one kept are kept or not at random.
    """
    parameters: dict[str, Any] = {"tenant": tenant, "trace_ids": list(trace_ids),
                                  "start_ns": bounds[0], "end_ns": bounds[1]}
    if expected is None or expected <= max_spans:
        rows = await reader.rows("trace_spans", {**parameters, "max_spans": max_spans + 1})
        if len(rows) <= max_spans:
            rows.sort(key=_by_start)
            return rows, False
    cut = await reader.rows("trace_spans_cutoff", {**parameters, "offset": max_spans - 1})
    if cut:
        parameters["end_ns"] = cut[0]["start_ns"]
    rows = await reader.rows("trace_spans", {**parameters, "max_spans": max_spans})
    rows.sort(key=_by_start)
    return rows, True


def _by_start(row: Row) -> tuple[int, str]:
    return row["StartNs"], row["SpanId"]


async def _texts(reader: Reader, tenant: str, hashes: list[int]) -> dict[int, str]:
    if not hashes:
        return {}
    return {text["hash"]: text["content"] for text in await reader.rows("trace_content", {"tenant": tenant,
                                                                                         "hashes": hashes})}


async def _rollups(reader: Reader, tenant: str, trace_ids: list[str]) -> dict[str, Row]:
    if not trace_ids:
        return {}
    return {row["trace_id"]: row for row in await reader.rows("trace_totals", {"tenant": tenant,
                                                                                "trace_ids": trace_ids})}


async def _log_events(reader: Reader, tenant: str, wanting: Mapping[str, list[Row]],
                      read: Mapping[str, list[Row]] | None = None) -> dict[str, list[Row]]:
    """GenAI log events by trace, in time order, for the traces in `wanting` (their span rows).

    Bounded by the listed spans' time range: events attach only to spans the document lists.
    `read`: the events of the traces' whole range, read already (`prefetch_log_events`).
    """
    if not wanting:
        return {}
    if read is None:
        read = await _events_between(reader, tenant, list(wanting),
                                     min(row["StartNs"] for rows in wanting.values() for row in rows),
                                     max(row["StartNs"] + row["Duration"] for rows in wanting.values() for row in rows))
    return {trace_id: read.get(trace_id, []) for trace_id in wanting}


async def _events_between(reader: Reader, tenant: str, trace_ids: Sequence[str], start_ns: int, end_ns: int
                          ) -> dict[str, list[Row]]:
    by_trace: dict[str, list[Row]] = defaultdict(list)
    for event in await reader.rows("trace_genai_events", {"tenant": tenant, "trace_ids": list(trace_ids),
                                                          "max_events": MAX_EVENTS, "start_ns": start_ns,
                                                          "end_ns": end_ns}):
        by_trace[event["TraceId"]].append(event)
    return by_trace
