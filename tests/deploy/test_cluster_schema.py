"""deploy/clickhouse-cluster/schema: rendered from the current migrations, and it works as an operator applies it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from spanhouse.app import INSERT_COLUMNS
from spanhouse.store.cluster import render_files
from spanhouse.store.migrations import load_migrations
from tests.deploy import CLUSTER_DIR, COMMITTED_TARGET, ROOT
from tests.factories import hex_id

SCHEMA_DIR = CLUSTER_DIR / "schema"


def test_the_committed_cluster_schema_is_rendered_from_the_current_migrations():
    expected = render_files(load_migrations(), COMMITTED_TARGET)
    committed = {path.name: path.read_text(encoding="utf-8") for path in SCHEMA_DIR.glob("*.sql")}
    stale = sorted(name for name in expected.keys() | committed.keys() if expected.get(name) != committed.get(name))
    assert not stale, (f"deploy/clickhouse-cluster/schema/ is stale ({', '.join(stale)}): run `make cluster-ddl` "
                       "and commit the result")


def test_make_cluster_ddl_renders_the_committed_target():
    recipe = re.search(r"^cluster-ddl:.*\n\t(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert recipe is not None
    assert recipe.group(1) == f"$(VENV)/bin/{COMMITTED_TARGET.command()} --out deploy/clickhouse-cluster/schema"


def test_applied_as_an_operator_would_the_schema_leaves_spanhouse_nothing_to_migrate_and_a_working_write_path(
        tmp_path):
    result = subprocess.run([sys.executable, "-m", "tests.deploy.cluster_engine", str(SCHEMA_DIR), str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)

    migrations = load_migrations()
    assert report["migrate"] == []
    assert report["recorded"] == [[m.version, m.name, m.checksum] for m in migrations]  # once, though applied twice
    engines = report["engines"]
    for name, engine in engines.items():
        if name.endswith("_local"):
            assert engines[name.removesuffix("_local")] == "Distributed", name
            assert engine.endswith("MergeTree"), name
    assert report["distributed_columns"] == report["local_columns"]
    # the writer inserts every column except those ClickHouse fills (DEFAULT, MATERIALIZED)
    assert sorted(INSERT_COLUMNS) == sorted(name for name, _, default_kind, *_ in report["distributed_columns"]
                                            if not default_kind)
    spans_per_trace = [[hex_id(7), 2], [hex_id(8), 1]]
    assert report["local_spans"] == spans_per_trace
    assert report["trace_spans"] == spans_per_trace
    assert report["trace_threads"] == [[hex_id(7), "thread-1"]]  # the MV on otel_traces_local fired
    assert report["unpriced_models"] == report["unpriced_spans"]
