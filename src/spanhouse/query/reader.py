"""Runs read-only SQL for the query API off the event loop, on ClickHouse clients of its own.

chDB serialises calls per client handle and returns an empty result for a query issued while a
stream is open on the same handle (a ClickHouse server likewise refuses two queries at once in one
session), so each call borrows a whole client from a pool and reads its result whole. With more
than one client, queries run side by side: two users' lookups do not queue behind each other, and
one request can run its independent queries at once (the trace timeline and its thread summary).
chDB releases the GIL while a query runs, so the threads that wait on it use the cores. The
clients are separate from the writers', so lookups never queue behind an insert on the same handle.
"""

from __future__ import annotations

import queue
from typing import Any

import anyio
import anyio.to_thread
from clickhouse_connect.driver.client import Client

from spanhouse.query import sql
from spanhouse.store.client import map_error

Row = dict[str, Any]


class Reader:
    def __init__(self, *clients: Client, max_execution_time_s: int = 30) -> None:
        """Args:
            clients: at least one; as many queries run at once as there are clients.
            max_execution_time_s: ClickHouse stops a query that runs longer.
        """
        if not clients:
            raise ValueError("a Reader needs at least one client")
        self._idle: queue.SimpleQueue[Client] = queue.SimpleQueue()
        for client in clients:
            self._idle.put(client)
        # No more threads than clients: a thread waiting for a free client would hold a worker thread.
        self._limiter = anyio.CapacityLimiter(len(clients))
        self._settings = {"readonly": 2, "max_execution_time": max_execution_time_s}

    def rows_sync(self, name: str, parameters: dict[str, Any]) -> list[Row]:
        """Run `sql/<name>.sql` with server-side parameters; rows as dicts keyed by column name."""
        text = sql.load(name)
        client = self._idle.get()
        try:
            result = client.query(text, parameters=parameters, settings=self._settings)
        except Exception as exc:
            raise map_error(exc, f"run query {name}") from exc
        finally:
            self._idle.put(client)
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    async def rows(self, name: str, parameters: dict[str, Any]) -> list[Row]:
        return await anyio.to_thread.run_sync(self.rows_sync, name, parameters, limiter=self._limiter)
