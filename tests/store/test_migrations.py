"""Migrations: applied once, recorded, idempotent; the writer's column list matches the table."""

from __future__ import annotations

import re

from clickhouse_connect.driver.client import Client

from spanhouse.app import INSERT_COLUMNS, open_store
from spanhouse.store import migrations
from spanhouse.store.client import connect
from spanhouse.store.sqltext import split_statements


def schema_of(client: Client, database: str) -> dict[str, str]:
    rows = client.query("SELECT name, create_table_query FROM system.tables WHERE database = {db:String}",
                        parameters={"db": database}).result_rows
    return {name: statement.replace(f"{database}.", "DB.") for name, statement in rows}


def test_every_migration_is_recorded_and_a_second_run_changes_nothing(unmigrated_settings):
    store = open_store(unmigrated_settings)
    names = [m.name for m in migrations.load_migrations()]
    assert [name for (name,) in store.query("SELECT name FROM schema_migrations ORDER BY version").result_rows] \
        == names
    schema_before = schema_of(store, unmigrated_settings.clickhouse_database)

    assert migrations.migrate(store) == []

    assert store.query("SELECT count() FROM schema_migrations").result_rows == [(len(names),)]
    assert schema_of(store, unmigrated_settings.clickhouse_database) == schema_before
    store.close()


def test_each_test_database_is_the_schema_the_migrations_make(unmigrated_settings, settings, store):
    """Tests run on copies of one migrated database (tests/schema_template.py); the copy must not drift."""
    migrated = open_store(unmigrated_settings)
    copied = schema_of(store, settings.clickhouse_database)
    assert copied == schema_of(migrated, unmigrated_settings.clickhouse_database)
    recorded = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
    assert store.query(recorded).result_rows == migrated.query(recorded).result_rows
    migrated.close()


def test_the_schema_has_the_exporter_tables(query):
    tables = {name for (name,) in query("SELECT name FROM system.tables WHERE database = currentDatabase()")}
    assert {"otel_traces", "otel_traces_trace_id_ts", "otel_traces_trace_id_ts_mv", "schema_migrations"} <= tables


def test_the_writer_inserts_every_column_except_those_clickhouse_fills(query):
    described = {name: default_kind for name, _type, default_kind, *_ in query("DESCRIBE TABLE otel_traces")}
    assert {name for name, kind in described.items() if kind} == {"ReceivedAt"}
    assert sorted(INSERT_COLUMNS) == sorted(name for name, kind in described.items() if not kind)


def test_exporter_columns_keep_the_exporter_types(query):
    types = dict((name, type_) for name, type_, *_ in query("DESCRIBE TABLE otel_traces"))
    assert {name: types[name] for name in ("Timestamp", "TraceId", "SpanKind", "SpanAttributes", "Duration",
                                            "StatusCode", "Events.Timestamp", "Links.Attributes")} == {
        "Timestamp": "DateTime64(9)", "TraceId": "String", "SpanKind": "LowCardinality(String)",
        "SpanAttributes": "Map(LowCardinality(String), String)", "Duration": "UInt64",
        "StatusCode": "LowCardinality(String)", "Events.Timestamp": "Array(DateTime64(9))",
        "Links.Attributes": "Array(Map(LowCardinality(String), String))",
    }


def test_every_table_view_and_column_has_a_comment_so_describe_explains_the_schema(query):
    assert query("SELECT name FROM system.tables WHERE database = currentDatabase() AND comment = ''") == []
    # A materialized view's columns are its target table's, which carry the comments.
    assert query("SELECT table, name FROM system.columns WHERE database = currentDatabase() AND comment = '' "
                 "AND table NOT IN (SELECT name FROM system.tables WHERE database = currentDatabase() "
                 "AND engine = 'MaterializedView')") == []


def test_a_migration_file_may_hold_several_statements_applied_in_order_and_recorded_once(store, query):
    bootstrap = migrations.load_migrations()[0]
    two = migrations.Migration(9001, "9001_two.sql", """-- a comment before the first statement
        CREATE TABLE IF NOT EXISTS first_one (x String) ENGINE = MergeTree ORDER BY x;
        ALTER TABLE first_one ADD COLUMN IF NOT EXISTS y String; -- 'a ; in a comment'
    """)
    assert migrations.migrate(store, [bootstrap, two]) == ["9001_two.sql"]
    assert migrations.migrate(store, [bootstrap, two]) == []
    assert query("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'first_one'") == [
        ("x",), ("y",)]
    assert query("SELECT count() FROM schema_migrations WHERE version = 9001") == [(1,)]


def test_every_table_an_insert_can_reach_keeps_a_deduplication_window_so_a_retried_insert_is_dropped(query):
    # The writers' tables and every materialized view's target (tests/store/test_insert_retries.py shows why).
    views = query("SELECT create_table_query FROM system.tables WHERE database = currentDatabase() "
                  "AND engine = 'MaterializedView'")
    targets = {match.group(1) for (create,) in views if (match := re.search(r"\bTO \w+\.(\w+)", create))}
    assert targets == {"otel_traces_trace_id_ts", "trace_rollup", "minute_metrics_rollup", "hourly_metrics_rollup",
                       "daily_metrics_rollup", "thread_traces"}
    reached = {"otel_traces", "otel_logs", *targets}
    windows = dict(query("SELECT name, extract(engine_full, 'non_replicated_deduplication_window = (\\d+)') "
                         "FROM system.tables WHERE database = currentDatabase()"))
    assert {table: windows[table] for table in reached} == dict.fromkeys(reached, "1000")


SPANS = """
INSERT INTO otel_traces (Tenant, Timestamp, TraceId, SpanId, ThreadId, Category, Duration, InputTokens)
SELECT 'default', toDateTime64('2026-11-20 10:00:00', 9) + toIntervalMillisecond(number),
       {trace:String}, lower(hex(number + {first:UInt64})), if(number = 0, {thread:String}, ''), 'LLM', 1000, 7
FROM numbers({count:UInt64})
"""
TRACE_TOTALS = """
SELECT trace_id, max(trace_thread_id), sum(span_count), sum(input_token_sum), min(trace_first_seen),
       max(trace_last_seen)
FROM trace_rollup GROUP BY trace_id ORDER BY trace_id
"""


def test_trace_rollup_is_rebuilt_with_small_granules_keeping_its_rows_and_its_views_even_when_run_again(
        unmigrated_settings):
    """0045 copies trace_rollup into a table with 1024-row granules and swaps the two; the views
    feeding it and fed by it follow the name. Run again after an interruption, it copies once."""
    everything = migrations.load_migrations()
    rebuild = next(m for m in everything if m.name == "0045_trace_rollup_small_granules.sql")
    bootstrap = connect(unmigrated_settings.clickhouse_dsn)
    migrations.create_database(bootstrap, unmigrated_settings.clickhouse_database)
    bootstrap.close()
    store = connect(unmigrated_settings.clickhouse_dsn, unmigrated_settings.clickhouse_database)
    migrations.migrate(store, [m for m in everything if m.version < rebuild.version])
    # Two inserts per trace: trace_rollup holds partial rows, one of them without the thread.
    for first, trace, thread in [(0, "a" * 32, ""), (100, "a" * 32, "t1"), (200, "b" * 32, "t1"), (300, "c" * 32, "")]:
        store.command(SPANS, parameters={"first": first, "trace": trace, "thread": thread, "count": 3})
    totals = store.query(TRACE_TOTALS).result_rows
    # Interrupted after the copy, before the swap.
    for statement in split_statements(rebuild.sql)[:3]:
        store.command(statement)

    assert rebuild.name in migrations.migrate(store, everything)

    assert store.query(TRACE_TOTALS).result_rows == totals
    engine = store.query("SELECT engine_full FROM system.tables WHERE database = currentDatabase() "
                         "AND name = 'trace_rollup'").result_rows[0][0]
    assert "index_granularity = 1024" in engine and "min_compress_block_size = 4096" in engine
    assert store.query("SELECT name FROM system.tables WHERE database = currentDatabase() "
                       "AND name LIKE '%rebuild%'").result_rows == []
    store.command(SPANS, parameters={"first": 400, "trace": "d" * 32, "thread": "t1", "count": 2})
    assert store.query(TRACE_TOTALS).result_rows[-1][:3] == ("d" * 32, "t1", 2)
    assert store.query("SELECT DISTINCT trace_id FROM thread_traces WHERE thread_id = 't1' ORDER BY trace_id"
                       ).result_rows == [("a" * 32,), ("b" * 32,), ("d" * 32,)]
    store.close()
