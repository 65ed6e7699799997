"""The query API's reader: each query borrows a whole client, so with several clients queries run side by side
and with one they take turns; a failed query gives its client back."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from spanhouse.errors import StoreError
from spanhouse.query.reader import Reader
from spanhouse.store.client import connect


class HeldClient:
    """A real client whose next query waits until the test lets it go, to hold a query open."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.started = threading.Event()
        self.release = threading.Event()
        self.running = 0  # queries inside query() now

    def query(self, *args: Any, **kwargs: Any) -> Any:
        self.running += 1
        try:
            self.started.set()
            assert self.release.wait(30), "the test never released the held query"
            return self._client.query(*args, **kwargs)
        finally:
            self.running -= 1


@pytest.fixture
def second_client(settings, store):
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
    yield client
    client.close()


def test_a_query_runs_while_another_is_still_running_on_the_other_client(store, second_client):
    held = HeldClient(store)
    reader = Reader(held, second_client)  # type: ignore[arg-type]
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(reader.rows_sync, "ping", {})
        assert held.started.wait(30)
        assert reader.rows_sync("ping", {})  # served by the free client while the held one is busy
        assert not slow.done()
        held.release.set()
        assert slow.result(timeout=30)


def test_with_one_client_a_second_query_waits_for_the_first(store):
    held = HeldClient(store)
    reader = Reader(held)  # type: ignore[arg-type]
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(reader.rows_sync, "ping", {})
        assert held.started.wait(30)
        second = pool.submit(reader.rows_sync, "ping", {})
        with pytest.raises(TimeoutError):
            second.result(timeout=0.3)  # given time to start, it must still be waiting for the client
        assert held.running == 1
        held.release.set()
        assert first.result(timeout=30) and second.result(timeout=30)


def test_a_failed_query_gives_its_client_back(store):
    reader = Reader(store)
    with pytest.raises(StoreError):
        reader.rows_sync("trace_context", {"tenant": "acme"})  # a parameter missing: ClickHouse refuses it
    assert reader.rows_sync("ping", {})


def test_a_reader_needs_a_client():
    with pytest.raises(ValueError, match="at least one client"):
        Reader()
