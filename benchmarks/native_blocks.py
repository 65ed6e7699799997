"""What a block costs ClickHouse: one insert's requests as blocks of their own, or merged into one.

`python -m benchmarks.native_blocks` encodes AI-shaped requests as the decode workers do, groups
about 10k spans of them per insert, as the writer does under load, and inserts each group two
ways into a fresh temporary store: as the requests' blocks one after the other ("apart"), and
merged into one block by `store/native_merge.py` ("merged", what the writer sends). It does so
for requests of several sizes, into `otel_traces` (with its views and the merges its parts cause)
and into a Null-engine copy of it (reading the body and nothing else). Figures are CPU time of
this process per span, merging included: ClickHouse pays a fixed cost per block whatever its
rows, so the smaller the requests, the more merging saves.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable, Sequence

from clickhouse_connect.driver.client import Client

from benchmarks.ingest import SPANS_PER_TRACE, ai_request
from benchmarks.insert_sizes import NULL_TABLE, empty_tables, settle
from spanhouse.app import INSERT_COLUMNS, TRACES_TABLE, normalisation, open_store
from spanhouse.receive.ingest import decode_request
from spanhouse.settings import Settings
from spanhouse.store.native import NativeBlock, NativeEncoder, TableLayout
from spanhouse.store.native_merge import insert_body

SPANS_PER_INSERT = 9_800


def apart(blocks: Sequence[NativeBlock]) -> bytes:
    return b"".join(block.data for block in blocks)


def groups_of(client: Client, settings: Settings, traces_per_request: int, count: int) -> list[list[NativeBlock]]:
    """`count` inserts' worth of encoded requests of `traces_per_request` traces each."""
    rng = random.Random(traces_per_request)
    now = time.time_ns()
    encoder = NativeEncoder(TableLayout.read(client, TRACES_TABLE, INSERT_COLUMNS))
    options = normalisation(settings)
    per_insert = max(1, SPANS_PER_INSERT // (traces_per_request * SPANS_PER_TRACE))
    return [[encoder.encode(decode_request(ai_request(rng, traces_per_request, now)[0].SerializeToString(),
                                           "protobuf", "bench", options).columns)
             for _ in range(per_insert)] for _ in range(count)]


def cpu_per_span(client: Client, table: str, groups: list[list[NativeBlock]], body: Callable[..., bytes],
                 inserts: int, tag: str) -> float:
    empty_tables(client)
    settle(client)
    spans = 0
    started = time.process_time()  # every thread of this process: chDB's merges too
    for number in range(inserts):
        group = groups[number % len(groups)]
        # A token of its own per insert, as the writer gives: the deduplication window would
        # otherwise drop a group sent before.
        client.raw_insert(table, list(INSERT_COLUMNS), insert_block=body(group), fmt="Native",
                          settings={"insert_deduplication_token": f"{tag}-{number}"})
        spans += sum(block.rows for block in group)
    settle(client)
    return (time.process_time() - started) / spans * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", default="7,73",
                        help="traces per request, 7 spans each (default 7,73: 49 and 511 spans)")
    parser.add_argument("--inserts", type=int, default=15, help="inserts per measurement (default 15)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="measurements of each way, interleaved; the least is printed (default 2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spanhouse-blocks-") as tmp:
        settings = Settings(clickhouse_dsn=f"chdb://{tmp}")
        client = open_store(settings)
        client.command(f"CREATE TABLE {NULL_TABLE} AS {TRACES_TABLE} ENGINE = Null")
        print(f"CPU us per span, ~{SPANS_PER_INSERT:,} spans per insert, merging included; "
              f"'apart': one block per request, 'merged': one block per insert")
        print(f"{'spans/request':>13}  {'Null apart':>10} {'merged':>7} {'ratio':>6}   "
              f"{'otel_traces apart':>17} {'merged':>7} {'ratio':>6}")
        for traces in (int(value) for value in args.requests.split(",")):
            groups = groups_of(client, settings, traces, 3)
            figures = []
            for table in (NULL_TABLE, TRACES_TABLE):
                # Interleaved rounds, the least of each: merges make single runs swing by a fifth.
                cost = {"apart": float("inf"), "merged": float("inf")}
                for round_number in range(args.rounds):
                    for name, body in (("apart", apart), ("merged", insert_body)):
                        cost[name] = min(cost[name], cpu_per_span(client, table, groups, body, args.inserts,
                                                                  f"{table}-{traces}-{name}-{round_number}"))
                figures += [cost["apart"], cost["merged"], cost["apart"] / cost["merged"]]
            print(f"{traces * SPANS_PER_TRACE:>13}  {figures[0]:>10.1f} {figures[1]:>7.1f} {figures[2]:>5.1f}x   "
                  f"{figures[3]:>17.1f} {figures[4]:>7.1f} {figures[5]:>5.1f}x", flush=True)
        client.close()


if __name__ == "__main__":
    main()
