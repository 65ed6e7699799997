"""The spanhouse command: --help everywhere, and migrate applied twice is a no-op."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "spanhouse", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"], ["demo"], ["settings"], ["cluster-ddl"]])
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


def test_a_bad_setting_exits_2_with_the_reason():
    result = run("settings", env={"SPANHOUSE_API_PORT": "x"})
    assert (result.returncode, result.stderr.strip()) == (
        2, "spanhouse: setting api_port (SPANHOUSE_API_PORT) must be an integer, got 'x'")


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
