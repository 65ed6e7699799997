"""Composition root: one lifespan wires store -> writer -> receivers -> APIs, and unwinds them in reverse.

Start-up order: store (database + migrations) -> writer -> alerter -> OTLP/gRPC -> OTLP/HTTP ->
query API -> anomaly detector. Shutdown runs the exit stack backwards: the detector stops, the
listeners stop taking requests, the alerter stops (no retry outlives it), then the
writer drains whatever was accepted, then the clients close.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import re
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlparse

import uvicorn
from clickhouse_connect.driver.client import Client
from starlette.requests import Request
from starlette.types import ASGIApp

from spanhouse.alert.alerter import Alerter
from spanhouse.alert.deliveries import DeliveryLog
from spanhouse.alert.routes import load_routes
from spanhouse.auth import KeyRing, credentials
from spanhouse.decode.logs import LOG_COLUMNS
from spanhouse.decode.traces import OTLP_COLUMNS
from spanhouse.detect.lifecycle import AnomalyStore
from spanhouse.detect.rules import load_rules
from spanhouse.detect.scheduler import Scheduler
from spanhouse.errors import ConfigError
from spanhouse.normalise.content import DEFAULT_REDACTIONS, ContentPolicy, Redaction
from spanhouse.normalise.fields import CANONICAL_COLUMNS
from spanhouse.normalise.pricing import PriceTable
from spanhouse.query import api, grpc_service
from spanhouse.query.adhoc import AdhocSql, Limits
from spanhouse.query.reader import Reader
from spanhouse.receive import otlp_grpc, otlp_http
from spanhouse.receive.admission import BodyBudget
from spanhouse.receive.ingest import CONTENT_COLUMNS, CONTENT_TABLE, Ingest, Normalisation, Signal
from spanhouse.receive.pools import ProcessEncodePool, ThreadEncodePool
from spanhouse.settings import ENV_PREFIX, Settings, retention
from spanhouse.store import migrations
from spanhouse.store.client import connect, is_embedded, resolve_dsn
from spanhouse.store.dedup import SpanDedup
from spanhouse.store.native import TableLayout
from spanhouse.store.nesting import NestedCalls
from spanhouse.store.retention import apply_retention
from spanhouse.store.wal import WriteAheadLog
from spanhouse.store.watermark import caught_up
from spanhouse.store.writer import BatchWriter

logger = logging.getLogger(__name__)

TRACES_TABLE = "otel_traces"
LOGS_TABLE = "otel_logs"
# With the embedded engine, inserts run on the cores the decode workers need: the insert thread
# yields to them (nice +10), so acknowledgements are not held up by inserts of logged blocks.
# Measured with `make bench`, paced phase: ack p99 309 ms at nice 0, 153 ms at 19.
INSERT_NICENESS = 10
INSERT_COLUMNS: tuple[str, ...] = (*OTLP_COLUMNS, *CANONICAL_COLUMNS)
TABLES: dict[Signal, tuple[str, tuple[str, ...]]] = {
    "traces": (TRACES_TABLE, INSERT_COLUMNS),
    "logs": (LOGS_TABLE, LOG_COLUMNS),
}


@dataclass(frozen=True, slots=True)
class BoundPorts:
    host: str
    otlp_grpc: int
    otlp_http: int
    api: int

    def describe(self) -> list[str]:
        return [
            f"OTLP/gRPC  {self.host}:{self.otlp_grpc}",
            f"OTLP/HTTP  http://{self.host}:{self.otlp_http}/v1/traces and /v1/logs",
            f"Query API  http://{self.host}:{self.api}/api/v1/traces/{{trace_id}}  (health: /healthz)",
        ]


def open_store(settings: Settings) -> Client:
    """Create the database if needed, apply migrations and retention, return a client bound to the database."""
    client, changes = migrate_store(settings)
    if changes:
        logger.info("schema changes: %s", "; ".join(changes))
    return client


def migrate_store(settings: Settings) -> tuple[Client, list[str]]:
    """`open_store`, also returning what changed: migrations applied and retention altered."""
    bootstrap = connect(settings.clickhouse_dsn)
    migrations.create_database(bootstrap, settings.clickhouse_database)
    bootstrap.close()
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
    migrated = False
    try:
        changes = migrations.migrate(client)
        changes += apply_retention(client, retention(settings))
        migrated = True
    finally:
        if not migrated:  # the caller gets no client to close
            client.close()
    return client, changes


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the lifespan owner decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _cannot_listen(host: str, port: int, setting: str, reason: object) -> ConfigError:
    """The error for a listener that cannot bind, naming the settings that choose its address."""
    return ConfigError(
        f"cannot listen on {host}:{port} ({reason}); the port is {ENV_PREFIX}{setting.upper()} and the address "
        f"{ENV_PREFIX}BIND. Is another spanhouse or collector running? Choose another port, or 0 for a free one."
    )


def _listen(host: str, port: int, setting: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this. Without it, a response written in two segments (uvicorn
    # sends headers, then body) waits for the client's delayed ACK: +40 ms on every request of a
    # keep-alive connection (measured: trace lookups p50 68 -> 27 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise _cannot_listen(host, port, setting, exc.strerror or exc) from exc
    sock.listen(2048)
    sock.setblocking(False)
    return sock


@asynccontextmanager
async def _serve_http(app: ASGIApp, host: str, port: int, setting: str) -> AsyncIterator[int]:
    """Serve `app` on host:port; `setting` names the port's setting (and the task) in errors."""
    name = setting.removesuffix("_port").replace("_", "-")
    sock = _listen(host, port, setting)
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", timeout_keep_alive=30,
        timeout_graceful_shutdown=10, server_header=False,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=name)
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"{name} stopped during start-up")
            await asyncio.sleep(0.01)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()


@asynccontextmanager
async def _serve_grpc(ingest: Ingest, settings: Settings, tenant_of: otlp_grpc.TenantResolver,
                      query_api: ASGIApp) -> AsyncIterator[int]:
    server = otlp_grpc.create_server(
        [otlp_grpc.service_handler(signal, ingest, tenant_of) for signal in TABLES],
        settings.max_request_bytes,
    )
    grpc_service.add_to_server(server, query_api)  # spanhouse.v1.QueryService beside the OTLP services
    address = f"[{settings.bind}]" if ":" in settings.bind else settings.bind
    try:
        port = server.add_insecure_port(f"{address}:{settings.otlp_grpc_port}")
    except RuntimeError as exc:  # grpcio >= 1.60 raises where older versions returned 0
        raise _cannot_listen(settings.bind, settings.otlp_grpc_port, "otlp_grpc_port", "cannot bind") from exc
    if port == 0:
        raise _cannot_listen(settings.bind, settings.otlp_grpc_port, "otlp_grpc_port", "cannot bind")
    await server.start()
    try:
        yield port
    finally:
        await server.stop(grace=5)


def wal_root(settings: Settings) -> Path | None:
    """Where the write-ahead logs live (`SPANHOUSE_WAL_DIR`), or None when there are none."""
    if settings.wal_dir == "off":
        return None
    if settings.wal_dir:
        return Path(settings.wal_dir).expanduser().resolve()
    dsn = resolve_dsn(settings.clickhouse_dsn)
    if not is_embedded(dsn):
        return Path("spanhouse-wal").resolve()
    parsed = urlparse(dsn)
    if parsed.netloc in ("memory", ":memory:"):
        return None  # nothing survives the process: a log would only add a write
    return Path(parsed.path) / "spanhouse-wal"


def normalisation(settings: Settings) -> Normalisation:
    """Content policy and prices from the settings (raises ConfigError for a bad price file)."""
    redactions = DEFAULT_REDACTIONS if settings.content_redaction else ()
    custom = tuple(Redaction(f"custom {number}", re.compile(line), "[REDACTED]")
                   for number, line in enumerate(settings.content_redact_patterns.splitlines(), 1) if line)
    policy = ContentPolicy(capture=settings.content_capture, max_bytes=settings.content_max_bytes,
                           redact=redactions + custom, deduplicate=settings.content_dedup)
    prices = PriceTable.load(Path(settings.prices_file) if settings.prices_file else None)
    horizon = max(settings.retention_raw_days, settings.retention_minute_days, settings.retention_hourly_days,
                  settings.retention_daily_days)
    return Normalisation(policy, prices, retention_days=settings.retention_raw_days, ttl_horizon_days=horizon)


def _encode_pool(settings: Settings, layouts: dict[Signal, TableLayout],
                 content_layout: TableLayout) -> ThreadEncodePool | ProcessEncodePool:
    processes = settings.decode_processes
    if processes == 0:
        return ThreadEncodePool(layouts, normalisation(settings), content_layout=content_layout)
    return ProcessEncodePool(layouts, processes if processes > 0 else (os.cpu_count() or 1), normalisation(settings),
                             content_layout=content_layout)


def _warn_if_open(bind: str, tenant: str) -> None:
    try:
        loopback = ipaddress.ip_address(bind).is_loopback
    except ValueError:
        loopback = bind == "localhost"
    if loopback:
        logger.info("no API keys configured: open access as tenant %r (listening on %s only)", tenant, bind)
        return
    logger.warning("=" * 78)
    logger.warning("NO API KEYS CONFIGURED and listening on %s: anyone who can reach this address can send", bind)
    logger.warning("and read all data. Set SPANHOUSE_API_KEYS_FILE (README: 'Tenants and API keys').")
    logger.warning("=" * 78)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[BoundPorts]:
    """Run spanhouse until the context exits; yields the ports it bound."""
    keys = KeyRing.load(settings.api_keys_file, settings.default_tenant)
    alert_routes = load_routes(settings.alert_routes_file or None)  # a bad routes file stops the start here
    if keys.open:
        _warn_if_open(settings.bind, settings.default_tenant)
    else:
        logger.info("API keys: %d configured; every request needs one", len(keys))
    async with AsyncExitStack() as stack:
        migrated = await asyncio.to_thread(open_store, settings)
        stack.callback(migrated.close)
        reader_clients = []
        for _ in range(settings.query_connections):
            reader_clients.append(connect(settings.clickhouse_dsn, settings.clickhouse_database))
            stack.callback(reader_clients[-1].close)
        # Analysts' ad-hoc SQL gets a read-only client of its own, so trace lookups never wait behind it.
        limits = Limits(settings.sql_max_execution_s, settings.sql_max_rows, settings.sql_max_memory_bytes)
        sql_client = connect(settings.clickhouse_dsn, settings.clickhouse_database, **limits.client_settings())
        stack.callback(sql_client.close)

        # One writer (and one client handle: chDB runs one call at a time per handle) per table,
        # so log inserts never wait behind span inserts, nor span inserts behind their text.
        layouts: dict[str, TableLayout] = {}
        writers: dict[str, BatchWriter] = {}
        logs = wal_root(settings)
        tables: dict[str, tuple[str, tuple[str, ...]]] = {"content": (CONTENT_TABLE, CONTENT_COLUMNS)}
        tables.update((signal, table) for signal, table in TABLES.items())
        for name, (table, columns) in tables.items():
            client = migrated if name == "traces" else connect(settings.clickhouse_dsn, settings.clickhouse_database)
            if client is not migrated:
                stack.callback(client.close)
            layouts[name] = await asyncio.to_thread(TableLayout.read, client, table, columns)
            wal = None if logs is None else WriteAheadLog(logs / settings.clickhouse_database / table,
                                                          fsync=settings.wal_fsync)
            # Entering replays what the log kept from the last run: before the dedup memory is loaded below.
            writers[name] = await asyncio.to_thread(stack.enter_context, BatchWriter(
                client, layouts[name],
                batch_max_spans=settings.batch_max_spans,
                flush_interval_s=settings.flush_interval_ms / 1000,
                queue_max_spans=settings.queue_max_spans,
                retry_deadline_s=settings.write_timeout_s,
                wal=wal,
                insert_niceness=INSERT_NICENESS if is_embedded(settings.clickhouse_dsn) else 0,
            ))

        dedup: SpanDedup | None = None
        nesting: NestedCalls | None = None
        if settings.dedup_window_s:
            dedup = SpanDedup(settings.dedup_window_s)
            reloaded = await asyncio.to_thread(dedup.load, migrated)
            logger.info("dedup: %d spans stored in the last %ds will not be stored again", reloaded,
                        settings.dedup_window_s)
            # the same window for parents of model calls that arrive after their children
            nesting = NestedCalls(settings.dedup_window_s)
            await asyncio.to_thread(nesting.load, migrated)
        signals: tuple[Signal, ...] = tuple(TABLES)
        # Entering a process pool waits for its workers to import spanhouse: off the event loop.
        pool = _encode_pool(settings, {signal: layouts[signal] for signal in signals}, layouts["content"])
        await asyncio.to_thread(stack.enter_context, pool)
        ingest = Ingest({signal: writers[signal] for signal in signals}, pool, write_timeout_s=settings.write_timeout_s,
                        dedup=dedup, content_sink=writers["content"], nesting=nesting,
                        budget=BodyBudget(settings.inflight_max_bytes))

        def sender(request: Request) -> str:
            return keys.authenticate(credentials(request.headers), "ingest").tenant

        def grpc_sender(metadata: otlp_grpc.Metadata) -> str:
            return keys.authenticate(credentials(metadata), "ingest").tenant

        def reader_tenant(request: Request) -> str:
            return keys.authenticate(credentials(request.headers), "read").tenant

        def require_admin(request: Request) -> None:
            keys.authenticate(credentials(request.headers), "admin")

        # Anomalies: one store (one client, one lock) shared by the API's status changes and the detector.
        anomaly_client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
        stack.callback(anomaly_client.close)
        anomaly_store = AnomalyStore(anomaly_client)

        # Alerting before the detector that feeds it and the API that tests it, so it stops after both.
        alert_client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
        stack.callback(alert_client.close)
        alerter = stack.enter_context(Alerter(alert_routes, DeliveryLog(alert_client)))

        query_api = api.create_app(Reader(*reader_clients), reader_tenant, sql=AdhocSql(sql_client, limits),
                                   require_admin=require_admin, retention=retention(settings),
                                   anomaly_store=anomaly_store, alerter=alerter,
                                   backlog=lambda: {"spans": writers["traces"].queued_spans,
                                                    "log_records": writers["logs"].queued_spans,
                                                    "message_texts": writers["content"].queued_spans},
                                   caught_up=partial(caught_up, [writer.watermark for writer in writers.values()],
                                                     settings.read_wait_ms / 1000))
        grpc_port = await stack.enter_async_context(_serve_grpc(ingest, settings, grpc_sender, query_api))
        http_port = await stack.enter_async_context(_serve_http(
            otlp_http.create_app(ingest, sender, settings.max_request_bytes, settings.body_timeout_s),
            settings.bind, settings.otlp_http_port, "otlp_http_port",
        ))
        api_port = await stack.enter_async_context(_serve_http(query_api, settings.bind, settings.api_port,
                                                               "api_port"))
        # Anomaly detection last in, first out: it stops before the listeners and clients it reads through.
        detect_client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
        stack.callback(detect_client.close)
        stack.enter_context(Scheduler(detect_client, anomaly_store, load_rules(settings.detect_rules_file or None),
                                      settings.detect_interval_s, on_changes=alerter.notify))
        yield BoundPorts(settings.bind, grpc_port, http_port, api_port)
        logger.info("shutting down: draining %d queued spans, %d queued log records",
                    writers["traces"].queued_spans, writers["logs"].queued_spans)
