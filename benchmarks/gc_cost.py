"""`make bench`: what Python's cyclic garbage collector costs a decode worker, and what the tuning saves.

Decodes, normalises and encodes the ingest benchmark's AI-shaped requests (`encode_request`, what
a decode worker runs per export) in this one process, under three collector settings taken in
turn, round after round, so a noisy machine disturbs them alike:
  * default: Python's collector, with every object start-up made in its generations;
  * frozen: those objects frozen (`spanhouse.gc_tuning.freeze_start_up_objects`), what the
    decode workers and the server do once started;
  * off: no cyclic collection at all, the floor.
It prints the median CPU per span of each, and each one's spans per core against the default.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable

from benchmarks.ingest import SPANS_PER_TRACE, ai_request
from spanhouse.app import CONTENT_COLUMNS, CONTENT_TABLE, INSERT_COLUMNS, TRACES_TABLE, normalisation, open_store
from spanhouse.gc_tuning import freeze_start_up_objects
from spanhouse.receive.ingest import encode_request
from spanhouse.settings import Settings
from spanhouse.store.native import NativeEncoder, TableLayout


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gc_cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=8, help="rounds of every setting (default 8)")
    parser.add_argument("--requests", type=int, default=20, help="requests encoded per setting and round (default 20)")
    parser.add_argument("--traces-per-request", type=int, default=73, help="as the ingest benchmark (default 73)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="spanhouse-gc-") as tmp:
        settings = Settings(clickhouse_dsn=f"chdb://{tmp}")
        client = open_store(settings)
        encoder = NativeEncoder(TableLayout.read(client, TRACES_TABLE, INSERT_COLUMNS))
        content_encoder = NativeEncoder(TableLayout.read(client, CONTENT_TABLE, CONTENT_COLUMNS))
        client.close()
    options = normalisation(settings)
    rng = random.Random(3)
    now = time.time_ns()
    bodies = [ai_request(rng, args.traces_per_request, now)[0].SerializeToString() for _ in range(args.requests)]
    spans = args.requests * args.traces_per_request * SPANS_PER_TRACE

    def default() -> None:
        gc.unfreeze()
        gc.enable()

    def off() -> None:
        gc.unfreeze()
        gc.disable()

    settings_by_name: dict[str, Callable[[], None]] = {"default": default, "frozen": freeze_start_up_objects,
                                                       "off": off}
    us_per_span: dict[str, list[float]] = {name: [] for name in settings_by_name}
    for _ in range(args.rounds):
        for name, apply in settings_by_name.items():
            apply()
            started = time.process_time()
            for body in bodies:
                encode_request(encoder, options, "traces", body, "protobuf", "bench", None, content_encoder, None)
            us_per_span[name].append((time.process_time() - started) / spans * 1e6)
            gc.enable()
            gc.collect()  # no setting inherits another's garbage
    medians = {name: statistics.median(values) for name, values in us_per_span.items()}
    print(f"encode_request CPU per span, median of {args.rounds} rounds of {spans:,} spans "
          f"(decode + normalise + Native block, one process)")
    for name, value in medians.items():
        print(f"  {name:<8} {value:6.1f} us/span")
    print(f"  spans per core against the default: frozen {medians['default'] / medians['frozen']:.2f}x, "
          f"off {medians['default'] / medians['off']:.2f}x (the default spends "
          f"{1 - medians['off'] / medians['default']:.0%} of its CPU in the collector)")

if __name__ == "__main__":
    main()
