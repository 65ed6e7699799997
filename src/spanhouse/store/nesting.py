"""The parents of recent model calls, so a parent arriving in a later request is counted once.

See normalise/nesting.py for the rule and why it is applied at ingest. Children usually end, and
so are exported, before their parents. When a request stores a model call, the key
(`dedup.span_keys` of trace id and parent span id) of its parent is kept here for the dedup window.
A later request whose model call has one of those keys is encoded again with that call rolled up.
Nothing is spent on a miss beyond a key lookup.

A key is remembered when its request is submitted, not when it is durable, so a parent arriving
while its child's write is in flight is still rolled up. If that write fails, the key stays. The
client retries the child, so it is stored in the end.

Event-loop only, like `Ingest`, so there is no lock. Per process, like the dedup memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from clickhouse_connect.driver.client import Client

from spanhouse.normalise.nesting import MODEL_CATEGORIES, ROLLED_UP
from spanhouse.store import sql
from spanhouse.store.client import map_error
from spanhouse.store.dedup import Keys, RecentSpans


class NestedCalls:
    """Keys of the parents of the model calls stored in the last `window_s` seconds, per tenant."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._parents = RecentSpans(window_s, clock)

    def load(self, client: Client) -> int:
        """Remember the parents of the model calls the store received within the window (after a restart)."""
        try:
            rows = client.query(sql.load("recent_model_parents"), parameters={
                "seconds": int(self.window_s), "categories": sorted(MODEL_CATEGORIES), "rolled_up": ROLLED_UP,
            }).result_rows
        except Exception as exc:
            raise map_error(exc, "load the parents of recent model calls") from exc
        for tenant, keys in rows:
            self._parents.add(tenant, np.asarray(keys, dtype=np.uint64))
        return sum(len(keys) for _, keys in rows)

    def parents(self, tenant: str, calls: Keys) -> np.ndarray:
        """Boolean mask: which of the model calls `calls` (span keys) are parents of earlier model calls."""
        return self._parents.contains(tenant, calls)

    def remember(self, tenant: str, parents: Keys) -> None:
        """The parents (span keys) of the model calls a request is storing."""
        if len(parents):
            self._parents.add(tenant, parents)

    def __len__(self) -> int:
        return len(self._parents)
