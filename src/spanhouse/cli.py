"""The `spanhouse` command: serve, migrate, detect, demo, sql, settings, cluster-ddl."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

from spanhouse import __version__
from spanhouse.errors import ConfigError, SpanhouseError
from spanhouse.settings import Settings, documented_settings, setting_text

logger = logging.getLogger("spanhouse")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spanhouse",
        description="OpenTelemetry collector and trace store for AI applications, on ClickHouse.",
        epilog="Settings come from SPANHOUSE_* environment variables and an optional TOML file; "
        "`spanhouse settings` lists them.",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML file of settings (environment variables win)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the OTLP receivers and the query API",
                           description="Apply migrations, then receive OTLP on gRPC and HTTP and serve the query API "
                           "until SIGINT or SIGTERM.")
    serve.add_argument("--ports-file", metavar="FILE",
                       help="write the bound ports as JSON to FILE once listening (for scripts and tests)")

    sub.add_parser("migrate", help="create the database and apply schema migrations",
                   description="Create the database if needed and apply every schema migration not yet applied.")

    demo = sub.add_parser("demo", help="send realistic AI agent traces to a running spanhouse",
                          description="Send AI agent traces through the official OpenTelemetry SDK exporter.")
    demo.add_argument("--endpoint", default=None,
                      help="OTLP endpoint: the base URL, or the full http://HOST:PORT/v1/traces (default: "
                      "http://BIND:OTLP_HTTP_PORT, or BIND:OTLP_GRPC_PORT with --grpc)")
    demo.add_argument("--grpc", action="store_true", help="export over OTLP/gRPC instead of OTLP/HTTP")
    demo.add_argument("--traces", type=_positive, default=30, help="how many agent turns to send (default 30)")
    demo.add_argument("--seed", type=int, default=None, help="random seed, for repeatable data")

    sql = sub.add_parser(
        "sql", help="run a read-only SQL query on a running spanhouse and print the result",
        description="Send one read-only ClickHouse query (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS) to a "
        "running spanhouse (POST /api/v1/sql) and print the result. The server applies its limits "
        "(SPANHOUSE_SQL_MAX_EXECUTION_S, SPANHOUSE_SQL_MAX_ROWS, SPANHOUSE_SQL_MAX_MEMORY_BYTES). The query sees "
        "every tenant's data, so a server with API keys wants an admin key (SPANHOUSE_API_KEY).",
        epilog="Parameters: --param tenant=acme --param start='2025-11-22 00:00:00' fills the query's "
        "{tenant:String} and {start:DateTime('UTC')}; ClickHouse binds the values, as written, and parses them as "
        "the placeholder's type. Write an array in ClickHouse's text form: --param models=\"['gpt-4o','o3']\". "
        "Exit status: 0 ok; 1 the query was refused or failed (ClickHouse's message on stderr); 2 a malformed "
        "--param; 3 no spanhouse answered at the URL.")
    sql.add_argument("query", help="the query; - reads it from stdin")
    sql.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="a value for the query's {NAME:Type} placeholder (repeat for each)")
    sql.add_argument("--format", choices=("table", "csv", "tsv", "json"), default="table",
                     help="table (default): aligned text; csv, tsv, json: as the server sends them")
    sql.add_argument("--max-rows", type=_positive, default=None, metavar="N",
                     help="print at most N rows (the server's SPANHOUSE_SQL_MAX_ROWS caps it)")
    sql.add_argument("--url", default=None,
                     help="the query API (default: http://BIND:API_PORT from the settings)")

    detect = sub.add_parser(
        "detect", help="run anomaly detection over a past time range (backfill)",
        description="Run every enabled detection rule and budget at each step from --since to --until, as the "
        "scheduler inside `spanhouse serve` would have, recording anomalies. With the embedded engine, stop "
        "`spanhouse serve` first (one process per data directory).")
    # A value that starts with '-' must be attached with '=' (--since=-7d): argparse reads a
    # separate '-7d' as an option.
    detect.add_argument("--since", required=True, help="RFC 3339, Unix time, or relative: --since=-7d")
    detect.add_argument("--until", default="now", help="RFC 3339, Unix time, or relative (default now): --until=-1d")
    detect.add_argument("--step", default="5m", help="time between two runs (default 5m)")

    sub.add_parser("settings", help="list every setting, its environment variable and its value",
                   description="Print every setting with its environment variable, current value and meaning.")

    ddl = sub.add_parser("cluster-ddl", help="print the schema for a sharded, replicated ClickHouse cluster",
                         description="Render every schema migration for a ClickHouse cluster: ON CLUSTER, "
                         "Replicated*MergeTree _local tables, Distributed tables, MVs on the local tables "
                         "(see deploy/clickhouse-cluster/README.md).")
    ddl.add_argument("--cluster", required=True, help="the cluster's name in the servers' remote_servers")
    ddl.add_argument("--database", default=None, help="database (default: SPANHOUSE_CLICKHOUSE_DATABASE)")
    ddl.add_argument("--zookeeper-prefix", default=None,
                     help="Keeper path of the replicated tables (default /clickhouse/tables)")
    ddl.add_argument("--out", metavar="DIR", help="write one file per migration into DIR, removing stale ones")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(os.environ, args.config)
    except ConfigError as exc:
        print(f"spanhouse: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)  # its start-up lines repeat ours
    try:
        if args.command == "serve":
            return asyncio.run(_serve(settings, args.ports_file))
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "demo":
            return _demo(settings, args.endpoint, args.grpc, args.traces, args.seed)
        if args.command == "sql":
            return _sql(settings, args.query, args.format, args.max_rows, args.url, args.param)
        if args.command == "detect":
            return _detect(settings, args.since, args.until, args.step)
        if args.command == "cluster-ddl":
            return _cluster_ddl(settings, args.cluster, args.database, args.zookeeper_prefix, args.out)
        return _settings(settings)
    except SpanhouseError as exc:
        print(f"spanhouse: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `spanhouse settings | head`: the reader left; say nothing more to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


async def _serve(settings: Settings, ports_file: str | None) -> int:
    from spanhouse.app import running
    from spanhouse.gc_tuning import freeze_start_up_objects

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running(settings) as ports:
        freeze_start_up_objects()
        print(f"spanhouse is running (store: {settings.shown('clickhouse_dsn')}, "
              f"database {settings.clickhouse_database})")
        for line in ports.describe():
            print("  " + line)
        print("  Press Ctrl+C to stop.", flush=True)
        if ports_file:
            # Written whole, then renamed into place: a script polling for the file never reads it half-written.
            partial = Path(ports_file + ".partial")
            partial.write_text(json.dumps(
                {"host": ports.host, "otlp_grpc": ports.otlp_grpc, "otlp_http": ports.otlp_http, "api": ports.api}
            ))
            partial.replace(ports_file)
        await stop.wait()
    print("spanhouse stopped", flush=True)
    return 0


def _migrate(settings: Settings) -> int:
    from spanhouse.app import migrate_store

    client, changes = migrate_store(settings)
    client.close()
    print("applied: " + ", ".join(changes) if changes else "schema is up to date")
    return 0


def _detect(settings: Settings, since: str, until: str, step: str) -> int:
    import time
    from datetime import UTC, datetime, timedelta

    from spanhouse.app import open_store
    from spanhouse.detect.failures import FailureLog
    from spanhouse.detect.lifecycle import AnomalyStore
    from spanhouse.detect.rules import load_rules
    from spanhouse.detect.scheduler import backfill_times, run_and_record
    from spanhouse.query.params import NS_PER_S, ParamError, duration_ns, time_ns

    now_ns = time.time_ns()
    try:
        start = datetime.fromtimestamp(time_ns(since, "--since", now_ns) / NS_PER_S, UTC)
        end = datetime.fromtimestamp(time_ns(until, "--until", now_ns) / NS_PER_S, UTC)
        interval = timedelta(microseconds=duration_ns(step, "--step") // 1000)
    except ParamError as exc:
        print(f"spanhouse: {exc}", file=sys.stderr)
        return 2
    if interval <= timedelta(0) or start > end:
        print("spanhouse: --step must be positive and --since not after --until", file=sys.stderr)
        return 2
    rules = load_rules(settings.detect_rules_file or None)
    client = open_store(settings)
    try:
        anomalies = AnomalyStore(client)
        runs = opened = resolved = failed_runs = 0
        failed: dict[str, None] = {}  # rule names, in the order they first failed
        failures = FailureLog()  # a rule failing at every step is logged once, not once per step
        for now in backfill_times(start, end, interval):
            # A failing rule is logged and skipped at that step; the backfill goes on, so the other
            # rules' history is complete, and only the exit status reports it.
            result = run_and_record(client, anomalies, rules, now, failures)
            runs += 1
            opened += result.opened
            resolved += sum(1 for change in result.changes if change.event == "resolved")
            failed_runs += bool(result.failed)
            failed.update(dict.fromkeys(result.failed))
    finally:
        client.close()
    print(f"{runs} detection runs from {start.isoformat()} to {end.isoformat()}: {opened} anomalies opened, "
          f"{resolved} resolved")
    if failed:
        print(f"spanhouse: rule{'s' if len(failed) > 1 else ''} {', '.join(failed)} failed in {failed_runs} of "
              f"{runs} runs (the log says why); the other rules ran and what they found was recorded",
              file=sys.stderr)
        return 1
    return 0


def _demo(settings: Settings, endpoint: str | None, grpc: bool, traces: int, seed: int | None) -> int:
    from spanhouse.demo import check_listening, make_exporter, send_demo

    host = "127.0.0.1" if settings.bind in ("0.0.0.0", "::") else settings.bind
    if endpoint is None:
        endpoint = f"{host}:{settings.otlp_grpc_port}" if grpc else f"http://{host}:{settings.otlp_http_port}"
    check_listening(endpoint)
    result = send_demo(make_exporter(endpoint, "grpc" if grpc else "http", settings.api_key), traces=traces,
                       seed=seed)
    print(f"sent {len(result.trace_ids)} traces in {len(result.threads)} conversations to {endpoint}")
    print("open one:")
    # The key the demo sent with also reads, when it is a key with the read role.
    auth = ' -H "Authorization: Bearer $SPANHOUSE_API_KEY"' if settings.api_key else ""
    print(f"  curl -s{auth} http://{host}:{settings.api_port}/api/v1/traces/{result.trace_ids[-1]}")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _sql(settings: Settings, query: str, form: str, max_rows: int | None, url: str | None,
         param_options: list[str]) -> int:
    from spanhouse.sql_client import run

    if query == "-":
        query = sys.stdin.read()
    if url is None:
        host = "127.0.0.1" if settings.bind in ("0.0.0.0", "::") else settings.bind
        url = f"http://{f'[{host}]' if ':' in host else host}:{settings.api_port}"
    # Waiting for a turn and running may each take the server's time limit.
    timeout_s = 2 * settings.sql_max_execution_s + 30
    return run(url, query, form, max_rows, timeout_s, sys.stdout, sys.stderr, settings.api_key, param_options)


def _cluster_ddl(settings: Settings, cluster_name: str, database: str | None, prefix: str | None,
                 out: str | None) -> int:
    from spanhouse.store import cluster
    from spanhouse.store.migrations import load_migrations

    target = cluster.ClusterTarget(cluster_name, database or settings.clickhouse_database,
                                   prefix or cluster.DEFAULT_ZOOKEEPER_PREFIX)
    files = cluster.render_files(load_migrations(), target)
    if out is None:
        print("\n".join(files.values()), end="")
        return 0
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in set(directory.glob("[0-9][0-9][0-9][0-9]_*.sql")) - {directory / name for name in files}:
        stale.unlink()
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files to {directory}")
    return 0


def _settings(settings: Settings) -> int:
    for name, env, default, doc in documented_settings():
        print(f"{env}={settings.shown(name)}    (default {setting_text(default)})\n    {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
