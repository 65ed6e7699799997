"""`make bench`: what the materialized views cost at ingest, and how fast the rollups answer.

1. Insert cost: the same Native blocks (AI-shaped spans through the real decode -> normalise ->
   encode path) inserted into a database with every materialized view attached and into one
   whose views were dropped; spans/s of each and the ratio. Runs alternate to spread noise.
2. Dashboard queries over 30 days: `--month-spans` synthetic spans spread over the last 30 days
   (benchmarks/sql/synthetic_month.sql, inserted through the views), then p50 / p99 latency of
   typical queries on daily_metrics, hourly_metrics and thread_activity, and of the same daily
   chart computed from the raw spans for comparison.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.ingest import ai_request
from benchmarks.stores import fresh_database
from spanhouse.app import INSERT_COLUMNS, normalisation
from spanhouse.receive.ingest import encode_request
from spanhouse.settings import Settings
from spanhouse.store.client import connect
from spanhouse.store.native import NativeEncoder, TableLayout

SQL = Path(__file__).parent / "sql"

QUERIES = {
    "daily_metrics: 30-day chart": (
        "SELECT day, sum(spans), sum(total_tokens), sum(total_cost), max(p95_duration_ms), sum(error_count) "
        "FROM daily_metrics WHERE tenant = 'default' AND day >= today() - 30 GROUP BY day ORDER BY day"),
    "daily_metrics: cost by model, 30 days": (
        "SELECT model, sum(spans), sum(total_tokens), sum(total_cost) FROM daily_metrics "
        "WHERE tenant = 'default' AND day >= today() - 30 AND category = 'LLM' GROUP BY model ORDER BY 4 DESC"),
    "hourly_metrics: last 24 h by service": (
        "SELECT hour, service_name, sum(spans), avg(p95_duration_ms) FROM hourly_metrics "
        "WHERE tenant = 'default' AND hour >= now() - INTERVAL 1 DAY GROUP BY hour, service_name"),
    "thread_activity: 10 costliest threads, 7 days": (
        "SELECT thread_id, traces, total_tokens, total_cost FROM thread_activity "
        "WHERE tenant = 'default' AND last_seen >= now() - INTERVAL 7 DAY ORDER BY total_cost DESC LIMIT 10"),
    "raw otel_traces: the same 30-day chart": (
        "SELECT toDate(Timestamp), count(), sum(ifNull(TotalTokens, 0)), sum(ifNull(TotalCost, 0)), "
        "quantile(0.95)(Duration / 1e6), countIf(StatusCode = 'Error') FROM otel_traces "
        "WHERE Tenant = 'default' AND Timestamp >= today() - 30 GROUP BY 1 ORDER BY 1"),
}


def encoded_blocks(requests: int) -> tuple[list[bytes], int]:
    rng = random.Random(5)
    # one table: the views' cost alone; spans up to 30 days old, which the default retention would refuse
    options = normalisation(Settings(content_dedup=False, retention_raw_days=0))
    with tempfile.TemporaryDirectory() as scratch:
        client = fresh_database(f"chdb://{scratch}", "layout")
        encoder = NativeEncoder(TableLayout.read(client, "otel_traces", INSERT_COLUMNS))
    blocks, spans = [], 0
    for _ in range(requests):
        request, _ids = ai_request(rng, 70, time.time_ns())
        encoded = encode_request(encoder, options, "traces", request.SerializeToString(), "protobuf", "default")
        blocks.append(encoded.block.data)
        spans += encoded.block.rows
    return blocks, spans


def insert_rate(dsn: str, blocks: list[bytes], spans: int, rounds: int) -> dict[bool, float]:
    clients = {views: fresh_database(dsn, "with_views" if views else "without_views") for views in (True, False)}
    for name, in clients[False].query("SELECT name FROM system.tables WHERE database = currentDatabase() "
                                       "AND engine = 'MaterializedView'").result_rows:
        clients[False].command("DROP VIEW {view:Identifier}", parameters={"view": name})
    columns = list(INSERT_COLUMNS)
    elapsed = {True: 0.0, False: 0.0}
    batch = 10  # requests per insert: ~5,000 spans, what the writer groups under load
    for _ in range(rounds):
        for views, client in clients.items():
            started = time.perf_counter()
            for first in range(0, len(blocks), batch):
                client.raw_insert("otel_traces", columns, insert_block=b"".join(blocks[first:first + batch]),
                                  fmt="Native")
            elapsed[views] += time.perf_counter() - started
    return {views: spans * rounds / seconds for views, seconds in elapsed.items()}


def query_latencies(dsn: str, month_spans: int, runs: int) -> dict[str, tuple[float, float]]:
    client = fresh_database(dsn, "month")
    load = (SQL / "synthetic_month.sql").read_text()
    chunk = 1_000_000
    for first in range(0, month_spans, chunk):
        client.command(load, parameters={"first": first, "rows": min(chunk, month_spans - first)})
    results = {}
    for name, sql in QUERIES.items():
        client.query(sql)  # warm the caches once: dashboards ask again and again
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            client.query(sql)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        results[name] = (statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))])
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="export requests of ~490 spans (default 200)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--month-spans", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    blocks, spans = encoded_blocks(args.requests)
    with tempfile.TemporaryDirectory(prefix="spanhouse-bench-") as data:
        dsn = f"chdb://{data}"
        rates = insert_rate(dsn, blocks, spans, args.rounds)
        print(f"materialized views at ingest ({spans:,} spans x {args.rounds}, inserts of ~5k spans):")
        print(f"  without views {rates[False]:10,.0f} spans/s")
        print(f"  with views    {rates[True]:10,.0f} spans/s   ({rates[True] / rates[False]:.2f}x)")
        latencies = query_latencies(dsn, args.month_spans, args.runs)
        connect(dsn).close()
    print(f"rollup queries over {args.month_spans:,} spans in 30 days ({args.runs} runs each):")
    for name, (p50, p99) in latencies.items():
        print(f"  {name:48} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")


if __name__ == "__main__":
    main()
