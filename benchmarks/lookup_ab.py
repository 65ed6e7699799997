"""A/B of `GET /api/v1/traces/{id}` between two source trees on one store, over HTTP, interleaved.

`python -m benchmarks.lookup_ab --store DIR --a OLD_SRC --b NEW_SRC [--rounds 3] [--lookups 250]`
starts `spanhouse serve` from each tree in turn (`PYTHONPATH=<tree>`, the store opened by one
server at a time, as chDB requires), sends the same random trace lookups to each, and prints p50 and
p99 per round. Make OLD_SRC with `git worktree add /tmp/old <rev>` and pass `/tmp/old/src`. When B
brings a migration that changes how tables are laid out, give A a copy of the store made before B
first served it (`--store-a COPY`, e.g. `cp -a DIR COPY`): on one store, A would read B's layout.

Why this exists: the machine's speed swings by a third from one minute to the next, so lookups
measured one after the other (`benchmarks.lookup_breakdown`) can show a gain that is only a
quieter minute. A change to a query once looked 52 -> 41 ms there and was 55-60 against
50-65 ms here. Rounds alternate A and B, so a slow minute hits both.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

SAMPLE = "SELECT DISTINCT TraceId FROM otel_traces WHERE rand() % 20000 = 0 LIMIT {count:UInt32}"


class Served:
    """`spanhouse serve` from a source tree on `store` (no write-ahead log: nothing is ingested)."""

    def __init__(self, source: Path, store: Path) -> None:
        ports_file = Path(tempfile.mkdtemp(prefix="spanhouse-ab-")) / "ports.json"
        env = {**os.environ, "PYTHONPATH": str(source), "SPANHOUSE_CLICKHOUSE_DSN": f"chdb://{store}",
               "SPANHOUSE_OTLP_GRPC_PORT": "0", "SPANHOUSE_OTLP_HTTP_PORT": "0", "SPANHOUSE_API_PORT": "0",
               "SPANHOUSE_LOG_LEVEL": "WARNING", "SPANHOUSE_WAL_DIR": "off"}
        self.process = subprocess.Popen([sys.executable, "-m", "spanhouse", "serve", "--ports-file", str(ports_file)],
                                        env=env, stdout=subprocess.DEVNULL)
        while not ports_file.exists():
            if self.process.poll() is not None:
                raise SystemExit(f"spanhouse from {source} failed to start")
            time.sleep(0.05)
        self.api = f"http://127.0.0.1:{json.loads(ports_file.read_text())['api']}"

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        self.process.wait(120)


def lookups(api: str, trace_ids: list[str]) -> list[float]:
    """Milliseconds per lookup, after a few unmeasured ones that warm the caches."""
    times = []
    with httpx.Client(base_url=api, timeout=60) as client:
        for trace_id in trace_ids[:20]:
            client.get(f"/api/v1/traces/{trace_id}")
        for trace_id in trace_ids:
            started = time.perf_counter()
            response = client.get(f"/api/v1/traces/{trace_id}")
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"trace {trace_id}: HTTP {response.status_code} {response.text[:200]}")
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lookup_ab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True,
                        help="a chDB store holding spans (as lookup_breakdown --store makes one)")
    parser.add_argument("--store-a", type=Path, help="A's own copy of the store (default: --store)")
    parser.add_argument("--a", type=Path, required=True, help="source tree A (its src/ folder)")
    parser.add_argument("--b", type=Path, required=True, help="source tree B (its src/ folder)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of A then B (default 3)")
    parser.add_argument("--lookups", type=int, default=250, help="traces looked up per round (default 250)")
    args = parser.parse_args()

    with Served(args.b, args.store) as server:
        response = httpx.post(f"{server.api}/api/v1/sql", timeout=120,
                              json={"query": SAMPLE, "params": {"count": args.lookups}})
        response.raise_for_status()
        trace_ids = [row[0] for row in response.json()["rows"]]
    store_a = args.store_a or args.store
    print(f"{len(trace_ids)} traces; A = {args.a} on {store_a}, B = {args.b} on {args.store}")
    for round_number in range(args.rounds):
        for name, source, store in (("A", args.a, store_a), ("B", args.b, args.store)):
            with Served(source, store) as server:
                times = lookups(server.api, trace_ids)
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(f"  round {round_number + 1} {name}: p50 {times[len(times) // 2]:6.1f} ms  p99 {p99:6.1f} ms",
                  flush=True)


if __name__ == "__main__":
    main()
