"""The schema for a sharded, replicated ClickHouse cluster, rendered from the single-node migrations.

The numbered files in `schema/` stay the one source of truth. `render_migrations` turns each
into the statements a cluster needs, by fixed rules:

* Every DDL statement names its objects `database.name` and runs `ON CLUSTER`.
* A MergeTree-family table `t` becomes `t_local`, a Replicated*MergeTree whose Keeper path is
  `<prefix>/{shard}/{database}/{table}` and replica `{replica}` (the servers' macros), plus a
  Distributed table `t` over it. spanhouse reads and writes `t` as it does on one node.
* The Distributed table shards by `cityHash64(TraceId)` when the table has a trace id, so a
  trace's spans, its time range and its context live on one shard; otherwise by a hash of the
  table's ORDER BY key. `SHARDING_KEYS` overrides both.
* A materialized view reads from and writes to `_local` tables: it fires on the node whose local
  table receives a block, so it must fold that shard's rows into that shard's target. (An MV
  fed by a per-node table, say ENGINE = Null, writes to the Distributed target instead, which
  shards its rows.)
* A plain view reads the Distributed tables, so it answers for the whole cluster.
* `ALTER TABLE t` alters `t_local`; its column actions also alter `t`, whose columns must match.
  Settings that only plain MergeTree tables read (`non_replicated_*`) are left out for the
  Replicated ones: they deduplicate retried inserts by default (replicated_deduplication_window).
* `TRUNCATE TABLE t` and `EXCHANGE TABLES t AND u` act on the `_local` tables of sharded ones:
  the Distributed tables hold no data and read their local table by name.
* A migration file may hold several statements; each is rendered in turn.
* `schema_migrations` (see REPLICATED_EVERYWHERE) is one replication group spanning every node:
  no `{shard}` in its path and no Distributed table, so whichever node spanhouse talks to knows
  every migration applied.

A statement kind or engine these rules do not cover raises ClusterRenderError rather than
rendering something subtly wrong. The module is pure: text in, text out.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from spanhouse.errors import ConfigError, SpanhouseError
from spanhouse.store.migrations import BOOTSTRAP_VERSION, Migration
from spanhouse.store.sqltext import (
    SqlSyntaxError,
    TableRef,
    Token,
    depths,
    matching_paren,
    quote_identifier,
    quote_string,
    significant,
    splice,
    split_statements,
    split_top_level,
    table_references,
    tokenize,
)

LOCAL_SUFFIX = "_local"
DEFAULT_ZOOKEEPER_PREFIX = "/clickhouse/tables"
BOOKKEEPING_TABLE = "schema_migrations"
# Small tables every node holds whole: one replication group across the cluster, no Distributed.
REPLICATED_EVERYWHERE = frozenset({BOOKKEEPING_TABLE})
TRACE_ID_COLUMNS = ("TraceId", "trace_id")
SHARDING_KEYS: Mapping[str, str] = MappingProxyType(
    {
        # Records with a trace go to their trace's shard. Plain application logs carry no trace
        # id and would all hash '' to one shard; they are spread at random instead.
        "otel_logs": "if(TraceId = '', rand(), cityHash64(TraceId))",
    }
)
# Engines without replication, kept as they are on every node (and not sharded).
PER_NODE_ENGINES = frozenset({"Null", "Memory", "Set", "Join", "Log", "TinyLog", "StripeLog"})
# ALTER actions a Distributed table must repeat so that its columns keep matching the local ones.
_DISTRIBUTED_ACTIONS = frozenset(
    {("ADD", "COLUMN"), ("DROP", "COLUMN"), ("MODIFY", "COLUMN"), ("RENAME", "COLUMN"), ("COMMENT", "COLUMN"),
     ("MODIFY", "COMMENT")}
)
_TABLE_CLAUSES = frozenset({"PARTITION", "PRIMARY", "ORDER", "SAMPLE", "TTL", "SETTINGS", "COMMENT"})

_Edit = tuple[tuple[int, int], str]  # (start, end) in a statement's text, replacement
ObjectKind = Literal["sharded", "everywhere", "per_node", "view", "materialized_view", "function"]


class ClusterRenderError(SpanhouseError):
    """A migration the cluster rules do not cover, or SQL they cannot read."""


@dataclass(frozen=True, slots=True)
class ClusterTarget:
    """Where the rendered schema goes.

    Args:
        cluster: the cluster's name in the servers' remote_servers configuration.
        database: the database spanhouse uses (SPANHOUSE_CLICKHOUSE_DATABASE).
        zookeeper_prefix: Keeper path under which every replicated table keeps its metadata.
    """

    cluster: str
    database: str = "spanhouse"
    zookeeper_prefix: str = DEFAULT_ZOOKEEPER_PREFIX

    def __post_init__(self) -> None:
        if not self.cluster or not self.database:
            raise ConfigError("the cluster and the database must be named")
        if not self.zookeeper_prefix.startswith("/") or self.zookeeper_prefix.endswith("/"):
            raise ConfigError(f"zookeeper prefix must start with / and not end with one, got {self.zookeeper_prefix!r}")

    def qualified(self, name: str) -> str:
        return f"{quote_identifier(self.database)}.{quote_identifier(name)}"

    @property
    def on_cluster(self) -> str:
        return f"ON CLUSTER {quote_identifier(self.cluster)}"

    def command(self) -> str:
        """The `spanhouse cluster-ddl` command line that renders for this target."""
        words = ["spanhouse", "cluster-ddl", "--cluster", self.cluster, "--database", self.database]
        if self.zookeeper_prefix != DEFAULT_ZOOKEEPER_PREFIX:
            words += ["--zookeeper-prefix", self.zookeeper_prefix]
        return shlex.join(words)


@dataclass(slots=True)
class SchemaObject:
    """What the renderer knows of an object an earlier migration created."""

    kind: ObjectKind
    columns: list[str] = field(default_factory=list)
    sharding_key: str = ""
    reads_local: bool = False  # a materialized view fed by a sharded table


@dataclass(frozen=True, slots=True)
class ClusterMigration:
    version: int
    name: str
    checksum: str  # of the source file, as `spanhouse migrate` records it
    statements: tuple[str, ...]


def render_migrations(migrations: Sequence[Migration], target: ClusterTarget,
                      renderer: ClusterRenderer | None = None) -> list[ClusterMigration]:
    """The cluster statements of every migration, in order (a migration may need several)."""
    renderer = renderer or ClusterRenderer(target)
    rendered: list[ClusterMigration] = []
    for migration in migrations:
        try:
            statements = [rendered for statement in split_statements(migration.sql)
                          for rendered in renderer.render(statement)]
        except SqlSyntaxError as exc:
            raise ClusterRenderError(f"{migration.name}: {exc}") from exc
        except ClusterRenderError as exc:
            raise ClusterRenderError(f"{migration.name}: {exc}") from exc
        rendered.append(ClusterMigration(migration.version, migration.name, migration.checksum, tuple(statements)))
    return rendered


def renderer_after(migrations: Sequence[Migration], target: ClusterTarget) -> ClusterRenderer:
    """A renderer that knows every object `migrations` create, for statements issued at run time
    rather than from a migration file (retention's `ALTER TABLE ... MODIFY TTL`, say). Query
    parameters such as `{days:UInt32}` pass through untouched."""
    renderer = ClusterRenderer(target)
    render_migrations(migrations, target, renderer)
    return renderer


def create_database_statement(target: ClusterTarget) -> str:
    return f"CREATE DATABASE IF NOT EXISTS {quote_identifier(target.database)} {target.on_cluster}"


def record_statement(migration: ClusterMigration, target: ClusterTarget) -> str:
    """Records the migration as `spanhouse migrate` would, unless it is recorded already.

    Text for a file an operator applies with clickhouse-client, so there is no server-side parameter
    binding to use; the values are the package's own migration metadata (an int and two strings
    escaped by quote_string), never user input.
    """
    table = target.qualified(BOOKKEEPING_TABLE)
    return (f"INSERT INTO {table} (version, name, checksum)\n"
            f"SELECT {migration.version}, {quote_string(migration.name)}, {quote_string(migration.checksum)}\n"
            f"WHERE {migration.version} NOT IN (SELECT version FROM {table})")


def render_files(migrations: Sequence[Migration], target: ClusterTarget) -> dict[str, str]:
    """File name -> text of the operator's DDL files: one per migration, each recording itself.

    The first also creates the database. Applying the files in name order leaves
    `schema_migrations` exactly as `spanhouse migrate` would, so spanhouse then applies nothing.
    """
    files: dict[str, str] = {}
    for migration in render_migrations(migrations, target):
        statements = [*migration.statements, record_statement(migration, target)]
        if migration.version == BOOTSTRAP_VERSION:
            statements.insert(0, create_database_statement(target))
        header = (f"-- Generated by `{target.command()}`\n"
                  f"-- from src/spanhouse/store/schema/{migration.name}.\n"
                  "-- Do not edit: change the source migration and run the command again.\n\n")
        files[migration.name] = header + "".join(statement + ";\n\n" for statement in statements).rstrip("\n") + "\n"
    return files


class _Statement:
    """One statement's significant tokens, with offsets into its text (leading comments dropped)."""

    def __init__(self, sql: str) -> None:
        try:
            tokens = significant(tokenize(sql))
        except SqlSyntaxError as exc:
            raise ClusterRenderError(str(exc)) from exc
        if tokens and tokens[-1].text == ";":
            tokens.pop()
        if not tokens:
            raise ClusterRenderError("no statement")
        if any(t.text == ";" for t in tokens):
            raise ClusterRenderError("one statement per migration file")
        base = tokens[0].start
        self.text = sql[base:tokens[-1].end]
        self.tokens = [Token(t.kind, t.text, t.start - base, t.end - base) for t in tokens]
        try:
            self.depth = depths(self.tokens)
        except SqlSyntaxError as exc:
            raise ClusterRenderError(str(exc)) from exc

    def word(self, i: int) -> str:
        return self.tokens[i].word if i < len(self.tokens) else ""

    def accept(self, i: int, *words: str) -> int:
        """The index after `words` when they come next at i, else i."""
        if all(self.word(i + k) == word for k, word in enumerate(words)):
            return i + len(words)
        return i

    def find(self, word: str, start: int) -> int | None:
        """The first top-level `word` at or after `start`."""
        for i in range(start, len(self.tokens)):
            if self.depth[i] == 0 and self.tokens[i].word == word:
                return i
        return None

    def name_at(self, i: int) -> tuple[str, int]:
        """The unqualified object name at token i, and the index after it."""
        if i >= len(self.tokens) or not self.tokens[i].is_name:
            raise ClusterRenderError(f"expected a name after {self.text[:self.tokens[i - 1].end]!r}")
        if i + 1 < len(self.tokens) and self.tokens[i + 1].text == ".":
            raise ClusterRenderError(f"{self.tokens[i].name}.{self.tokens[i + 2].name}: migrations name objects "
                                     "without a database (the database is a setting)")
        return self.tokens[i].name, i + 1

    def span(self, first: int, last: int) -> tuple[int, int]:
        return self.tokens[first].start, self.tokens[last].end

    def between(self, first: int, end: int) -> str:
        return self.text[self.tokens[first].start:self.tokens[end - 1].end]

    def splice(self, edits: Sequence[_Edit]) -> str:
        return splice(self.text, [(start, end, replacement) for (start, end), replacement in edits])


class ClusterRenderer:
    """Renders statements in migration order, remembering what each one created."""

    def __init__(self, target: ClusterTarget) -> None:
        self.target = target
        self.objects: dict[str, SchemaObject] = {}

    def render(self, sql: str) -> list[str]:
        """The cluster statements for one single-node statement, in the order to run them."""
        s = _Statement(sql)
        try:
            return self._render(s)
        except IndexError:
            raise ClusterRenderError(f"statement ends too early: {s.text[:60]!r}") from None

    def _render(self, s: _Statement) -> list[str]:
        first = s.word(0)
        if first == "CREATE":
            i = s.accept(1, "OR", "REPLACE")
            if s.word(i) == "TABLE":
                return self._create_table(s, s.accept(i + 1, "IF", "NOT", "EXISTS"))
            if s.word(i) == "MATERIALIZED" and s.word(i + 1) == "VIEW":
                return self._create_materialized_view(s, s.accept(i + 2, "IF", "NOT", "EXISTS"))
            if s.word(i) == "VIEW":
                return self._create_view(s, s.accept(i + 1, "IF", "NOT", "EXISTS"))
            if s.word(i) == "FUNCTION":
                return self._create_function(s, s.accept(i + 1, "IF", "NOT", "EXISTS"))
        elif first == "ALTER" and s.word(1) == "TABLE":
            return self._alter_table(s)
        elif first == "DROP" and s.word(1) in ("TABLE", "VIEW"):
            return self._drop(s)
        elif first == "INSERT" and s.word(1) == "INTO":
            return self._insert(s)
        elif first == "TRUNCATE" and s.word(1) == "TABLE":
            return self._truncate(s)
        elif first == "EXCHANGE" and s.word(1) == "TABLES":
            return self._exchange(s)
        raise ClusterRenderError(f"no cluster rendering for {s.text[:40]!r}...: teach spanhouse.store.cluster")

    def _create_table(self, s: _Statement, i: int) -> list[str]:
        name, after = s.name_at(i)
        self._not_on_cluster_yet(s, after)
        if s.tokens[after].text != "(":
            raise ClusterRenderError(f"table {name}: only CREATE TABLE with its own column list is rendered")
        close = matching_paren(s.tokens, after)
        engine_at = s.find("ENGINE", close + 1)
        if engine_at is None:
            raise ClusterRenderError(f"table {name} names no ENGINE")
        e = engine_at + 2 if s.tokens[engine_at + 1].text == "=" else engine_at + 1
        engine, engine_end, args = s.tokens[e].text, e, ""
        if e + 1 < len(s.tokens) and s.tokens[e + 1].text == "(":
            engine_end = matching_paren(s.tokens, e + 1)
            args = s.text[s.tokens[e + 1].end:s.tokens[engine_end].start].strip()
        columns = self._column_names(s, after + 1, close)
        head = s.text[:s.tokens[i].start]
        name_span = s.span(i, after - 1)
        if engine in PER_NODE_ENGINES:
            self.objects[name] = SchemaObject("per_node", columns)
            return [s.splice([(name_span, f"{self.target.qualified(name)} {self.target.on_cluster}")])]
        if not engine.endswith("MergeTree") or engine.startswith(("Replicated", "Shared")):
            raise ClusterRenderError(f"table {name}: no cluster rule for ENGINE = {engine}")

        everywhere = name in REPLICATED_EVERYWHERE
        local = name if everywhere else name + LOCAL_SUFFIX
        prefix = self.target.zookeeper_prefix
        path = f"{prefix}/all/{{database}}/{{table}}" if everywhere else f"{prefix}/{{shard}}/{{database}}/{{table}}"
        # Replica names need only be unique within a replication group; the everywhere group spans
        # every shard, where `{replica}` alone may repeat (r1 on each shard).
        replica = "{shard}-{replica}" if everywhere else "{replica}"
        replicated = f"Replicated{engine}({quote_string(path)}, {quote_string(replica)}{', ' + args if args else ''})"
        create_local = s.splice([
            (name_span, f"{self.target.qualified(local)} {self.target.on_cluster}"),
            (s.span(e, engine_end), replicated),
        ])
        if everywhere:
            self.objects[name] = SchemaObject("everywhere", columns)
            return [create_local]

        key = self._sharding_key(name, columns, self._order_by(s, engine_end + 1))
        self.objects[name] = SchemaObject("sharded", columns, key)
        comment_at = s.find("COMMENT", engine_end + 1)
        comment = f"\nCOMMENT {s.tokens[comment_at + 1].text}" if comment_at is not None else ""
        t = self.target
        distributed = (f"{head}{t.qualified(name)} {t.on_cluster}\nAS {t.qualified(local)}\n"
                       f"ENGINE = Distributed({quote_string(t.cluster)}, {quote_string(t.database)}, "
                       f"{quote_string(local)}, {key}){comment}")
        return [create_local, distributed]

    def _create_materialized_view(self, s: _Statement, i: int) -> list[str]:
        name, after = s.name_at(i)
        self._not_on_cluster_yet(s, after)
        if s.word(after) != "TO":
            raise ClusterRenderError(f"materialized view {name} has no TO table: create its target in the migration "
                                     "before it and write TO <target>")
        target, target_end = s.name_at(after + 1)
        if self._known(target).kind not in ("sharded", "everywhere", "per_node"):
            raise ClusterRenderError(f"materialized view {name} writes to {target}, which is not a table")
        as_at = s.find("AS", target_end)
        refs = table_references(s.tokens, target_end if as_at is None else as_at + 1)
        if not refs or refs[0].database is not None:
            raise ClusterRenderError(f"materialized view {name} reads none of spanhouse's tables")
        reads_local = self._known(refs[0].name).kind == "sharded"
        self.objects[name] = SchemaObject("materialized_view", reads_local=reads_local)
        return [s.splice([
            (s.span(i, after - 1), f"{self.target.qualified(name)} {self.target.on_cluster}"),
            (s.span(after + 1, target_end - 1), self._reference(target, reads_local)),
            *self._reference_edits(s, refs, reads_local),
        ])]

    def _create_view(self, s: _Statement, i: int) -> list[str]:
        name, after = s.name_at(i)
        self._not_on_cluster_yet(s, after)
        refs = table_references(s.tokens, after)
        self.objects[name] = SchemaObject("view")
        return [s.splice([
            (s.span(i, after - 1), f"{self.target.qualified(name)} {self.target.on_cluster}"),
            *self._reference_edits(s, refs, local=False),
        ])]

    def _create_function(self, s: _Statement, i: int) -> list[str]:
        name, after = s.name_at(i)
        self._not_on_cluster_yet(s, after)
        self.objects[name] = SchemaObject("function")
        return [s.splice([(s.span(i, after - 1), f"{s.tokens[i].text} {self.target.on_cluster}")])]

    def _alter_table(self, s: _Statement) -> list[str]:
        name, after = s.name_at(2)
        self._not_on_cluster_yet(s, after)
        obj = self._known(name)
        local_refs = obj.kind == "materialized_view" and obj.reads_local  # ALTER ... MODIFY QUERY
        edits = self._reference_edits(s, table_references(s.tokens, after), local_refs)
        name_span = s.span(2, after - 1)
        actions = split_top_level(s.tokens, after, len(s.tokens))
        self._track_columns(obj, s, actions)
        if obj.kind in ("sharded", "everywhere") and self._non_replicated_settings_only(s, actions):
            return []  # the local table is Replicated: the setting means nothing to it
        if obj.kind != "sharded":
            return [s.splice([(name_span, f"{self.target.qualified(name)} {self.target.on_cluster}"), *edits])]
        statements = [s.splice([
            (name_span, f"{self.target.qualified(name + LOCAL_SUFFIX)} {self.target.on_cluster}"), *edits,
        ])]
        mirrored = [s.between(a, b) for a, b in actions if (s.word(a), s.word(a + 1)) in _DISTRIBUTED_ACTIONS]
        if mirrored:
            statements.append(f"{s.text[:s.tokens[2].start]}{self.target.qualified(name)} {self.target.on_cluster}\n"
                              "    " + ",\n    ".join(mirrored))
        return statements

    def _drop(self, s: _Statement) -> list[str]:
        i = s.accept(2, "IF", "EXISTS")
        name, after = s.name_at(i)
        self._not_on_cluster_yet(s, after)
        obj = self.objects.pop(name, None)
        if obj is None:
            raise ClusterRenderError(f"{name} is not created by an earlier migration")
        names = [name, name + LOCAL_SUFFIX] if obj.kind == "sharded" else [name]  # the Distributed table first
        return [s.splice([(s.span(i, after - 1), f"{self.target.qualified(n)} {self.target.on_cluster}")])
                for n in names]

    def _truncate(self, s: _Statement) -> list[str]:
        """Empties the table on every node; a sharded table's data is in its local tables only."""
        i = s.accept(2, "IF", "EXISTS")
        name, after = s.name_at(i)
        self._not_on_cluster_yet(s, after)
        self._known(name)
        return [s.splice([(s.span(i, after - 1), f"{self._reference(name, local=True)} {self.target.on_cluster}")])]

    def _exchange(self, s: _Statement) -> list[str]:
        """Swaps two tables' names on every node. Sharded tables swap their local tables: each
        Distributed table reads `<its name>_local`, so it follows, which is right only when the two
        tables have the same columns and sharding key."""
        first, after = s.name_at(2)
        if s.word(after) != "AND":
            raise ClusterRenderError(f"expected AND after EXCHANGE TABLES {first}")
        second, end = s.name_at(after + 1)
        self._not_on_cluster_yet(s, end)
        a, b = self._known(first), self._known(second)
        if a.kind != b.kind or a.kind not in ("sharded", "everywhere", "per_node"):
            raise ClusterRenderError(f"tables {first} and {second}: only tables of one kind are exchanged")
        if a.kind == "sharded" and (a.columns != b.columns or a.sharding_key != b.sharding_key):
            raise ClusterRenderError(f"tables {first} and {second}: exchanged sharded tables need the same columns and "
                                     "sharding key, since their Distributed tables stay")
        self.objects[first], self.objects[second] = b, a
        return [s.splice([(s.span(2, after - 1), self._reference(first, local=True)),
                          (s.span(after + 1, end - 1),
                           f"{self._reference(second, local=True)} {self.target.on_cluster}")])]

    def _insert(self, s: _Statement) -> list[str]:
        """Runs once, on one node, through the Distributed tables: it reads and shards like a client."""
        i = s.accept(2, "TABLE")
        name, after = s.name_at(i)
        self._known(name)
        refs = table_references(s.tokens, after)
        return [s.splice([(s.span(i, after - 1), self.target.qualified(name)),
                          *self._reference_edits(s, refs, local=False)])]

    def _known(self, name: str) -> SchemaObject:
        try:
            return self.objects[name]
        except KeyError:
            raise ClusterRenderError(f"{name} is not created by an earlier migration") from None

    def _reference(self, name: str, local: bool) -> str:
        sharded = self.objects[name].kind == "sharded"
        return self.target.qualified(name + LOCAL_SUFFIX if local and sharded else name)

    def _reference_edits(self, s: _Statement, refs: Sequence[TableRef], local: bool) -> list[_Edit]:
        # Other names are left alone: system tables, CTEs, tables in other databases.
        return [(s.span(ref.first, ref.last), self._reference(ref.name, local))
                for ref in refs if ref.database is None and ref.name in self.objects]

    @staticmethod
    def _not_on_cluster_yet(s: _Statement, after: int) -> None:
        if s.word(after) == "ON" and s.word(after + 1) == "CLUSTER":
            raise ClusterRenderError("migrations are written for one node; ON CLUSTER is added when rendering")

    @staticmethod
    def _non_replicated_settings_only(s: _Statement, actions: Sequence[tuple[int, int]]) -> bool:
        """Whether the actions only set `non_replicated_*` settings; raises when they mix those with others."""
        names = []  # "" for an action that is not a setting
        for a, _ in actions:
            if (s.word(a), s.word(a + 1)) == ("MODIFY", "SETTING"):
                names.append(s.tokens[a + 2].name)
            elif names and names[-1] and s.tokens[a + 1].text == "=":  # `MODIFY SETTING a = 1, b = 2`
                names.append(s.tokens[a].name)
            else:
                names.append("")
        plain = [name.startswith("non_replicated_") for name in names]
        if any(plain) and not all(plain):
            raise ClusterRenderError("alter non_replicated_* settings in an ALTER of their own: the cluster's "
                                     "Replicated tables leave them out")
        return all(plain)

    @staticmethod
    def _column_names(s: _Statement, lo: int, hi: int) -> list[str]:
        names: list[str] = []
        for a, _ in split_top_level(s.tokens, lo, hi):
            if s.word(a) in ("INDEX", "PROJECTION", "CONSTRAINT") or (s.word(a), s.word(a + 1)) == ("PRIMARY", "KEY"):
                continue
            names.append(s.tokens[a].name)
        return names

    @staticmethod
    def _order_by(s: _Statement, start: int) -> list[str]:
        """The expressions of the top-level ORDER BY after `start`, one per key column."""
        at = s.find("ORDER", start)
        if at is None or s.word(at + 1) != "BY":
            return []
        lo = at + 2
        hi = next((j for j in range(lo, len(s.tokens)) if s.depth[j] == 0 and s.word(j) in _TABLE_CLAUSES),
                  len(s.tokens))
        if s.tokens[lo].text == "(" and matching_paren(s.tokens, lo) == hi - 1:
            return [s.between(a, b) for a, b in split_top_level(s.tokens, lo + 1, hi - 1)]
        whole = s.between(lo, hi)
        return [] if whole.replace(" ", "").lower() == "tuple()" else [whole]

    @staticmethod
    def _sharding_key(name: str, columns: Sequence[str], order_by: Sequence[str]) -> str:
        if name in SHARDING_KEYS:
            return SHARDING_KEYS[name]
        for column in TRACE_ID_COLUMNS:
            if column in columns:
                return f"cityHash64({quote_identifier(column)})"
        if order_by:
            return f"cityHash64({', '.join(order_by)})"
        return "rand()"

    @staticmethod
    def _track_columns(obj: SchemaObject, s: _Statement, actions: Sequence[tuple[int, int]]) -> None:
        for a, _ in actions:
            verb = (s.word(a), s.word(a + 1))
            if verb == ("ADD", "COLUMN"):
                obj.columns.append(s.tokens[s.accept(a + 2, "IF", "NOT", "EXISTS")].name)
            elif verb == ("DROP", "COLUMN"):
                column = s.tokens[s.accept(a + 2, "IF", "EXISTS")].name
                obj.columns = [c for c in obj.columns if c != column]
            elif verb == ("RENAME", "COLUMN"):
                old = s.accept(a + 2, "IF", "EXISTS")
                obj.columns = [s.tokens[old + 2].name if c == s.tokens[old].name else c for c in obj.columns]
