"""A database migrated once per test session and copied for every test that needs a fresh one.

Running the migrations costs ~1 s per database on chDB (each of ~40 files is its own DDL plus a
recorded row); copying the finished schema costs ~0.1 s. Tests still get a real, fully migrated
database of their own. The migrations themselves stay covered: the template is built by
`open_store`, tests/store/test_migrations.py compares every copy against the files, and the tests
that need an unmigrated database (upgrades, first runs) ask for `unmigrated_settings` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from clickhouse_connect.driver.client import Client

from spanhouse.app import open_store
from spanhouse.settings import Settings
from spanhouse.store.client import connect

# Tables first, so that materialized views find their targets and views their sources.
_CREATION_ORDER = {"MaterializedView": 1, "View": 2}


@dataclass(frozen=True, slots=True)
class SchemaTemplate:
    admin: Client
    database: str
    statements: tuple[str, ...]
    migration_columns: tuple[str, ...]
    migration_rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def build(cls, settings: Settings) -> SchemaTemplate:
        """Migrate `settings`' database as `serve` would, and record how to make it again."""
        open_store(settings).close()
        admin = connect(settings.clickhouse_dsn)
        objects = admin.query(
            "SELECT engine, create_table_query FROM system.tables WHERE database = {db:String}",
            parameters={"db": settings.clickhouse_database},
        ).result_rows
        objects.sort(key=lambda row: _CREATION_ORDER.get(row[0], 0))
        migrations = admin.query(
            "SELECT * FROM {db:Identifier}.schema_migrations", parameters={"db": settings.clickhouse_database}
        )
        return cls(
            admin=admin,
            database=settings.clickhouse_database,
            statements=tuple(statement for _engine, statement in objects),
            migration_columns=tuple(migrations.column_names),
            migration_rows=tuple(tuple(row) for row in migrations.result_rows),
        )

    def copy_to(self, database: str) -> None:
        """Create `database` with the template's tables, views and recorded migrations, and no rows."""
        self.admin.command("CREATE DATABASE {db:Identifier}", parameters={"db": database})
        # SHOW CREATE names every object with its database, the views' sources and targets too.
        qualified = re.compile(rf"\b{re.escape(self.database)}\.")
        for statement in self.statements:
            self.admin.command(qualified.sub(f"{database}.", statement))
        self.admin.insert(
            "schema_migrations",
            list(self.migration_rows),
            database=database,
            column_names=list(self.migration_columns),
        )
