"""Throw-away databases for the in-process benchmarks (content_bytes, rollups)."""

from __future__ import annotations

from clickhouse_connect.driver.client import Client

from spanhouse.store import migrations
from spanhouse.store.client import connect


def fresh_database(dsn: str, database: str) -> Client:
    """A migrated, empty `database` (no retention TTLs: benchmark data may be old)."""
    bootstrap = connect(dsn)
    bootstrap.command("DROP DATABASE IF EXISTS {db:Identifier}", parameters={"db": database})
    migrations.create_database(bootstrap, database)
    bootstrap.close()
    client = connect(dsn, database)
    migrations.migrate(client)
    return client


def table_bytes(client: Client, tables: tuple[str, ...]) -> dict[str, int]:
    """Bytes on disk of the active parts of each table of the client's database."""
    rows = client.query(
        "SELECT table, sum(bytes_on_disk) FROM system.parts WHERE database = currentDatabase() AND active "
        "AND table IN {tables:Array(String)} GROUP BY table", parameters={"tables": list(tables)},
    ).result_rows
    found = {table: int(size) for table, size in rows}
    return {table: found.get(table, 0) for table in tables}
