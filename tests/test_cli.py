"""The spanhouse command: --help everywhere, and migrate applied twice is a no-op."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "spanhouse", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"], ["demo"], ["settings"]])
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
