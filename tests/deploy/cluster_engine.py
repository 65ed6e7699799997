"""Apply the committed cluster schema to a chDB engine that knows a one-shard cluster, then use it as spanhouse does.

Run by test_cluster_schema.py in a process of its own: chDB hosts one engine per process and this one needs a
config file. chDB has no Keeper, so `ON CLUSTER` and the Replicated engines' Keeper arguments are taken out of each
statement; everything else (Distributed tables, MVs on the local tables, views, ALTERs of both, the
schema_migrations records) runs as an operator runs it. Prints a JSON report on stdout.

Usage: python -m tests.deploy.cluster_engine SCHEMA_DIR WORK_DIR
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from clickhouse_connect.driver._chdbclient import ChdbClient

from spanhouse.app import INSERT_COLUMNS, TRACES_TABLE
from spanhouse.decode.traces import decode_spans
from spanhouse.normalise.spans import normalise_batch
from spanhouse.store import migrations
from spanhouse.store.native import NativeEncoder, TableLayout
from spanhouse.store.sqltext import split_statements
from spanhouse.store.writer import BatchWriter
from tests.factories import export_request, llm_span, make_span

# tcp_port makes the cluster's localhost:9000 replica this very engine, so Distributed inserts and reads stay local.
CONFIG = """<clickhouse>
    <tcp_port>9000</tcp_port>
    <remote_servers>
        <spanhouse><shard><replica><host>localhost</host><port>9000</port></replica></shard></spanhouse>
    </remote_servers>
</clickhouse>
"""
# What spanhouse's ClickHouse user gets from the cluster's users.xml profile.
SETTINGS = {"distributed_foreground_insert": 1}


def without_keeper(statement: str) -> str:
    statement = statement.replace(" ON CLUSTER spanhouse", "")
    return re.sub(r"Replicated(\w*MergeTree)\('[^']*', '[^']*'(?:, )?", r"\1(", statement)


def main(schema_dir: Path, work: Path) -> dict[str, Any]:
    config = work / "config.xml"
    config.write_text(CONFIG)
    options = {"path": str(work / "db"), "chdb_options": {"config-file": str(config)}, "settings": SETTINGS}
    operator = ChdbClient(**options)
    files = sorted(schema_dir.glob("*.sql"))
    for _ in range(2):  # an operator re-running the files changes nothing
        for file in files:
            for statement in split_statements(file.read_text(encoding="utf-8")):
                operator.command(without_keeper(statement))
    client = ChdbClient(database="spanhouse", **options)

    def rows(sql: str) -> list[list[Any]]:
        return [list(row) for row in client.query(sql).result_rows]

    report: dict[str, Any] = {"files": [file.name for file in files], "migrate": migrations.migrate(client)}
    report["recorded"] = rows("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    report["engines"] = dict(rows("SELECT name, engine FROM system.tables WHERE database = 'spanhouse'"))
    report["distributed_columns"] = rows("DESCRIBE TABLE otel_traces")
    report["local_columns"] = rows("DESCRIBE TABLE otel_traces_local")

    spans = [make_span(trace=7, span=1, name="invoke_agent", attributes={"gen_ai.conversation.id": "thread-1"}),
             llm_span(trace=7, span=2, parent=1), llm_span(trace=8, span=3, parent=None)]
    layout = TableLayout.read(client, TRACES_TABLE, INSERT_COLUMNS)
    block = NativeEncoder(layout).encode(normalise_batch(decode_spans(export_request(*spans), "acme")).columns)
    with BatchWriter(client, layout) as writer:
        writer.submit(block).result(timeout=60)
    report["local_spans"] = rows("SELECT TraceId, count() FROM otel_traces_local GROUP BY TraceId ORDER BY TraceId")
    report["trace_threads"] = rows("SELECT trace_id, max(trace_thread_id) AS thread FROM trace_rollup "
                                   "GROUP BY trace_id HAVING thread != '' ORDER BY trace_id")
    report["trace_spans"] = rows("SELECT TraceId, count() FROM otel_traces GROUP BY TraceId ORDER BY TraceId")
    report["unpriced_models"] = rows("SELECT sum(Spans) FROM unpriced_models")[0][0]
    report["unpriced_spans"] = rows("SELECT count() FROM otel_traces WHERE TotalCost IS NULL AND InputTokens > 0")[0][0]
    return report


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2])), default=str))
