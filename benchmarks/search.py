"""`python -m benchmarks.search`: latency of the trace and thread endpoints' queries at size.

`--spans` synthetic spans over the last 30 days (benchmarks/sql/synthetic_month.sql, through the
real materialized views: traces of 7 spans, a thread per 5 traces), then p50 / p90 of what each
endpoint runs, called the way its handler calls it (the trace and thread timelines through
trace_docs.load_timelines). The thread_activity view is timed for comparison with the thread list.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.stores import fresh_database
from spanhouse.query import threads
from spanhouse.query.reader import Reader
from spanhouse.query.trace_docs import load_timelines

SQL = Path(__file__).parent / "sql"
HOUR_NS = 3600 * 10**9
VIEW = ("SELECT * FROM thread_activity WHERE tenant = 'default' "
        "AND last_seen >= fromUnixTimestamp64Nano({start:Int64}) ORDER BY last_seen DESC, thread_id DESC LIMIT 51")


def cases(reader: Reader, now: int) -> dict[str, Callable[[], Awaitable[Any]]]:
    search: dict[str, Any] = {
        "tenant": "default", "end_ns": now, "service": "", "agent": "", "model": "", "user": "", "thread": "",
        "category": "", "status": "", "min_duration_ns": 0, "min_tokens": 0, "min_cost": 0.0, "attr_keys": [],
        "attr_values": [], "sort": "start", "descending": 1, "after": 0, "after_key": 0, "after_id": "", "limit": 51}
    listing = {"tenant": "default", "end_ns": now, "agent": "", "user": "", "model": "", "min_duration_ms": 0.0,
               "min_tokens": 0, "min_cost": 0.0, "has_errors": "", "sort": "last_seen", "descending": 1,
               "after": 0, "after_key": 0, "after_id": "", "limit": 51}
    trace_id = reader.rows_sync("search_traces", {**search, "start_ns": now - HOUR_NS})[0]["trace_id"]
    thread_id = reader.rows_sync("threads", {**listing, "start_ns": now - 24 * HOUR_NS})[0]["thread_id"]

    async def find(**extra: Any) -> None:
        rows = (await reader.rows("search_traces", {**search, **extra}))[:50]
        await reader.rows("trace_details", {
            "tenant": "default", "trace_ids": [row["trace_id"] for row in rows],
            "start_ns": min(row["start_ns"] for row in rows), "end_ns": max(row["end_ns"] for row in rows)})

    async def trace() -> None:
        docs = await load_timelines(reader, "default", [trace_id], max_spans=50_000)
        await threads.thread_summary(reader, "default", docs[trace_id]["thread_id"])

    async def thread() -> None:
        await threads.thread_summary(reader, "default", thread_id)
        turns = await reader.rows("thread_turns", {"tenant": "default", "thread_id": thread_id, "after": 0,
                                                   "after_start_ns": 0, "after_id": "", "limit": 21})
        await load_timelines(reader, "default", [turn["trace_id"] for turn in turns], max_spans=20_000)

    return {
        "GET /traces/{id}: spans + thread summary": trace,
        "GET /threads/{id}: summary, turns, their spans": thread,
        "GET /traces: 1 h": lambda: find(start_ns=now - HOUR_NS),
        "GET /traces: 1 h, model and status": lambda: find(start_ns=now - HOUR_NS, model="gpt-4o", status="error"),
        "GET /traces: 24 h, by cost": lambda: find(start_ns=now - 24 * HOUR_NS, sort="cost"),
        "GET /traces: 24 h, agent and user": lambda: find(start_ns=now - 24 * HOUR_NS, agent="planner", user="user-3"),
        "GET /traces: 7 d, by duration": lambda: find(start_ns=now - 168 * HOUR_NS, sort="duration"),
        "GET /threads: 24 h": lambda: reader.rows("threads", {**listing, "start_ns": now - 24 * HOUR_NS}),
        "GET /threads: 7 d, by tokens": lambda: reader.rows("threads", {**listing, "start_ns": now - 168 * HOUR_NS,
                                                                         "sort": "tokens"}),
    }


async def measure(reader: Reader, runs: int, now: int) -> dict[str, tuple[float, float]]:
    results = {}
    for name, case in cases(reader, now).items():
        await case()  # warm the caches once, as a dashboard asking again would
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            await case()
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        results[name] = (statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.9))])
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="spanhouse-bench-") as data:
        client = fresh_database(f"chdb://{data}", "search")
        load = (SQL / "synthetic_month.sql").read_text()
        for first in range(0, args.spans, 1_000_000):
            client.command(load, parameters={"first": first, "rows": min(1_000_000, args.spans - first)})
        now = time.time_ns()
        reader = Reader(client)
        results = asyncio.run(measure(reader, args.runs, now))
        client.query(VIEW, parameters={"start": now - 24 * HOUR_NS})
        view = []
        for _ in range(max(3, args.runs // 3)):
            started = time.perf_counter()
            client.query(VIEW, parameters={"start": now - 24 * HOUR_NS})
            view.append((time.perf_counter() - started) * 1000)
        results["thread_activity view: 24 h (comparison)"] = (statistics.median(view), max(view))
        client.close()
    print(f"trace and thread queries over {args.spans:,} spans in 30 days ({args.runs} runs each):")
    for name, (p50, p90) in results.items():
        print(f"  {name:48} p50 {p50:7.1f} ms   p90 {p90:7.1f} ms")


if __name__ == "__main__":
    main()
