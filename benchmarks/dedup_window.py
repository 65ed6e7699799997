"""What span dedup costs the server once its window is full, which `make bench`'s short phases never reach.

`python -m benchmarks.dedup_window` fills a `SpanDedup` as a server receiving `--rate` spans/s
would over the whole window (`SPANHOUSE_DEDUP_WINDOW_S`, 900 s by default), on a simulated clock,
then times what every request costs it: the check of its span keys, their claim, and their
settling into the recent keys once written. Then the longest fold (the newest keys merged into
the current generation's sorted array), which runs under the lock every check takes.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import Future

import numpy as np

from spanhouse.store.dedup import _FOLD_AT, SpanDedup


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=20_000, help="spans/s received (default 20000)")
    parser.add_argument("--window-s", type=int, default=900, help="dedup window (default 900)")
    parser.add_argument("--requests", type=int, default=300, help="requests timed per size (default 300)")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    clock = Clock()
    dedup = SpanDedup(args.window_s, clock=clock)
    # Fill the window as arriving requests would, in chunks a fold apart (adding key by key would
    # take as long as the window).
    started = time.perf_counter()
    for _ in range(args.rate * args.window_s // _FOLD_AT):
        keys = rng.integers(0, 2**63, _FOLD_AT, dtype=np.uint64)
        write: Future[None] = Future()
        dedup.claim("bench", keys, write)
        write.set_result(None)
        clock.now += _FOLD_AT / args.rate
    print(f"window of {args.window_s} s at {args.rate:,} spans/s: {len(dedup):,} keys held "
          f"({len(dedup) * 8 / 2**20:,.0f} MiB), filled in {time.perf_counter() - started:.0f} s")
    for size in (49, 511):
        requests = [rng.integers(0, 2**63, size, dtype=np.uint64) for _ in range(args.requests)]
        started = time.process_time()
        for keys in requests:
            dedup.check("bench", keys)
            write = Future()
            dedup.claim("bench", keys, write)
            write.set_result(None)
            clock.now += size / args.rate
        spent = time.process_time() - started
        print(f"  requests of {size:>3} spans: {spent / args.requests * 1e6:7.0f} us per request, "
              f"{spent / args.requests / size * 1e6:5.2f} us per span (check, claim, settle; folds included)")
    longest = 0.0
    for _ in range(3):
        keys = rng.integers(0, 2**63, _FOLD_AT, dtype=np.uint64)
        write = Future()
        dedup.claim("bench", keys, write)
        started = time.perf_counter()
        write.set_result(None)  # settling adds the keys: _FOLD_AT of them fold at once
        longest = max(longest, time.perf_counter() - started)
    print(f"  a fold of {_FOLD_AT:,} keys into the current generation: {longest * 1000:.0f} ms (longest of 3)")


if __name__ == "__main__":
    main()
