"""Runs read-only SQL for the query API off the event loop, on its own ClickHouse client.

chDB serialises calls per client handle and returns an empty result for a query issued while a
stream is open on the same handle, so the reader holds a lock around each call and reads
results whole. It uses a client separate from the writer's, so lookups never queue behind an
insert on the same handle.
"""

from __future__ import annotations

import threading
from typing import Any

import anyio
import anyio.to_thread
from clickhouse_connect.driver.client import Client

from spanhouse.query import sql
from spanhouse.store.client import map_error

Row = dict[str, Any]


class Reader:
    def __init__(self, client: Client, *, max_execution_time_s: int = 30) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._limiter = anyio.CapacityLimiter(4)
        self._settings = {"readonly": 2, "max_execution_time": max_execution_time_s}

    def rows_sync(self, name: str, parameters: dict[str, Any]) -> list[Row]:
        """Run `sql/<name>.sql` with server-side parameters; rows as dicts keyed by column name."""
        text = sql.load(name)
        with self._lock:
            try:
                result = self._client.query(text, parameters=parameters, settings=self._settings)
            except Exception as exc:
                raise map_error(exc, f"run query {name}") from exc
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    async def rows(self, name: str, parameters: dict[str, Any]) -> list[Row]:
        return await anyio.to_thread.run_sync(self.rows_sync, name, parameters, limiter=self._limiter)
