"""The spanhouse command: --help everywhere, migrate applied twice is a no-op, sql against a running server."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.factories import BASE_NS, export_request, make_span


def run(*args, env=None, stdin=None):
    return subprocess.run([sys.executable, "-m", "spanhouse", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, input=stdin)


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"], ["demo"], ["sql"], ["settings"], ["cluster-ddl"],
                                     ["detect"]])
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "usage: spanhouse" in result.stdout


def test_migrate_creates_the_schema_then_reports_it_up_to_date(tmp_path):
    env = {"SPANHOUSE_CLICKHOUSE_DSN": f"chdb://{tmp_path}/data"}
    first = run("migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied: 0000_schema_migrations.sql, 0001_otel_traces.sql")
    second = run("migrate", env=env)
    assert second.stdout.strip() == "schema is up to date"


def test_the_version_is_printed():
    from spanhouse import __version__

    result = run("--version")
    assert (result.returncode, result.stdout) == (0, f"spanhouse {__version__}\n")


def test_settings_lists_every_setting_with_secrets_masked_and_toml_spellings():
    result = run("settings", env={"SPANHOUSE_API_KEY": "supersecret",
                                  "SPANHOUSE_CLICKHOUSE_DSN": "http://user:pa55@host:8123"})
    assert result.returncode == 0
    assert "supersecret" not in result.stdout and "pa55" not in result.stdout
    assert "SPANHOUSE_API_KEY=***" in result.stdout
    assert "SPANHOUSE_CLICKHOUSE_DSN=http://user:***@host:8123" in result.stdout
    assert "SPANHOUSE_CONTENT_CAPTURE=true    (default true)" in result.stdout


def test_a_bad_setting_exits_2_with_the_reason():
    result = run("settings", env={"SPANHOUSE_API_PORT": "x"})
    assert (result.returncode, result.stderr.strip()) == (
        2, "spanhouse: setting api_port (SPANHOUSE_API_PORT) must be an integer, got 'x'")


@pytest.fixture(scope="module")
def serving(tmp_path_factory):
    """`spanhouse serve` in its own process and store, holding two spans; yields the query API's URL."""
    tmp = tmp_path_factory.mktemp("cli-sql")
    ports_file = tmp / "ports.json"
    env = {**os.environ, "SPANHOUSE_CLICKHOUSE_DSN": f"chdb://{tmp}/data", "SPANHOUSE_OTLP_GRPC_PORT": "0",
           "SPANHOUSE_OTLP_HTTP_PORT": "0", "SPANHOUSE_API_PORT": "0", "SPANHOUSE_DECODE_PROCESSES": "0",
           "SPANHOUSE_FLUSH_INTERVAL_MS": "1",
           # the spans below carry fixed 2025 timestamps, which the default retention would drop
           "SPANHOUSE_RETENTION_RAW_DAYS": "0"}
    with (tmp / "serve.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "spanhouse", "serve", "--ports-file", str(ports_file)],
                                   env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while not ports_file.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("spanhouse did not start: " + (tmp / "serve.log").read_text()[-2000:])
                time.sleep(0.05)
            ports = json.loads(ports_file.read_text())
            spans = [make_span(trace=1, span=1, name="invoke_agent planner", start_ns=BASE_NS, duration_ns=9_000_000),
                     make_span(trace=1, span=2, parent=1, name="chat " + "x" * 80, start_ns=BASE_NS + 1_000)]
            httpx.post(f"http://127.0.0.1:{ports['otlp_http']}/v1/traces", timeout=30,
                       content=export_request(*spans).SerializeToString(),
                       headers={"Content-Type": "application/x-protobuf"}).raise_for_status()
            yield ports["api"]
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)


def sql(api_port, *args, stdin=None):
    """`spanhouse sql ...` finding the server through the settings, as a user's shell would."""
    return run("sql", *args, stdin=stdin, env={"SPANHOUSE_API_PORT": str(api_port)})


SPANS = ("SELECT SpanName AS name, Duration AS ns, nullIf(ParentSpanId, '') AS parent, Timestamp "
         "FROM otel_traces ORDER BY Timestamp")


@pytest.mark.slow
def test_sql_prints_an_aligned_table_with_null_and_cut_cells(serving):
    result = sql(serving, SPANS)
    assert (result.returncode, result.stdout) == (0, (
        " name                                                         | ns      | parent           | Timestamp\n"
        "--------------------------------------------------------------+---------+------------------+"
        "--------------------------------\n"
        " invoke_agent planner                                         | 9000000 | NULL             | "
        "2025-11-22T08:26:40.000000000Z\n"
        " chat xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… | 1000000 | 0000000000000001 | "
        "2025-11-22T08:26:40.000001000Z\n"))
    assert result.stderr.startswith("2 rows in ")


@pytest.mark.slow
def test_sql_reads_the_query_from_stdin_and_prints_csv_tsv_or_json(serving):
    csv = sql(serving, "-", "--format", "csv", stdin="SELECT number AS n, NULL AS nothing FROM numbers(3)")
    assert (csv.returncode, csv.stdout) == (0, "n,nothing\n0,\n1,\n2,\n")
    tsv = sql(serving, "SELECT 'a\tb' AS s, NULL AS nothing", "--format", "tsv")
    assert tsv.stdout == "s\tnothing\na\\tb\t\\N\n"
    doc = json.loads(sql(serving, "SELECT count() AS spans FROM otel_traces", "--format", "json").stdout)
    assert (doc["columns"], doc["rows"]) == ([{"name": "spans", "type": "UInt64"}], [[2]])


@pytest.mark.slow
def test_sql_max_rows_cuts_the_result_and_says_so(serving):
    result = sql(serving, "SELECT number FROM numbers(10)", "--max-rows", "2", "--format", "csv")
    assert (result.returncode, result.stdout) == (0, "number\n0\n1\n")
    assert "truncated to the first 2 rows" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("query", "stderr"), [
    ("SELEC 1", "spanhouse: ClickHouse error 62 (SYNTAX_ERROR): Syntax error: failed at position 7 (1): 1. "),
    ("SELECT * FROM nowhere", "spanhouse: ClickHouse error 60 (UNKNOWN_TABLE): Unknown table expression identifier "
                              "'nowhere'"),
    ("DROP TABLE otel_traces", "spanhouse: ad-hoc SQL is read-only (readonly=1): DROP is not allowed; "),
])
def test_sql_errors_exit_1_with_clickhouses_message_on_stderr(serving, query, stderr):
    result = sql(serving, query)
    assert (result.returncode, result.stdout, result.stderr.startswith(stderr)) == (1, "", True), result.stderr


@pytest.mark.slow
def test_sql_params_fill_the_placeholders_and_an_empty_result_keeps_its_header(serving):
    query = ("SELECT SpanName AS name, {models:Array(String)} AS models FROM otel_traces "
             "WHERE SpanName = {name:String} ORDER BY Timestamp")
    found = sql(serving, query, "--param", "name=invoke_agent planner", "--param", "models=['o3','it\\'s']")
    assert (found.returncode, found.stdout) == (0, (
        " name                 | models\n"
        "----------------------+---------------\n"
        ' invoke_agent planner | ["o3","it\'s"]\n'))
    empty = sql(serving, query, "--param", "name=nothing", "--param", "models=[]")
    assert (empty.returncode, empty.stdout, empty.stderr.startswith("0 rows in ")) == (
        0, " name | models\n------+--------\n", True)


@pytest.mark.slow
def test_sql_names_a_missing_parameter_and_refuses_a_malformed_one(serving):
    missing = sql(serving, "SELECT {tenant:String}")
    assert (missing.returncode, missing.stderr) == (1, (
        "spanhouse: no value for the query's {tenant:String}: send it in \"params\" (spanhouse sql --param "
        "tenant=VALUE) (HTTP 400 missing_parameter)\n"))
    malformed = sql(serving, "SELECT {tenant:String}", "--param", "tenant")
    assert (malformed.returncode, malformed.stderr) == (2, "spanhouse: --param takes NAME=VALUE, got 'tenant'\n")


def test_sql_without_a_server_says_so_and_exits_3():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run("sql", "SELECT 1", "--url", f"http://127.0.0.1:{port}")
    assert (result.returncode, result.stderr) == (3, (
        f"spanhouse: cannot reach spanhouse at http://127.0.0.1:{port}/api/v1/sql (Connection refused); "
        "is `spanhouse serve` running? (--url names another address)\n"))
def test_cluster_ddl_prints_the_cluster_schema_in_migration_order():
    result = run("cluster-ddl", "--cluster", "prod", env={"SPANHOUSE_CLICKHOUSE_DATABASE": "traces"})
    assert result.returncode == 0, result.stderr
    sources = re.findall(r"^-- from src/spanhouse/store/schema/(\S+)\.$", result.stdout, re.MULTILINE)
    assert sources == sorted(sources) and sources[:2] == ["0000_schema_migrations.sql", "0001_otel_traces.sql"]
    assert "CREATE DATABASE IF NOT EXISTS traces ON CLUSTER prod;" in result.stdout


def test_cluster_ddl_writes_one_file_per_migration_and_removes_stale_ones(tmp_path):
    (tmp_path / "0999_dropped_migration.sql").write_text("-- rendered from a migration that is gone")
    (tmp_path / "notes.txt").write_text("not ours")
    result = run("cluster-ddl", "--cluster", "prod", "--database", "traces", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written[0] == "0000_schema_migrations.sql" and written[-1] == "notes.txt"
    assert "0999_dropped_migration.sql" not in written
    assert result.stdout.strip() == f"wrote {len(written) - 1} files to {tmp_path}"


def test_cluster_ddl_refuses_a_relative_keeper_prefix():
    result = run("cluster-ddl", "--cluster", "prod", "--zookeeper-prefix", "clickhouse/tables")
    assert (result.returncode, result.stderr.strip()) == (
        1, "spanhouse: zookeeper prefix must start with / and not end with one, got 'clickhouse/tables'")
