"""Where trace-lookup time goes: each step of `GET /api/v1/traces/{id}` alone, then the whole request.

`python -m benchmarks.lookup_breakdown [--rows N] [--store DIR]` loads N synthetic spans (7 per
trace, as `benchmarks/sql/synthetic_spans.sql` makes them) into a store, starts spanhouse on it in
this process, and times random trace lookups: chDB's fixed cost per query (`SELECT 1`), each query
the handler runs, the Python that turns rows into the document, and the request over HTTP. Each
line gives wall p50/p99 and the CPU time this process spent per call (all threads: chDB's too),
which a busy machine disturbs less than wall time. `--store DIR` keeps the store for the next run
(it is loaded only while empty), so a change to the queries can be judged without reloading.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import random
import resource
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import orjson

from spanhouse.query import trace_docs
from spanhouse.query.reader import Reader
from spanhouse.query.timeline import build_timeline
from spanhouse.query.trace_page import trace_page
from spanhouse.settings import Settings
from spanhouse.store.client import connect
from tests.conftest import RunningServer

SQL = Path(__file__).parent / "sql" / "synthetic_spans.sql"
SPANS_PER_TRACE = 7
LOAD_STEP = 2_100_000  # whole traces per insert keeps memory modest


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(name: str, keys: list[Any], call: Callable[[Any], object]) -> None:
    for key in keys[:3]:  # warm the caches
        call(key)
    times = []
    cpu_before = cpu_s()
    for key in keys:
        started = time.perf_counter()
        call(key)
        times.append((time.perf_counter() - started) * 1000)
    cpu_ms = (cpu_s() - cpu_before) * 1000 / len(keys)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"  {name:<44} p50 {times[len(times) // 2]:6.1f} ms  p99 {p99:6.1f} ms  CPU {cpu_ms:6.1f} ms/call",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=700_000, help="synthetic spans to load (default 700k)")
    parser.add_argument("--store", type=Path, help="keep the store in DIR (loaded only while empty)")
    parser.add_argument("--lookups", type=int, default=200, help="random traces looked up per step (default 200)")
    args = parser.parse_args()
    with ExitStack() as stack:
        path = args.store or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="spanhouse-lookup-")))
        settings = Settings(clickhouse_dsn=f"chdb://{path}", otlp_grpc_port=0, otlp_http_port=0, api_port=0,
                            retention_raw_days=0)
        server = stack.enter_context(RunningServer(settings))
        client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
        stored = client.query("SELECT count() FROM otel_traces").result_rows[0][0]
        if not stored:
            started = time.perf_counter()
            for first in range(0, args.rows, LOAD_STEP):
                client.command(SQL.read_text(), parameters={"first": first, "rows": min(LOAD_STEP, args.rows - first)})
            stored = client.query("SELECT count() FROM otel_traces").result_rows[0][0]
            print(f"loaded {stored:,} spans in {time.perf_counter() - started:.0f} s")
        rng = random.Random(7)
        ids = [hashlib.md5(f"trace-{rng.randrange(stored // SPANS_PER_TRACE)}".encode()).hexdigest()
               for _ in range(args.lookups)]
        print(f"{stored / 1e6:.1f}M spans stored, {args.lookups} random traces, load average "
              f"{os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")

        # As many clients as the server's reader has (SPANHOUSE_QUERY_CONNECTIONS).
        readers = [connect(settings.clickhouse_dsn, settings.clickhouse_database)
                   for _ in range(settings.query_connections)]
        reader = Reader(*readers)
        tenant = {"tenant": "default"}
        # One event loop for every call, as the server has: a loop per call would pay for new worker
        # threads each time (anyio's thread pool belongs to the loop).
        loop = stack.enter_context(contextlib.closing(asyncio.new_event_loop()))
        contexts = {t: loop.run_until_complete(trace_docs.trace_context(reader, "default", t)) for t in ids}
        ranges = {t: {"start_ns": c.bounds[0], "end_ns": c.bounds[1]} for t, c in contexts.items() if c.bounds}
        spans = {t: reader.rows_sync("trace_spans", {**tenant, "trace_ids": [t], "max_spans": 50_000, **ranges[t]})
                 for t in ids}
        timed("chDB fixed cost (SELECT 1)", ids, lambda t: client.query("SELECT 1"))
        timed("query trace_context (thread id, time range)", ids, lambda t: reader.rows_sync(
            "trace_context", {**tenant, "trace_id": t}))
        timed("query trace_bounds (when trace_rollup has no row)", ids, lambda t: reader.rows_sync(
            "trace_bounds", {**tenant, "trace_ids": [t]}))
        timed("query trace_spans", ids, lambda t: reader.rows_sync(
            "trace_spans", {**tenant, "trace_ids": [t], "max_spans": 50_000, **ranges[t]}))
        timed("query trace_genai_events (model calls w/o messages)", ids, lambda t: reader.rows_sync(
            "trace_genai_events", {**tenant, "trace_ids": [t], "max_events": 20_000, "start_ns": 0, "end_ns": 2**62}))
        timed("query thread_rollup_rows (the thread summary's rows)", ids, lambda t: reader.rows_sync(
            "thread_rollup_rows", {**tenant, "thread_id": contexts[t].thread_id}))
        timed("Python: rows -> document, JSON", ids, lambda t: orjson.dumps(build_timeline(
            t, [{**row, "TraceThreadId": "", "TraceUserId": "", "TraceAgentName": ""} for row in spans[t]])))
        timed("load_timelines (given the range)", ids, lambda t: loop.run_until_complete(
            trace_docs.load_timelines(reader, "default", [t], max_spans=50_000, bounds=contexts[t].bounds)))
        timed("load_timelines (range from trace_bounds)", ids, lambda t: loop.run_until_complete(
            trace_docs.load_timelines(reader, "default", [t], max_spans=50_000)))
        timed("trace_page (the handler: context, then spans + summary + events)", ids,
              lambda t: orjson.dumps(loop.run_until_complete(trace_page(reader, "default", t, max_spans=50_000))))
        with httpx.Client(base_url=server.api, timeout=60) as http:
            timed("GET /api/v1/traces/{id} (server in this process)", ids,
                  lambda t: http.get(f"/api/v1/traces/{t}").raise_for_status())


if __name__ == "__main__":
    main()
