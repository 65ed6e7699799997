"""Self time and the critical path of a trace's span tree (pure; times in ns).

Self time of a span: its duration minus the union of its children's intervals, each clipped to
the span's own interval. Overlapping (parallel) children are counted once, and the part of an
async child that runs after its parent ended is not subtracted, so self time is never negative
and is the time during which the span was running with none of its children running.

Critical path: the chain of work that determines when the trace ends, walked backwards from
the end, as Jaeger's critical path is, with async children allowed to outlive their parents:

* The *reach* of a span is the latest end among it and all its descendants: an async child
  that outlives its parent extends the parent's reach, so a fire-and-forget task that ends last
  is what the trace waited for.
* Walk(span, lo, t) explains the interval [lo, t] of a span (t <= its reach). With a cursor at
  t it repeatedly picks, among the children that started before the cursor, the one whose
  reach (clipped to the cursor) is latest — the child that was running, or ended last, just
  before the cursor; ties go to the longer reach, then the smaller span id. The time between
  that child's clipped reach and the cursor is the span's own; the child is walked on
  [max(child start, lo), clipped reach]; the cursor moves to the child's start. When no child
  started before the cursor, or the best one ended by `lo`, [lo, cursor] is the span's own.
* The trace is walked from a virtual root spanning [trace start, trace end] whose children are
  the roots (orphans included), so traces with several roots and gaps between them are covered.
  (A child that starts before its parent, clock skew, is walked from its parent's start on.)

A span is on the critical path when the walk visits it (`critical_path`); `critical_path_ns` is
the time attributed to it. The attributed times of a trace's spans and of the gaps (time no span
was running, attributed to the virtual root) add up to the trace's wall time exactly. A child
skipped because a sibling that ended later covers its whole interval is not on the path.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Interval = tuple[int, int]  # (start, end), end >= start


@dataclass(frozen=True, slots=True)
class CriticalPath:
    attributed_ns: dict[str, int]  # span id -> ns of the path attributed to it; keys: the spans on the path
    gaps_ns: int  # time on the path during which no span ran


def self_time_ns(span: Interval, children: Sequence[Interval]) -> int:
    """The span's duration minus the union of its children's intervals clipped to it."""
    start, end = span
    clipped = sorted((max(s, start), min(e, end)) for s, e in children if min(e, end) > max(s, start))
    covered = 0
    run_start = run_end = start
    for s, e in clipped:
        if s > run_end:
            covered += run_end - run_start
            run_start, run_end = s, e
        else:
            run_end = max(run_end, e)
    covered += run_end - run_start
    return (end - start) - covered


def critical_path(intervals: Mapping[str, Interval], children: Mapping[str, Sequence[str]],
                  roots: Sequence[str], order: Sequence[str]) -> CriticalPath:
    """The critical path of a span tree.

    Args:
        intervals: span id -> (start, end).
        children: span id -> its children in the tree (no cycles: every span has one parent at most).
        roots: the spans without a parent in the tree.
        order: every span id, each after its parent (a depth-first listing), to compute reaches bottom-up.
    """
    if not roots:
        return CriticalPath({}, 0)
    reach: dict[str, int] = {}
    for node in reversed(order):
        reach[node] = max([intervals[node][1], *(reach[child] for child in children.get(node, ()))])
    trace_start = min(intervals[node][0] for node in order)
    trace_end = max(reach[root] for root in roots)

    attributed: dict[str, int] = {}
    gaps = 0

    def candidates(kids: Sequence[str]) -> list[tuple[int, str, int]]:
        heap = [(-reach[kid], kid, intervals[kid][0]) for kid in kids]
        heapq.heapify(heap)
        return heap

    # Frames [span id or None for the virtual root, lo, cursor, candidate heap]; iterative, as
    # traces can be deeper than Python's recursion limit.
    stack: list[tuple[str | None, int, list[int], list[tuple[int, str, int]]]] = [
        (None, trace_start, [trace_end], candidates(roots))]
    while stack:
        span_id, lo, cursor, heap = stack[-1]
        t = cursor[0]
        chosen: tuple[str, int, int] | None = None
        while heap:
            negative_reach, kid, kid_start = heap[0]
            if kid_start >= t:  # started at or after the cursor: it never will be before it again
                heapq.heappop(heap)
                continue
            if min(-negative_reach, t) <= lo:
                break
            heapq.heappop(heap)
            chosen = (kid, kid_start, min(-negative_reach, t))
            break
        own = t - (chosen[2] if chosen else lo)
        if span_id is None:
            gaps += own
        else:
            attributed[span_id] = attributed.get(span_id, 0) + own
        if chosen is None:
            stack.pop()
            continue
        kid, kid_start, kid_end = chosen
        kid_lo = max(kid_start, lo)
        cursor[0] = kid_lo
        attributed.setdefault(kid, 0)
        stack.append((kid, kid_lo, [kid_end], candidates(children.get(kid, ()))))
    return CriticalPath(attributed, gaps)
