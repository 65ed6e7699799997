"""Shared fixtures: one real chDB engine per test session, a fresh database per test.

chDB hosts one engine per process, on one path, so every in-process test shares the session's
path and isolates itself by database name. Tests that need a second process (kill -9, restart)
give that process its own path. Each test's database is a copy of one migrated at session start
(tests/schema_template.py); a test that needs a database not yet migrated asks for
`unmigrated_settings`.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx
import pytest
from clickhouse_connect.driver.client import Client

from spanhouse.app import BoundPorts, open_store, running
from spanhouse.settings import Settings
from spanhouse.store.client import connect
from tests.schema_template import SchemaTemplate

_db_numbers = itertools.count()


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


def _test_settings(chdb_path: Path, database: str) -> Settings:
    """Settings for `database` on the session's engine, every port picked by the OS."""
    return Settings(
        clickhouse_dsn=f"chdb://{chdb_path}",
        clickhouse_database=database,
        otlp_grpc_port=0,
        otlp_http_port=0,
        api_port=0,
        flush_interval_ms=5,
        decode_processes=0,
        write_timeout_s=20,
        # Each chDB client costs ~0.15 s to open and every test server opens its own; two still run a
        # trace lookup's reads side by side (tests/query/test_reader.py covers the pool).
        query_connections=2,
        # Test spans carry fixed timestamps (tests.factories.BASE_NS), older than any retention;
        # tests/store/test_retention.py covers the TTLs.
        retention_raw_days=0,
        retention_minute_days=0,
        retention_hourly_days=0,
        retention_daily_days=0,
    )


def _new_database_name() -> str:
    return f"t{next(_db_numbers)}_{int(time.time() * 1000) % 10**8}"


@pytest.fixture(scope="session")
def schema_template(chdb_path: Path) -> Iterator[SchemaTemplate]:
    template = SchemaTemplate.build(_test_settings(chdb_path, "schema_template"))
    yield template
    template.admin.close()


@pytest.fixture
def settings(chdb_path: Path, schema_template: SchemaTemplate) -> Settings:
    """Settings for a fresh, migrated, empty database of this test's own."""
    database = _new_database_name()
    schema_template.copy_to(database)
    return _test_settings(chdb_path, database)


@pytest.fixture
def unmigrated_settings(chdb_path: Path) -> Settings:
    """Settings naming a database that does not exist yet: for tests of migrating itself."""
    return _test_settings(chdb_path, _new_database_name())


@pytest.fixture
def store(settings: Settings) -> Iterator[Client]:
    """A client on the migrated, empty test database."""
    client = open_store(settings)
    yield client
    client.close()


@pytest.fixture
def query(settings: Settings, store: Client) -> Callable[..., list[tuple[Any, ...]]]:
    """Run SQL against the test database and return its rows.

    Straight SQL does not wait for acknowledged spans as the query API does (README: durability),
    so it first waits until the test's running servers have inserted what they acknowledged.
    """
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database)

    def run(sql: str, **parameters: Any) -> list[tuple[Any, ...]]:
        for server in list(RunningServer.live):
            server.settled()
        return list(client.query(sql, parameters=parameters).result_rows)

    return run


class RunningServer:
    """spanhouse's full lifespan on its own thread and event loop, as `serve` runs it."""

    live: set[RunningServer] = set()  # started and not stopped: what `query` waits on

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ready: Future[BoundPorts] = Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with running(self.settings) as ports:
                self._ready.set_result(ports)
                await self._stop.wait()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise

    def __enter__(self) -> RunningServer:
        self._thread.start()
        self.ports = self._ready.result(timeout=60)
        RunningServer.live.add(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._loop is not None and self._stop is not None
        RunningServer.live.discard(self)
        if not self._thread.is_alive():  # already stopped by the test (a restart scenario)
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports.otlp_http}"

    @property
    def grpc_endpoint(self) -> str:
        return f"127.0.0.1:{self.ports.otlp_grpc}"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    def settled(self, timeout_s: float = 30.0) -> None:
        """Wait until everything acknowledged is queryable, as /healthz reports it.

        Exports are acknowledged from the write-ahead log and inserted a moment later.
        """
        if not self._thread.is_alive():  # stopped by the test itself
            return
        deadline = time.monotonic() + timeout_s
        while any(httpx.get(f"{self.api}/healthz", timeout=30).json()["not_yet_queryable"].values()):
            assert time.monotonic() < deadline, "acknowledged spans were not inserted in time"
            time.sleep(0.01)


@pytest.fixture
def server_factory(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def start(**overrides: Any) -> RunningServer:
        values = {name: getattr(settings, name) for name in settings.__slots__}
        values.update(overrides)
        if not str(values["clickhouse_dsn"]).startswith("chdb:") and not values["wal_dir"]:
            values["wal_dir"] = str(tmp_path / "wal")  # not ./spanhouse-wal in the repository
        server = RunningServer(Settings(**values)).__enter__()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.__exit__(None, None, None)


@pytest.fixture
def server(server_factory: Callable[..., RunningServer]) -> RunningServer:
    return server_factory()
