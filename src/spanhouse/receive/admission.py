"""How many bytes of export bodies the receivers hold at once.

The writer's queue bounds what is decoded and waiting to be written (`SPANHOUSE_QUEUE_MAX_SPANS`),
but a body is held from its first byte until its export is answered: while it arrives, while it
waits for a decode worker, and while its spans wait to be durable. Without a bound of its own,
many clients sending large bodies at once would grow memory with their number, and every body
would be decoded before the full queue refused it. `BodyBudget` is that bound, shared by OTLP/HTTP
and OTLP/gRPC: past it an export is refused with the same retryable overload answer as a full
queue. A body alone is always taken, whatever its size (up to the request limit), or it could
never be stored. Used from the event loop only, so it needs no lock.
"""

from __future__ import annotations

from spanhouse.errors import Overloaded

RETRY_AFTER_S = 1.0


class HeldBody:
    """One export's share of the budget: grows as its body is read, returned when it is answered."""

    def __init__(self, budget: BodyBudget) -> None:
        self._budget = budget
        self.bytes = 0

    def add(self, size: int) -> None:
        """Count `size` more bytes of this body; raises Overloaded when they do not fit."""
        self._budget.take(self, size)
        self.bytes += size

    def __enter__(self) -> HeldBody:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._budget.give_back(self.bytes)
        self.bytes = 0


class BodyBudget:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.held_bytes = 0

    def hold(self) -> HeldBody:
        """A share for one export, to use as a context manager around reading and storing it."""
        return HeldBody(self)

    def take(self, body: HeldBody, size: int) -> None:
        others = self.held_bytes - body.bytes
        if others and self.held_bytes + size > self.max_bytes:
            raise Overloaded(
                f"too many export bytes in flight ({self.held_bytes} held, {size} more would pass the limit of "
                f"{self.max_bytes}, SPANHOUSE_INFLIGHT_MAX_BYTES)",
                retry_after_s=RETRY_AFTER_S,
            )
        self.held_bytes += size

    def give_back(self, size: int) -> None:
        self.held_bytes -= size
