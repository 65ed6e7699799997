"""Forward-only schema migrations from the numbered `.sql` files in `schema/`.

Each file holds one statement creating one object, written with IF NOT EXISTS, so that a
migration interrupted between running and being recorded is simply run again. (A file may hold a
few statements separated by semicolons, each as idempotent, run in order: a ClickHouse server
takes one statement per request.) Applied
versions are recorded in `schema_migrations`; running the runner twice changes nothing.
The same files serve chDB and a ClickHouse server.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources

from clickhouse_connect.driver.client import Client

from spanhouse.store.client import map_error
from spanhouse.store.sqltext import split_statements

logger = logging.getLogger(__name__)

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
BOOTSTRAP_VERSION = 0


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def load_migrations() -> list[Migration]:
    """Every migration file shipped in the package, in version order."""
    found: list[Migration] = []
    for entry in resources.files("spanhouse.store").joinpath("schema").iterdir():
        match = _FILE_NAME.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migration files share a version: {versions}")
    return found


def create_database(client: Client, database: str) -> None:
    try:
        client.command("CREATE DATABASE IF NOT EXISTS {db:Identifier}", parameters={"db": database})
    except Exception as exc:
        raise map_error(exc, f"create database {database}") from exc


def applied_versions(client: Client) -> dict[int, str]:
    result = client.query("SELECT version, checksum FROM schema_migrations")
    return {int(version): checksum for version, checksum in result.result_rows}


def migrate(client: Client, migrations: list[Migration] | None = None) -> list[str]:
    """Apply every migration not yet recorded, in order; return the names applied.

    Args:
        client: a client whose default database is spanhouse's (see `create_database`).
        migrations: defaults to the package's own files.
    """
    migrations = load_migrations() if migrations is None else migrations
    applied_now: list[str] = []
    try:
        bootstrap = next(m for m in migrations if m.version == BOOTSTRAP_VERSION)
        client.command(bootstrap.sql)
        done = applied_versions(client)
        for migration in migrations:
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    logger.warning(
                        "migration %s changed after it was applied; migrations are forward-only, "
                        "add a new file instead", migration.name,
                    )
                continue
            logger.info("applying migration %s", migration.name)
            for statement in split_statements(migration.sql):
                client.command(statement)
            client.insert(
                "schema_migrations",
                [[migration.version, migration.name, migration.checksum]],
                column_names=["version", "name", "checksum"],
            )
            applied_now.append(migration.name)
    except Exception as exc:
        raise map_error(exc, "apply schema migrations") from exc
    return applied_now
