"""Migrations: applied once, recorded, idempotent; the writer's column list matches the table."""

from __future__ import annotations

import re

from clickhouse_connect.driver.client import Client

from spanhouse.app import INSERT_COLUMNS, open_store
from spanhouse.store import migrations


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
