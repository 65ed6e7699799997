"""Where trace-lookup time goes: the same SQL alone, beside a running server, and over HTTP.

`python -m benchmarks.lookup_breakdown [--rows N]` loads N synthetic spans into a temporary store,
starts spanhouse in this process, and prints lookup p50/max for each path, so a change to the
query, the schema or the server's threading can be judged against the other paths.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from spanhouse.query.reader import Reader
from spanhouse.settings import Settings
from spanhouse.store.client import connect
from tests.conftest import RunningServer

SQL = Path(__file__).parent / "sql" / "synthetic_spans.sql"


def timed(trace_ids: list[str], call: Callable[[str], object]) -> str:
    times = []
    for trace_id in trace_ids:
        started = time.perf_counter()
        call(trace_id)
        times.append((time.perf_counter() - started) * 1000)
    return f"p50 {statistics.median(times):.1f} ms, max {max(times):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=700_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spanhouse-lookup-") as tmp:
        settings = Settings(clickhouse_dsn=f"chdb://{tmp}", otlp_grpc_port=0, otlp_http_port=0, api_port=0)
        with RunningServer(settings) as server:
            client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
            client.command(SQL.read_text(), parameters={"first": 0, "rows": args.rows})
            traces = args.rows // 7
            ids = [hashlib.md5(f"trace-{n}".encode()).hexdigest() for n in range(0, traces, max(1, traces // 100))]
            reader = Reader(client)
            params = {"tenant": "default", "max_spans": 50_000}
            print("SQL through Reader, beside the running server:",
                  timed(ids, lambda t: reader.rows_sync("trace_spans", {**params, "trace_id": t})))
            print("one narrow column:",
                  timed(ids, lambda t: client.query("SELECT SpanId FROM otel_traces WHERE TraceId = {t:String}",
                                                    parameters={"t": t})))
            with httpx.Client(base_url=server.api, timeout=60) as http:
                print("GET /api/v1/traces/{id}:", timed(ids, lambda t: http.get(f"/api/v1/traces/{t}")))


if __name__ == "__main__":
    main()
