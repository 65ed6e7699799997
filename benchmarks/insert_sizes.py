"""`make bench-inserts`: what one chDB insert costs per span, by rows per insert.

Inserts Native blocks of AI-shaped spans (encoded as the decode workers encode them) through
the writer's own call, `raw_insert(..., fmt="Native")`, into two tables of a fresh temporary
store:
  * `otel_traces_null`: otel_traces' columns on the Null engine: parsing and the fixed cost
    of an INSERT, nothing stored;
  * `otel_traces` itself: the same, plus writing a part, its materialized views and the
    background merges the parts cause.
For each size it prints the median wall time of one insert (what a waiting export sees) and
the process CPU time per span, taken after background merges settle (what ingest capacity
pays). The writer's linger exists because of the difference between the rows of this table.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from clickhouse_connect.driver.client import Client

from benchmarks import filesystem
from benchmarks.ingest import SPANS_PER_TRACE, ai_request
from spanhouse.app import INSERT_COLUMNS, TRACES_TABLE, normalisation, open_store
from spanhouse.receive.ingest import decode_request
from spanhouse.settings import Settings
from spanhouse.store.native import NativeEncoder, TableLayout

NULL_TABLE = "otel_traces_null"
TRACES_PER_BLOCK = 14
ROWS_PER_BLOCK = TRACES_PER_BLOCK * SPANS_PER_TRACE  # 98: every size is a whole number of blocks


def encoded_blocks(client: Client, settings: Settings, count: int) -> list[bytes]:
    """`count` distinct Native blocks of ROWS_PER_BLOCK AI spans, encoded as the decode workers do."""
    rng = random.Random(5)
    now = time.time_ns()
    encoder = NativeEncoder(TableLayout.read(client, TRACES_TABLE, INSERT_COLUMNS))
    options = normalisation(settings)
    bodies = [ai_request(rng, TRACES_PER_BLOCK, now)[0].SerializeToString() for _ in range(count)]
    return [encoder.encode(decode_request(body, "protobuf", "bench", options).columns).data for body in bodies]


def empty_tables(client: Client) -> None:
    """Start each size on empty tables, so no size pays for merging another's parts."""
    for (table,) in client.query("SELECT name FROM system.tables WHERE database = currentDatabase() "
                                 "AND engine LIKE '%MergeTree' AND name != 'schema_migrations'").result_rows:
        client.command(f"TRUNCATE TABLE {table}")


def settle(client: Client, timeout_s: float = 120.0) -> None:
    """Wait until no merge runs on the database, so its CPU is charged to the inserts that caused it."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while time.monotonic() < deadline and quiet < 3:
        running = client.query("SELECT count() FROM system.merges WHERE database = currentDatabase()").result_rows
        quiet = quiet + 1 if running[0][0] == 0 else 0
        time.sleep(0.1)


def measure(client: Client, table: str, blocks: list[bytes], per_insert: int, total_rows: int) -> tuple[float, float]:
    """Median ms per insert, and CPU us per span with the merges the inserts caused."""
    inserts = min(100, max(10, total_rows // (per_insert * ROWS_PER_BLOCK)))
    columns = list(INSERT_COLUMNS)
    bodies = [b"".join(blocks[(i * per_insert + k) % len(blocks)] for k in range(per_insert)) for i in range(inserts)]
    empty_tables(client)
    client.raw_insert(table, columns, insert_block=blocks[0], fmt="Native")  # warm caches and the table
    settle(client)
    walls = []
    cpu_before = time.process_time()  # every thread of this process: chDB's merge pool too
    for i, body in enumerate(bodies):
        started = time.perf_counter()
        # A token of its own, as the writer gives each insert: without one, the deduplication window
        # (migration 0033) would drop a body repeated from an earlier insert.
        client.raw_insert(table, columns, insert_block=body, fmt="Native",
                          settings={"insert_deduplication_token": f"bench-{table}-{per_insert}-{i}"})
        walls.append(time.perf_counter() - started)
    settle(client)
    cpu = time.process_time() - cpu_before
    return statistics.median(walls) * 1000, cpu / (inserts * per_insert * ROWS_PER_BLOCK) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench-inserts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="98,490,1960,7840,31360",
                        help="rows per insert, rounded to whole 98-span blocks (default 98,490,1960,7840,31360)")
    parser.add_argument("--rows", type=int, default=60_000,
                        help="rows inserted per size and table, in 10 to 100 inserts (default 60000)")
    args = parser.parse_args()
    per_insert_blocks = sorted({max(1, round(int(size) / ROWS_PER_BLOCK)) for size in args.sizes.split(",")})

    with tempfile.TemporaryDirectory(prefix="spanhouse-inserts-") as tmp:
        settings = Settings(clickhouse_dsn=f"chdb://{tmp}")
        client = open_store(settings)
        blocks = encoded_blocks(client, settings, 64)
        client.command(f"CREATE TABLE {NULL_TABLE} AS {TRACES_TABLE} ENGINE = Null")
        print(f"store in {tmp}, on {filesystem.describe(Path(tmp))}")
        print(f"{len(blocks)} distinct Native blocks of {ROWS_PER_BLOCK} AI spans "
              f"({sum(map(len, blocks)) / len(blocks) / ROWS_PER_BLOCK:.0f} B/span), inserted with raw_insert as "
              f"the writer does; CPU is this process's, background merges included")
        print(f"{'rows/insert':>11}  {'Null: ms/insert':>15} {'us/span':>8}  {'otel_traces: ms/insert':>22} "
              f"{'us/span':>8}")
        for per_insert in per_insert_blocks:
            null_ms, null_us = measure(client, NULL_TABLE, blocks, per_insert, args.rows)
            real_ms, real_us = measure(client, TRACES_TABLE, blocks, per_insert, args.rows)
            print(f"{per_insert * ROWS_PER_BLOCK:>11,}  {null_ms:>15.1f} {null_us:>8.1f}  {real_ms:>22.1f} "
                  f"{real_us:>8.1f}", flush=True)
        client.close()

if __name__ == "__main__":
    main()
