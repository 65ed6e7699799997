"""`python -m benchmarks.query_load`: query API latency over HTTP, alone and while ingest runs at half its maximum.

Steps, against a real `spanhouse serve` on a fresh temporary store:
  1. `--spans` synthetic spans over the last 30 days go into the store through the real
     materialized views (benchmarks/sql/synthetic_month.sql; traces of 7 spans, a thread per 5
     traces), in a process of its own: chDB runs one engine per process;
  2. the server starts on that store; a short saturation run over OTLP/HTTP finds its maximum
     ingest rate (the same AI-shaped requests as `make bench`, fresh trace ids on every send);
  3. for `--seconds`, one client calls the endpoints an on-call engineer and a dashboard call,
     round robin, with nothing else running: trace timeline, thread timeline, trace search
     (1 h, 24 h by cost), thread list (24 h) and the 1 h KPIs;
  4. the same again while 8 senders push spans at half the measured maximum rate.
It prints p50 / p99 per endpoint for both, and the ratio: what ingest costs a query.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks.ingest import Load, Phase, Server, ai_request, http_load
from benchmarks.stores import fresh_database

SQL = Path(__file__).parent / "sql"
DATABASE = "spanhouse"
SPANS_PER_TRACE = 7
TRACES_PER_THREAD = 5  # synthetic_month.sql: thread-N holds traces 5N .. 5N+4


def generate(path: str, spans: int) -> None:
    """Fill a fresh store with `spans` synthetic spans (run in a subprocess)."""
    client = fresh_database(f"chdb://{path}", DATABASE)
    text = (SQL / "synthetic_month.sql").read_text()
    for first in range(0, spans, 1_000_000):
        client.command(text, parameters={"first": first, "rows": min(1_000_000, spans - first)})
    client.close()


def endpoints(spans: int, seed: int = 11) -> dict[str, Callable[[], str]]:
    """Each case names a fresh URL per call: a random trace or thread of the synthetic month."""
    rng = random.Random(seed)
    traces = spans // SPANS_PER_TRACE

    def trace() -> str:
        number = rng.randrange(traces)
        return "/api/v1/traces/" + hashlib.md5(f"trace-{number}".encode()).hexdigest()

    def thread() -> str:
        return f"/api/v1/threads/thread-{rng.randrange(traces // TRACES_PER_THREAD)}"

    return {
        "GET /traces/{id} (timeline)": trace,
        "GET /threads/{id} (thread timeline)": thread,
        "GET /traces?start=-1h": lambda: "/api/v1/traces?start=-1h",
        "GET /traces?start=-24h&sort=cost": lambda: "/api/v1/traces?start=-24h&sort=cost",
        "GET /threads?start=-24h": lambda: "/api/v1/threads?start=-24h",
        "GET /metrics/kpi?window=1h": lambda: "/api/v1/metrics/kpi?window=1h",
    }


def query_round_robin(api_port: int, spans: int, until: Callable[[], bool]) -> dict[str, list[float]]:
    """Call every endpoint in turn until `until()`; the latencies in ms per endpoint."""
    cases = endpoints(spans)
    times: dict[str, list[float]] = {name: [] for name in cases}
    with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=120) as client:
        for url in cases.values():  # warm once, as a dashboard asking again would
            client.get(url()).raise_for_status()
        while not until():
            for name, url in cases.items():
                started = time.perf_counter()
                response = client.get(url())
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{name}: {response.status_code} {response.text[:200]}")
                times[name].append(elapsed)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.query_load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=1_400_000, help="synthetic spans stored first (default 1.4M)")
    parser.add_argument("--seconds", type=float, default=45, help="length of each query phase (default 45)")
    parser.add_argument("--saturation-seconds", type=float, default=15,
                        help="length of the run that finds the maximum ingest rate (default 15)")
    parser.add_argument("--senders", type=int, default=8, help="concurrent OTLP/HTTP senders (default 8)")
    args = parser.parse_args()

    load = Load([ai_request(random.Random(1), 73, time.time_ns()) for _ in range(60)])
    with tempfile.TemporaryDirectory(prefix="spanhouse-bench-") as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "benchmarks.query_load", "--generate", str(data), str(args.spans)],
                       check=True)
        print(f"{args.spans:,} synthetic spans over 30 days stored in {time.perf_counter() - started:.0f} s")
        server = Server(data, Path(tmp))
        try:
            saturation = server.run(http_load(server.ports["otlp_http"], load, args.saturation_seconds, args.senders))
            half = saturation.rate() / 2
            print(f"maximum ingest rate {saturation.rate():,.0f} spans/s; queries alone, then under "
                  f"{half:,.0f} spans/s")
            deadline = time.monotonic() + args.seconds
            alone = query_round_robin(server.ports["api"], args.spans, lambda: time.monotonic() > deadline)
            loaded, paced = under_ingest(server, load, args, half)
        finally:
            server.stop()
    print(f"\nquery API over HTTP, {args.spans / 1e6:.1f}M+ spans stored; paced ingest achieved "
          f"{paced.rate():,.0f} spans/s (ack p99 {paced.pct(0.99):.0f} ms, {paced.refused} refusals)")
    print(f"{'endpoint':<38}{'alone p50':>10}{'p99':>8}{'ingest p50':>12}{'p99':>8}{'p50 ratio':>10}{'calls':>7}")
    for name, times in alone.items():
        busy = loaded[name]
        print(f"{name:<38}{statistics.median(times):>10.1f}{pct(times, 0.99):>8.1f}"
              f"{statistics.median(busy):>12.1f}{pct(busy, 0.99):>8.1f}"
              f"{statistics.median(busy) / statistics.median(times):>9.2f}x{len(busy):>7}")


def under_ingest(server: Server, load: Load, args: argparse.Namespace,
                 spans_per_s: float) -> tuple[dict[str, list[float]], Phase]:
    """Queries round robin on a thread while paced ingest runs on this one for `--seconds`."""
    pace_rps = spans_per_s / load.counts[0]
    done = threading.Event()
    result: dict[str, dict[str, list[float]]] = {}

    def queries() -> None:
        time.sleep(1)  # let the senders reach their pace
        result["times"] = query_round_robin(server.ports["api"], args.spans, done.is_set)

    worker = threading.Thread(target=queries)
    worker.start()
    try:
        paced = server.run(http_load(server.ports["otlp_http"], load, args.seconds + 1, args.senders,
                                     pace_rps=pace_rps))
    finally:
        done.set()
        worker.join()
    return result["times"], paced


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--generate":
        generate(sys.argv[2], int(sys.argv[3]))
    else:
        main()
