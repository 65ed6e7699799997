"""When the writer inserts what is pending.

Each insert has a large fixed cost (with chDB, parts and merges included, ~150 us of CPU per span
at 490 rows against ~27 us at 31,360: `make bench-inserts`), so the writer lingers: blocks that
arrive while it is busy wait until they add up to `batch_max_spans` or the oldest has waited
`flush_interval_s`. With the write-ahead log nobody waits on that linger but a reader (and a
reader waiting ends it, store/writer.py): inserts grow with the arrival rate without slowing
acknowledgements. A pure function of the clock, so tests need no sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Linger:
    interval_s: float
    full_spans: int

    def remaining_s(self, now: float, pending_spans: int, oldest_arrival: float, last_insert_end: float) -> float:
        """Seconds to wait before inserting the pending blocks; <= 0 means insert now.

        Args:
            now: the writer's clock.
            pending_spans: spans queued and not yet taken by an insert.
            oldest_arrival: when the oldest pending block was submitted.
            last_insert_end: when the previous insert returned (-inf before the first).
        """
        if pending_spans >= self.full_spans:
            return 0.0
        if oldest_arrival >= last_insert_end + self.interval_s:
            return 0.0  # the writer was idle: waiting would only add latency
        return oldest_arrival + self.interval_s - now
