"""The cluster schema: every migration rendered for a sharded, replicated ClickHouse.

What the rendered DDL must be is checked against two independent readers: ClickHouse's own parser
(`formatQuerySingleLine` in chDB, which also proves every statement parses) and the single-node
schema as ClickHouse reports it after `spanhouse migrate` (system.tables, system.columns). So a
migration added later is covered by the same rules without touching these tests.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from spanhouse.app import open_store
from spanhouse.settings import Settings
from spanhouse.store.client import connect
from spanhouse.store.cluster import (
    SHARDING_KEYS,
    TRACE_ID_COLUMNS,
    ClusterRenderer,
    ClusterRenderError,
    ClusterTarget,
    create_database_statement,
    record_statement,
    render_files,
    render_migrations,
    renderer_after,
)
from spanhouse.store.migrations import Migration, load_migrations

TARGET = ClusterTarget(cluster="spanhouse", database="spanhouse")
REPLICATED = re.escape("('/clickhouse/tables/{shard}/{database}/{table}', '{replica}'")


@dataclass(frozen=True)
class Table:
    engine: str
    primary_key: str  # the sort key at creation: columns added to ORDER BY later join the sorting key only
    columns: frozenset[str]


@pytest.fixture(scope="module")
def canonical(chdb_path) -> Iterator[Callable[[str], str]]:
    """ClickHouse's parser: a statement on one line, in ClickHouse's spelling; a syntax error raises."""
    client = connect(f"chdb://{chdb_path}")

    def parse(statement: str) -> str:
        return client.query("SELECT formatQuerySingleLine({q:String})", parameters={"q": statement}).result_rows[0][0]

    yield parse
    client.close()


@pytest.fixture(scope="module")
def cluster_ddl(canonical) -> list[str]:
    """Every rendered statement, as ClickHouse's parser reads it."""
    return [canonical(statement) for m in render_migrations(load_migrations(), TARGET) for statement in m.statements]


@pytest.fixture(scope="module")
def single_node(chdb_path) -> dict[str, Table]:
    """The single-node schema as ClickHouse describes it after the runner applied every migration."""
    settings = Settings(clickhouse_dsn=f"chdb://{chdb_path}",
                        clickhouse_database=f"single_node_{int(time.time() * 1000) % 10**8}")
    client = open_store(settings)
    columns: dict[str, set[str]] = {}
    for table, column in client.query("SELECT table, name FROM system.columns WHERE database = currentDatabase()"
                                      ).result_rows:
        columns.setdefault(table, set()).add(column)
    tables = {name: Table(engine, key, frozenset(columns.get(name, ())))
              for name, engine, key in client.query("SELECT name, engine, primary_key FROM system.tables "
                                                    "WHERE database = currentDatabase()").result_rows}
    client.close()
    return tables


def one(ddl: list[str], prefix: str) -> str:
    found = [statement for statement in ddl if statement.startswith(prefix + " ")]
    assert len(found) == 1, f"{len(found)} statements start with {prefix!r}"
    return found[0]


def sharding_key(ddl: list[str], name: str) -> str:
    """The sharding key of the Distributed table `name`, which must read `name`_local on every shard."""
    create = one(ddl, f"CREATE TABLE IF NOT EXISTS spanhouse.{name} ON CLUSTER spanhouse")
    found = re.fullmatch(rf".* AS spanhouse\.{name}_local ENGINE = Distributed\('spanhouse', 'spanhouse', "
                         rf"'{name}_local', (.*?)\)( COMMENT '.*')?", create)
    assert found, create
    return found.group(1)


def sharded_tables(single_node: dict[str, Table]) -> dict[str, Table]:
    return {name: table for name, table in single_node.items()
            if table.engine.endswith("MergeTree") and name != "schema_migrations"}


def test_every_rendered_statement_parses_and_every_ddl_runs_on_the_cluster(canonical, cluster_ddl):
    assert cluster_ddl, "nothing rendered"
    for statement in cluster_ddl:
        if statement.startswith("INSERT INTO "):  # a backfill: runs once, through the Distributed tables
            assert re.match(r"^INSERT INTO spanhouse\.\w+ ", statement), statement[:80]
            assert "ON CLUSTER" not in statement and "_local" not in statement, statement[:120]
            continue
        assert re.match(r"^(CREATE|ALTER|DROP|TRUNCATE|EXCHANGE)\b", statement), statement[:80]
        assert re.search(r"^\w+( OR REPLACE)?( MATERIALIZED)? \w+ (IF (NOT )?EXISTS )?[\w`]+(\.[\w`]+)? "
                         r"(AND [\w`]+\.[\w`]+ )?ON CLUSTER spanhouse\b", statement), statement[:120]
    assert canonical(create_database_statement(TARGET)) == \
        "CREATE DATABASE IF NOT EXISTS spanhouse ON CLUSTER spanhouse"


def test_every_mergetree_table_becomes_a_replicated_local_table_using_the_macros(cluster_ddl, single_node):
    for name, table in sharded_tables(single_node).items():
        create = one(cluster_ddl, f"CREATE TABLE IF NOT EXISTS spanhouse.{name}_local ON CLUSTER spanhouse")
        # engine arguments (ReplacingMergeTree's version column) follow the replication ones
        assert re.search(rf" ENGINE = Replicated{table.engine}{REPLICATED}(, \w+)?\) ", create), create[-400:]


def test_every_base_table_has_a_distributed_table_under_its_own_name(cluster_ddl, single_node):
    for name, table in sharded_tables(single_node).items():
        trace_id = next((column for column in TRACE_ID_COLUMNS if column in table.columns), None)
        if name in SHARDING_KEYS:
            expected = SHARDING_KEYS[name]
        elif trace_id:
            expected = f"cityHash64({trace_id})"  # a trace's rows, time range and context on one shard
        else:
            # rows of one key meet, and merge, on one shard (a prefix of the sort key is enough)
            expected = f"cityHash64({table.primary_key})"
        assert sharding_key(cluster_ddl, name) == expected, name


def test_todays_tables_are_sharded_by_trace(cluster_ddl):
    names = ("otel_traces", "otel_traces_trace_id_ts", "trace_rollup", "otel_logs")
    assert {name: sharding_key(cluster_ddl, name) for name in names} == {
        "otel_traces": "cityHash64(TraceId)",
        "otel_traces_trace_id_ts": "cityHash64(TraceId)",
        "trace_rollup": "cityHash64(trace_id)",
        # logs without trace context would all land on the shard of '': spread at random instead
        "otel_logs": "if(TraceId = '', rand(), cityHash64(TraceId))",
    }


def test_materialized_views_read_from_and_write_to_local_tables(cluster_ddl, single_node):
    views = [name for name, t in single_node.items() if t.engine == "MaterializedView"]
    assert views
    for name in views:
        create = one(cluster_ddl, f"CREATE MATERIALIZED VIEW IF NOT EXISTS spanhouse.{name} ON CLUSTER spanhouse")
        assert re.search(r" TO spanhouse\.\w+_local ", create), create[:200]
        sources = re.findall(r"\b(?:FROM|JOIN) (spanhouse\.\w+)", create)
        assert sources and all(source.endswith("_local") for source in sources), sources


def test_plain_views_read_the_distributed_tables(cluster_ddl, single_node):
    views = [name for name, t in single_node.items() if t.engine == "View"]
    assert views
    for name in views:
        create = one(cluster_ddl, f"CREATE VIEW IF NOT EXISTS spanhouse.{name} ON CLUSTER spanhouse")
        sources = re.findall(r"\b(?:FROM|JOIN) (spanhouse\.\w+)", create)
        assert sources and not any(source.endswith("_local") for source in sources), sources


def test_added_columns_go_to_the_local_and_then_the_distributed_table(cluster_ddl):
    added = re.compile(r"\(ADD COLUMN (?:IF NOT EXISTS )?`?(\w+)`?")
    altered = 0
    for local, following in itertools.pairwise(cluster_ddl):
        table = re.match(r"ALTER TABLE spanhouse\.(\w+)_local ON CLUSTER spanhouse ", local)
        if table and added.search(local):
            assert following.startswith(f"ALTER TABLE spanhouse.{table.group(1)} ON CLUSTER spanhouse "), following
            assert added.findall(following) == added.findall(local)
            altered += 1
    assert altered
    local_0004 = next(s for s in cluster_ddl if "`ToolArguments`" in s)
    assert local_0004.startswith("ALTER TABLE spanhouse.otel_traces_local ON CLUSTER spanhouse (ADD COLUMN")


def test_schema_migrations_is_one_replicated_table_that_every_node_holds_whole(cluster_ddl):
    create = one(cluster_ddl, "CREATE TABLE IF NOT EXISTS spanhouse.schema_migrations ON CLUSTER spanhouse")
    assert " ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{shard}-{replica}') " in create
    assert not [s for s in cluster_ddl if "schema_migrations_local" in s or "'schema_migrations'" in s]


def test_statements_issued_at_run_time_render_against_the_migrated_schema():
    renderer = renderer_after(load_migrations(), TARGET)
    retention = "ALTER TABLE otel_traces MODIFY TTL toDateTime(Timestamp) + toIntervalDay({days:UInt32})"
    assert renderer.render(retention) == [
        "ALTER TABLE spanhouse.otel_traces_local ON CLUSTER spanhouse "
        "MODIFY TTL toDateTime(Timestamp) + toIntervalDay({days:UInt32})"]


def test_the_keeper_path_prefix_is_configurable(canonical):
    target = ClusterTarget("prod", "traces", zookeeper_prefix="/spanhouse/prod")
    migrations = [m for m in load_migrations() if m.version <= 1]
    ddl = [canonical(s) for m in render_migrations(migrations, target) for s in m.statements]
    assert " ENGINE = ReplicatedMergeTree('/spanhouse/prod/{shard}/{database}/{table}', '{replica}') " in ddl[1]
    assert ddl[2].startswith("CREATE TABLE IF NOT EXISTS traces.otel_traces ON CLUSTER prod "
                             "AS traces.otel_traces_local "
                             "ENGINE = Distributed('prod', 'traces', 'otel_traces_local', cityHash64(TraceId))")


@pytest.mark.parametrize("prefix", ["", "clickhouse/tables", "/clickhouse/tables/"])
def test_a_keeper_prefix_is_an_absolute_path_without_a_trailing_slash(prefix):
    with pytest.raises(Exception, match="zookeeper prefix"):
        ClusterTarget("c", zookeeper_prefix=prefix)


def test_each_file_records_its_migration_once_with_the_checksum_the_runner_expects(canonical):
    migrations = load_migrations()
    files = render_files(migrations, TARGET)
    assert list(files) == [m.name for m in migrations]
    first = render_migrations(migrations, TARGET)[1]
    assert canonical(record_statement(first, TARGET)) == (
        "INSERT INTO spanhouse.schema_migrations (version, name, checksum) "
        f"SELECT 1, '0001_otel_traces.sql', '{migrations[1].checksum}' "
        "WHERE 1 NOT IN (SELECT version FROM spanhouse.schema_migrations)")
    create_database = "\nCREATE DATABASE IF NOT EXISTS spanhouse ON CLUSTER spanhouse;\n"
    assert [name for name, text in files.items() if create_database in text] == ["0000_schema_migrations.sql"]


# Statement kinds the next migrations bring (rollups, their MVs and views, indexes, TTLs), written
# the way the house style writes them.
ROLLUP_SCHEMA = [
    "CREATE TABLE spans (Tenant String, TraceId String, ThreadId String, Timestamp DateTime64(9), Duration UInt64)"
    " ENGINE = MergeTree ORDER BY (Tenant, TraceId)",
    "CREATE TABLE ctx (Tenant String, TraceId String, ThreadId SimpleAggregateFunction(max, String))"
    " ENGINE = AggregatingMergeTree ORDER BY (Tenant, TraceId)",
    """-- Thread activity: state per (tenant, thread); 'FROM spans (sic)' in a comment is left alone
    CREATE TABLE IF NOT EXISTS thread_activity_state
    (
        tenant LowCardinality(String) COMMENT 'Tenant (see FROM spans; it''s a "quote")',
        thread_id String COMMENT 'Thread id',
        spans AggregateFunction(count) COMMENT 'count() state',
        last_seen SimpleAggregateFunction(max, DateTime64(9)) COMMENT 'max(Timestamp)'
    )
    ENGINE = AggregatingMergeTree
    PARTITION BY tuple()
    ORDER BY (tenant, thread_id)
    TTL toDateTime(last_seen) + INTERVAL 400 DAY
    COMMENT 'Fed by thread_activity_mv (FROM spans JOIN ctx)'""",
    """CREATE MATERIALIZED VIEW IF NOT EXISTS thread_activity_mv TO thread_activity_state AS
    SELECT s.Tenant AS tenant, c.ThreadId AS thread_id, countState() AS spans, max(s.Timestamp) AS last_seen
    FROM spans AS s
    INNER JOIN (SELECT TraceId, max(ThreadId) AS ThreadId FROM ctx GROUP BY TraceId) AS c ON c.TraceId = s.TraceId
    WHERE extract(DAY FROM s.Timestamp) > 0
    GROUP BY tenant, thread_id""",
    """CREATE VIEW IF NOT EXISTS thread_activity AS
    SELECT tenant, thread_id, countMerge(spans) AS spans, max(last_seen) AS last_seen
    FROM thread_activity_state GROUP BY tenant, thread_id""",
    "ALTER TABLE thread_activity_state ADD INDEX idx_thread thread_id TYPE bloom_filter GRANULARITY 1",
    "ALTER TABLE thread_activity_state MODIFY TTL toDateTime(last_seen) + INTERVAL 90 DAY",
    "ALTER TABLE spans ADD COLUMN IF NOT EXISTS Model LowCardinality(String) COMMENT 'm' AFTER Duration, "
    "ADD INDEX IF NOT EXISTS idx_model Model TYPE set(100) GRANULARITY 4",
    "CREATE FUNCTION IF NOT EXISTS ms AS (ns) -> ns / 1e6",
    """INSERT INTO thread_activity_state
    SELECT Tenant, ThreadId, countState(), max(Timestamp) FROM spans GROUP BY Tenant, ThreadId""",
    "DROP TABLE IF EXISTS ctx SYNC",
]


@pytest.fixture(scope="module")
def rollup_ddl(canonical) -> list[str]:
    migrations = [Migration(i, f"{i:04d}_m.sql", sql) for i, sql in enumerate(ROLLUP_SCHEMA)]
    return [canonical(s) for m in render_migrations(migrations, TARGET) for s in m.statements]


def test_a_thread_keyed_rollup_is_sharded_by_its_key(rollup_ddl):
    create = one(rollup_ddl, "CREATE TABLE IF NOT EXISTS spanhouse.thread_activity_state ON CLUSTER spanhouse")
    assert create.endswith("ENGINE = Distributed('spanhouse', 'spanhouse', 'thread_activity_state_local', "
                           "cityHash64(tenant, thread_id)) COMMENT 'Fed by thread_activity_mv (FROM spans JOIN ctx)'")
    local = one(rollup_ddl, "CREATE TABLE IF NOT EXISTS spanhouse.thread_activity_state_local ON CLUSTER spanhouse")
    assert "COMMENT 'Tenant (see FROM spans; it\\'s a \"quote\")'" in local
    assert re.search(rf"ENGINE = ReplicatedAggregatingMergeTree{REPLICATED}\) PARTITION BY tuple\(\) "
                     r"ORDER BY \(tenant, thread_id\) TTL", local)


def test_a_rollup_view_joining_a_subquery_reads_only_local_tables(rollup_ddl):
    create = one(rollup_ddl, "CREATE MATERIALIZED VIEW IF NOT EXISTS spanhouse.thread_activity_mv ON CLUSTER spanhouse")
    assert " TO spanhouse.thread_activity_state_local " in create
    assert re.findall(r"\b(?:FROM|JOIN) ([\w.]+)", create) == ["spanhouse.spans_local", "spanhouse.ctx_local"]
    assert "WHERE toDayOfMonth(s.Timestamp) > 0" in create  # extract(DAY FROM ...) is not a table source


def test_a_finalising_view_reads_the_distributed_rollup(rollup_ddl):
    create = one(rollup_ddl, "CREATE VIEW IF NOT EXISTS spanhouse.thread_activity ON CLUSTER spanhouse")
    assert create.endswith("FROM spanhouse.thread_activity_state GROUP BY tenant, thread_id")


def test_indexes_and_ttls_change_only_the_local_table_columns_change_both(rollup_ddl):
    alters = [s for s in rollup_ddl if s.startswith("ALTER")]
    assert alters == [
        "ALTER TABLE spanhouse.thread_activity_state_local ON CLUSTER spanhouse "
        "(ADD INDEX idx_thread thread_id TYPE bloom_filter GRANULARITY 1)",
        "ALTER TABLE spanhouse.thread_activity_state_local ON CLUSTER spanhouse "
        "(MODIFY TTL toDateTime(last_seen) + toIntervalDay(90))",
        "ALTER TABLE spanhouse.spans_local ON CLUSTER spanhouse "
        "(ADD COLUMN IF NOT EXISTS `Model` LowCardinality(String) COMMENT 'm' AFTER Duration), "
        "(ADD INDEX IF NOT EXISTS idx_model Model TYPE set(100) GRANULARITY 4)",
        "ALTER TABLE spanhouse.spans ON CLUSTER spanhouse "
        "(ADD COLUMN IF NOT EXISTS `Model` LowCardinality(String) COMMENT 'm' AFTER Duration)",
    ]


def test_functions_are_created_and_tables_dropped_on_every_node(rollup_ddl):
    assert "CREATE FUNCTION IF NOT EXISTS ms ON CLUSTER spanhouse AS ns -> (ns / 1000000.)" in rollup_ddl
    assert [s for s in rollup_ddl if s.startswith("DROP")] == [
        "DROP TABLE IF EXISTS spanhouse.ctx ON CLUSTER spanhouse SYNC",
        "DROP TABLE IF EXISTS spanhouse.ctx_local ON CLUSTER spanhouse SYNC",
    ]


def test_comments_and_comment_strings_come_through_verbatim():
    renderer = ClusterRenderer(TARGET)
    renderer.render("CREATE TABLE spans (TraceId String) ENGINE = MergeTree ORDER BY TraceId")
    [view] = renderer.render("""-- leading comments go: the file header names the source
        CREATE VIEW v AS SELECT TraceId -- FROM spans (x), it's "ok"
        /* FROM spans JOIN spans */ FROM spans WHERE TraceId != 'FROM spans' COMMENT 'v (FROM spans)'""")
    assert view == """CREATE VIEW spanhouse.v ON CLUSTER spanhouse AS SELECT TraceId -- FROM spans (x), it's "ok"
        /* FROM spans JOIN spans */ FROM spanhouse.spans WHERE TraceId != 'FROM spans' COMMENT 'v (FROM spans)'"""


def test_a_backfill_runs_once_through_the_distributed_tables(rollup_ddl):
    assert [s for s in rollup_ddl if s.startswith("INSERT")] == [
        "INSERT INTO spanhouse.thread_activity_state SELECT Tenant, ThreadId, countState(), max(Timestamp) "
        "FROM spanhouse.spans GROUP BY Tenant, ThreadId"]


def test_a_materialized_view_fed_by_a_per_node_table_writes_through_the_distributed_table():
    renderer = ClusterRenderer(TARGET)
    renderer.render("CREATE TABLE spans (TraceId String) ENGINE = MergeTree ORDER BY TraceId")
    assert renderer.render("CREATE TABLE incoming (TraceId String) ENGINE = Null") == [
        "CREATE TABLE spanhouse.incoming ON CLUSTER spanhouse (TraceId String) ENGINE = Null"]
    assert renderer.render("CREATE MATERIALIZED VIEW mv TO spans AS SELECT TraceId FROM incoming") == [
        "CREATE MATERIALIZED VIEW spanhouse.mv ON CLUSTER spanhouse TO spanhouse.spans AS SELECT TraceId "
        "FROM spanhouse.incoming"]


@pytest.mark.parametrize(("sql", "reason"), [
    ("CREATE MATERIALIZED VIEW mv ENGINE = MergeTree ORDER BY x AS SELECT x FROM t", "has no TO table"),
    ("CREATE TABLE k (x String) ENGINE = Kafka('b', 't', 'g', 'JSONEachRow')", "no cluster rule for ENGINE = Kafka"),
    ("CREATE TABLE t2 ON CLUSTER c (x String) ENGINE = MergeTree ORDER BY x", "ON CLUSTER is added when rendering"),
    ("CREATE TABLE db.t2 (x String) ENGINE = MergeTree ORDER BY x", "without a database"),
    ("CREATE TABLE t2 AS t", "its own column list"),
    ("RENAME TABLE t TO t2", "teach spanhouse.store.cluster"),
    ("EXCHANGE TABLES t AND v", "only tables of one kind are exchanged"),
    ("EXCHANGE TABLES t AND wide", "need the same columns and sharding key"),
    ("ALTER TABLE missing ADD COLUMN y String", "missing is not created by an earlier migration"),
    ("CREATE TABLE t2 (x String) ENGINE = MergeTree ORDER BY x; DROP TABLE t", "one statement per migration"),
    ("CREATE TABLE t2 (x String COMMENT 'open) ENGINE = MergeTree ORDER BY x", "unterminated"),
    ("CREATE TABLE t2 (x String) ENGINE", "statement ends too early"),
])
def test_what_the_rules_do_not_cover_is_refused_with_the_reason(sql, reason):
    renderer = ClusterRenderer(TARGET)
    renderer.render("CREATE TABLE t (x String) ENGINE = MergeTree ORDER BY x")
    renderer.render("CREATE TABLE wide (x String, y String) ENGINE = MergeTree ORDER BY x")
    renderer.render("CREATE VIEW v AS SELECT x FROM t")
    with pytest.raises(ClusterRenderError, match=re.escape(reason)):
        renderer.render(sql)


def test_a_refused_migration_is_named_in_the_error():
    migrations = [Migration(0, "0000_t.sql", "CREATE TABLE t (x String) ENGINE = Kafka")]
    with pytest.raises(ClusterRenderError, match=r"^0000_t.sql: table t: no cluster rule for ENGINE = Kafka$"):
        render_migrations(migrations, TARGET)


def test_a_rebuilt_table_is_emptied_and_swapped_on_every_node_through_its_local_tables():
    """A table rebuilt with other settings: the copy is truncated and exchanged as local tables, which
    the Distributed tables read by name, so `t` then reads the rebuilt data."""
    renderer = ClusterRenderer(TARGET)
    for sql in ("CREATE TABLE t (TraceId String) ENGINE = MergeTree ORDER BY TraceId",
                "CREATE TABLE t_new (TraceId String) ENGINE = MergeTree ORDER BY TraceId "
                "SETTINGS index_granularity = 64"):
        renderer.render(sql)
    assert renderer.render("TRUNCATE TABLE IF EXISTS t_new") == [
        "TRUNCATE TABLE IF EXISTS spanhouse.t_new_local ON CLUSTER spanhouse"]
    assert renderer.render("EXCHANGE TABLES t AND t_new") == [
        "EXCHANGE TABLES spanhouse.t_local AND spanhouse.t_new_local ON CLUSTER spanhouse"]
    assert renderer.render("DROP TABLE t_new SYNC") == [
        "DROP TABLE spanhouse.t_new ON CLUSTER spanhouse SYNC",
        "DROP TABLE spanhouse.t_new_local ON CLUSTER spanhouse SYNC"]
    assert renderer.render("ALTER TABLE t ADD COLUMN x String") == [
        "ALTER TABLE spanhouse.t_local ON CLUSTER spanhouse ADD COLUMN x String",
        "ALTER TABLE spanhouse.t ON CLUSTER spanhouse\n    ADD COLUMN x String"]


def test_a_migration_file_holding_several_statements_renders_each_in_turn():
    [migration] = render_migrations([Migration(0, "0000_m.sql", """
        CREATE TABLE t (x String) ENGINE = MergeTree ORDER BY x;
        ALTER TABLE t ADD INDEX idx_x x TYPE bloom_filter GRANULARITY 1;
    """)], TARGET)
    assert [statement.split(" (")[0].split("\n")[0] for statement in migration.statements] == [
        "CREATE TABLE spanhouse.t_local ON CLUSTER spanhouse", "CREATE TABLE spanhouse.t ON CLUSTER spanhouse",
        "ALTER TABLE spanhouse.t_local ON CLUSTER spanhouse ADD INDEX idx_x x TYPE bloom_filter GRANULARITY 1"]


def test_settings_only_plain_mergetree_reads_are_left_out_since_the_cluster_tables_are_replicated():
    renderer = ClusterRenderer(TARGET)
    renderer.render("CREATE TABLE t (x String) ENGINE = MergeTree ORDER BY x")
    # Replicated tables deduplicate retried inserts by themselves (replicated_deduplication_window).
    assert renderer.render("ALTER TABLE t MODIFY SETTING non_replicated_deduplication_window = 1000") == []
    assert renderer.render("ALTER TABLE t MODIFY SETTING non_replicated_deduplication_window = 9, "
                           "non_replicated_deduplication_window = 10") == []
    assert renderer.render("ALTER TABLE t MODIFY SETTING index_granularity_bytes = 1024") == [
        "ALTER TABLE spanhouse.t_local ON CLUSTER spanhouse MODIFY SETTING index_granularity_bytes = 1024"]
    with pytest.raises(ClusterRenderError, match="non_replicated_\\* settings in an ALTER of their own"):
        renderer.render("ALTER TABLE t MODIFY SETTING non_replicated_deduplication_window = 9, max_parts_in_total = 9")
