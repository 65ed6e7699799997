"""Ad-hoc read-only SQL for analysts (POST /api/v1/sql, `spanhouse sql`): one statement in, a bounded result out.

Invariants, and who enforces them:
- Nothing is written and no limit is lifted. The query runs on a client of its own whose session got,
  before any query and in this order, the limits (`max_execution_time`, `max_result_rows` with
  `result_overflow_mode='break'`, `max_memory_usage`) and then `readonly=1`. Level 1 refuses
  writes, DDL, SYSTEM, the table functions that reach outside (file, url, s3, remote, ...) and
  settings changes by `SET` or by the query's own SETTINGS clause. Level 2 would allow those
  changes: a query could lift its own limits, and a `SET` would outlive the request on the session.
- One read statement, nothing else. ClickHouse's own parser (`formatQuery`) checks the text is
  exactly one statement (chDB would otherwise run `SELECT 1; SELECT 2` as two) and gives its
  canonical text, which is what runs. Only SELECT / WITH, SHOW, DESCRIBE, EXPLAIN and EXISTS pass,
  since readonly lets through `KILL QUERY` (every chDB query runs as one user: it could kill ingest
  inserts), `USE` (it would change the database of every later query on the session) and
  `INTO OUTFILE` (chDB writes the file on the server's disk). SETTINGS clauses are refused
  wherever they are: readonly=1 silently accepts one in a subquery, and
  `SELECT * FROM (... SETTINGS max_result_rows = 1000000) UNION ALL ...` returned a million rows past a
  limit of ten. FORMAT clauses are refused too: the response format is a request field.
- Bounded rows. ClickHouse stops reading at a block boundary past `max_result_rows`, so it returns
  at least one row more than the limit whenever there were more; the result is cut here to the
  limit (or the smaller `max_rows` of the request) and marked truncated.
- Parameters are values, never text. `{name:Type}` placeholders stay in the canonical text that is
  checked and run; the values go beside it as ClickHouse query parameters, which ClickHouse parses
  as data of the placeholder's type. A placeholder stands for a value (or, typed Identifier, a
  name): the parser refuses one as a SETTINGS name or a FORMAT, and a SETTINGS clause is refused
  whatever its value. clickhouse-connect pastes `%(name)s` values into the text when it sees no
  placeholder, so parameters are handed to it only when the canonical text has one.
- Empty results keep their columns. chDB sends no Native block for a result without rows, so the
  driver sees no columns; the header of an empty result is asked for apart: `DESCRIBE (query)`
  for SELECT and WITH (analysed, not run), the statement again with FORMAT JSONCompact for the
  others (SHOW reads system tables).
- Lookups are not starved. chDB runs one call at a time per client handle, so analyst queries get
  their own handle (trace lookups keep theirs) and their own worker thread: a slow analyst query
  costs lookups CPU, never a place in a queue. Analyst queries run one at a time; a request waits
  at most the time limit for its turn, then gets `Overloaded` (HTTP 429).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import anyio
import anyio.to_thread
import orjson
from clickhouse_connect.datatypes.registry import get_from_name
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError, NotSupportedError

from spanhouse.errors import ConfigError, Overloaded, QueryRefused, StoreError
from spanhouse.query import sql
from spanhouse.query.jsonsafe import QUERY_FORMATS, converter
from spanhouse.store.client import map_error

READ_STATEMENTS = ("SELECT", "WITH", "SHOW", "DESCRIBE", "EXPLAIN", "EXISTS")
TIMEOUT_CODES = frozenset({159, 160})  # TIMEOUT_EXCEEDED; TOO_SLOW (estimated to overrun the limit)

# Tokens of the canonical text: string literals, quoted identifiers, words, single characters.
_TOKEN = re.compile(r"'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|\"(?:[^\"\\]|\\.)*\"|\w+|\S", re.DOTALL)
# The canonical text has no raw newline inside literals, and puts a query's FORMAT clause on a line of its own.
_FORMAT_CLAUSE = re.compile(r"^FORMAT \S+$", re.MULTILINE)
_EXCEPTION_PREFIX = re.compile(r"(?:Code: \d+\. DB::Exception: )+")
_MESSAGE_TRAILER = re.compile(r"(?:\s*\((?:([A-Z][A-Z0-9_]+)|version [^)]*)\)\.?)+\s*$")
_SCOPE_OF_CHECK = ": In scope SELECT formatQuery("

# A parameter's value as the request gives it: JSON scalars, or arrays of them (nested for Array(Array(...))).
ParamValue: TypeAlias = "str | int | float | bool | list[ParamValue] | None"
PARAM_NAME = re.compile(r"[A-Za-z0-9_]{1,128}")
MAX_ARRAY_DEPTH = 16
# In the canonical text a `{` outside literals always opens a placeholder (ClickHouse has no other use for it).
_QUOTED_OR_PLACEHOLDER = re.compile(
    r"'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|\"(?:[^\"\\]|\\.)*\"|\{([A-Za-z0-9_]+):([^}]+)\}", re.DOTALL)
# Types whose parameter text ClickHouse reads as it is written; every other type reads it escaped (TSV-style:
# backslash sequences, and a raw tab or newline ends the value), so the value is escaped for those.
_READ_AS_WRITTEN = frozenset({"array", "map", "tuple", "nested", "identifier"})
_ESCAPED = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n"})
_QUOTED = str.maketrans({"\\": "\\\\", "'": "\\'"})


@dataclass(frozen=True, slots=True)
class Limits:
    max_execution_s: float
    max_rows: int
    max_memory_bytes: int

    def client_settings(self) -> dict[str, Any]:
        """Session settings for the ad-hoc client. `readonly` comes last: after it, no setting can change."""
        return {
            "max_execution_time": self.max_execution_s,
            "max_result_rows": self.max_rows,
            "result_overflow_mode": "break",
            "max_memory_usage": self.max_memory_bytes,
            "readonly": 1,
        }


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class Result:
    columns: list[Column]
    rows: list[list[Any]]  # JSON-safe values, see jsonsafe.py
    truncated: bool
    max_rows: int
    elapsed_ms: float
    rows_read: int | None
    bytes_read: int | None


class ParameterRefused(QueryRefused):
    """A query parameter without a value, or with a name or value spanhouse does not pass on.

    `code` is `missing_parameter` or `invalid_parameter`; `names` the parameters concerned.
    """

    def __init__(self, message: str, code: str, names: list[str]) -> None:
        super().__init__(message, code)
        self.names = names


class _AsWritten:
    """A parameter's text for clickhouse-connect to send untouched: it escapes a str, quotes included, which
    spoils the text of an Array or a Map, and sends any other object as its str()."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


class AdhocSql:
    """Runs analysts' queries on a client opened with `Limits.client_settings()`."""

    def __init__(self, client: Client, limits: Limits) -> None:
        if str(client.get_client_setting("readonly")) != "1":  # "1" over chDB, 1 over HTTP
            raise ConfigError("the ad-hoc SQL client must be opened with Limits.client_settings() (readonly=1)")
        self._client = client
        self._limits = limits
        self._turn = anyio.Semaphore(1)
        self._thread = anyio.CapacityLimiter(1)

    @property
    def limits(self) -> Limits:
        return self._limits

    async def run(self, query: str, max_rows: int | None = None, params: Mapping[str, Any] | None = None) -> Result:
        """Run one read statement off the event loop.

        Args:
            query: ClickHouse SQL, one statement; a trailing semicolon and comments are fine.
            max_rows: return at most this many rows (capped by the configured limit).
            params: values of the query's `{name:Type}` placeholders (see `parameter_text`); those the
                query does not use are ignored, as ClickHouse does.

        Raises:
            ParameterRefused: a parameter with a bad name or value (checked before the query waits for
                its turn), or a placeholder without a value.
            QueryRefused: not a single read statement spanhouse runs (see the module docstring), or a
                result column of a type the driver cannot decode (code `unsupported_type`).
            Overloaded: another query kept the turn past the time limit.
            StoreError: ClickHouse refused or failed the query; `code` and `name` are ClickHouse's,
                the message is ClickHouse's without its code prefix and version trailer.
        """
        values = check_parameters(params or {})
        limit = min(max_rows or self._limits.max_rows, self._limits.max_rows)
        with anyio.move_on_after(self._limits.max_execution_s) as waiting:
            await self._turn.acquire()
        if waiting.cancelled_caught:
            raise Overloaded("another SQL query is running; only one runs at a time",
                             retry_after_s=math.ceil(self._limits.max_execution_s))
        try:
            return await anyio.to_thread.run_sync(self._run_sync, query, limit, values, limiter=self._thread)
        finally:
            self._turn.release()

    def _run_sync(self, query: str, max_rows: int, params: Mapping[str, ParamValue]) -> Result:
        canonical = self._canonical(query)
        check_statement(canonical)
        bound = bind(canonical, params)
        started = time.perf_counter()
        try:
            result = self._client.query(canonical, parameters=bound or None, query_formats=QUERY_FORMATS)
        except NotSupportedError as exc:  # a type the driver cannot decode, e.g. AggregateFunction states
            raise QueryRefused(f"{exc}: convert the column in the query, e.g. with finalizeAggregation() or toString()",
                               code="unsupported_type") from exc
        except Exception as exc:
            raise clickhouse_error(exc) from exc
        elapsed_ms = (time.perf_counter() - started) * 1000
        converters = [converter(column_type) for column_type in result.column_types]
        raw = result.result_rows
        rows = [[convert(value) for convert, value in zip(converters, row, strict=True)] for row in raw[:max_rows]]
        summary = result.summary or {}
        columns = [Column(name, column_type.name)
                   for name, column_type in zip(result.column_names, result.column_types, strict=True)]
        return Result(
            columns=columns if columns else self._header(canonical, bound),
            rows=rows,
            truncated=len(raw) > max_rows,
            max_rows=max_rows,
            elapsed_ms=round(elapsed_ms, 3),
            rows_read=_count(summary.get("read_rows")),
            bytes_read=_count(summary.get("read_bytes")),
        )

    def _header(self, canonical: str, bound: dict[str, _AsWritten]) -> list[Column]:
        """The columns of a result without rows, which comes back without them."""
        try:
            if canonical.split(None, 1)[0].upper() in ("SELECT", "WITH"):
                # Analysed, not run. The text is the checked canonical statement: a query cannot be a parameter.
                described = self._client.query(f"DESCRIBE ({canonical})", parameters=bound or None).result_rows
                pairs = [(str(row[0]), str(row[1])) for row in described]
            else:  # SHOW and the like read system tables: cheap to run again, in a format that keeps its header
                answer = self._client.raw_query(canonical, parameters=bound or None, fmt="JSONCompact")
                pairs = [(column["name"], column["type"]) for column in orjson.loads(answer)["meta"]]
        except Exception as exc:
            raise clickhouse_error(exc) from exc
        return [Column(name, _type_name(type_name)) for name, type_name in pairs]

    def _canonical(self, query: str) -> str:
        try:
            result = self._client.query(sql.load("format_query"), parameters={"query": query},
                                        query_formats={"String": "bytes"})
        except Exception as exc:
            raise clickhouse_error(exc) from exc
        text: bytes = result.result_rows[0][0]
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError:
            raise QueryRefused("the query holds a string literal that is not valid UTF-8; "
                               "write such bytes with unhex('...')") from None


def check_statement(canonical: str) -> None:
    """Refuse what readonly lets through: statements other than reads, SETTINGS, INTO OUTFILE, FORMAT.

    Args:
        canonical: the query as `formatQuery` wrote it (one statement, keywords upper case, literals
            and quoted identifiers escaped so that none holds a raw newline).
    """
    tokens = _TOKEN.findall(canonical)
    first = tokens[0].upper() if tokens else ""
    if first not in READ_STATEMENTS:
        raise QueryRefused(f"ad-hoc SQL is read-only (readonly=1): {first or 'this statement'} is not allowed; "
                           f"only {', '.join(READ_STATEMENTS)} statements run here")
    padded = [*tokens, "", ""]
    for token, after, then in zip(tokens, padded[1:], padded[2:], strict=False):
        # readonly=1 refuses a SETTINGS clause on the query but, in a subquery, lets some through
        # (max_result_rows among them): any SETTINGS clause is refused here.
        if token == "SETTINGS" and then == "=":
            raise QueryRefused(f"SETTINGS clauses are not allowed (SETTINGS {after} = ...): ad-hoc SQL runs "
                               "read-only (readonly=1) within fixed limits")
        if token == "INTO" and after == "OUTFILE":
            raise QueryRefused("INTO OUTFILE is not allowed: the result comes back in the response")
    if _FORMAT_CLAUSE.search(canonical):
        raise QueryRefused("FORMAT clauses are not allowed: choose the response format with the request's format "
                           "(json, csv or tsv)")


def check_parameters(params: Mapping[str, Any]) -> dict[str, ParamValue]:
    """The parameters, once each has a name ClickHouse takes and a value spanhouse binds.

    Raises:
        ParameterRefused: code `invalid_parameter`, naming the first bad one.
    """
    for name, value in params.items():
        if not isinstance(name, str) or not PARAM_NAME.fullmatch(name):
            raise ParameterRefused(f"parameter name {name!r}: a name is 1 to 128 letters, digits or '_', as in "
                                   "{name:Type}", "invalid_parameter", [str(name)])
        problem = _value_problem(value, depth=0)
        if problem:
            raise ParameterRefused(f"parameter {name}: {problem}", "invalid_parameter", [name])
    return dict(params)


def _value_problem(value: Any, depth: int) -> str | None:
    if value is None or isinstance(value, (str, int, float)):
        return None
    if isinstance(value, list):
        if depth == MAX_ARRAY_DEPTH:
            return f"arrays nest at most {MAX_ARRAY_DEPTH} deep"
        return next((problem for element in value if (problem := _value_problem(element, depth + 1))), None)
    kind = "an object" if isinstance(value, dict) else f"a {type(value).__name__}"
    return (f"{kind} is not a parameter value: give a string, number, boolean, null or an array of them "
            "(a Map or Tuple as ClickHouse's text, e.g. \"{'a': 1}\")")


def bind(canonical: str, params: Mapping[str, ParamValue]) -> dict[str, _AsWritten]:
    """The text of each parameter the canonical query uses, for clickhouse-connect; empty when it uses none.

    Args:
        canonical: the query as `formatQuery` wrote it, placeholders and all.
        params: values by name (`check_parameters`).

    Raises:
        ParameterRefused: a placeholder without a value (`missing_parameter`, naming all of them), or one
            name used with types that read their text differently (`invalid_parameter`).
    """
    uses: dict[str, list[str]] = {}
    for match in _QUOTED_OR_PLACEHOLDER.finditer(canonical):
        if match.group(1):
            uses.setdefault(match.group(1), []).append(match.group(2).strip())
    missing = [name for name in uses if name not in params]
    if missing:
        placeholders = ", ".join(f"{{{name}:{uses[name][0]}}}" for name in missing)
        options = " ".join(f"--param {name}=VALUE" for name in missing)
        them = "them" if len(missing) > 1 else "it"
        raise ParameterRefused(f"no value for the query's {placeholders}: send {them} in \"params\" "
                               f"(spanhouse sql {options})", "missing_parameter", missing)
    bound = {}
    for name, types in uses.items():
        readings = {type_name: _reads_as_written(type_name) for type_name in types}
        if len(set(readings.values())) > 1:
            raise ParameterRefused(f"parameter {name} stands for {' and '.join(readings)}, whose text ClickHouse "
                                   "reads differently: give each its own name", "invalid_parameter", [name])
        bound[name] = _AsWritten(parameter_text(params[name], as_written=readings[types[0]]))
    return bound


def parameter_text(value: ParamValue, as_written: bool) -> str:
    """ClickHouse's text of a parameter value: what clickhouse-client's `--param_name=` would say.

    A string is the value's own text, sent as given: `acme`, `2025-11-22 00:00:00`, `['a','b']` for an
    Array. Numbers and booleans are written as ClickHouse literals, an array as ClickHouse's array text
    (its strings quoted), null as NULL.

    Args:
        as_written: the placeholder's type reads its text as written (Array, Map, Tuple, Nested,
            Identifier). The others read it escaped, so the text is escaped for them: a string arrives
            with its backslashes, tabs and newlines as given.
    """
    if value is None:
        return "\\N"  # NULL in the escaped text
    text = value if isinstance(value, str) else _literal(value)
    return text if as_written else text.translate(_ESCAPED)


def _literal(value: ParamValue) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.translate(_QUOTED) + "'"
    return "[" + ", ".join(_literal(element) for element in value) + "]"


def _reads_as_written(type_name: str) -> bool:
    base, _, inner = type_name.partition("(")
    if base.strip().lower() in ("nullable", "lowcardinality"):
        return _reads_as_written(inner.rstrip().removesuffix(")"))
    return base.strip().lower() in _READ_AS_WRITTEN


def _type_name(name: str) -> str:
    """A type as clickhouse-connect spells it (Tuple(`x` UInt8)), so that an empty result reads like a full one."""
    try:
        return str(get_from_name(name).name)
    except (ClickHouseError, LookupError, ValueError):  # a type the driver does not know: ClickHouse's spelling
        return name


def clickhouse_error(exc: BaseException) -> StoreError:
    """A driver exception as a StoreError carrying ClickHouse's code, name and bare message."""
    mapped = map_error(exc, "run the SQL query")
    if mapped.code is None:
        return mapped
    message, name = clickhouse_message(str(exc))
    return type(mapped)(message, code=mapped.code, name=mapped.name or name)


def clickhouse_message(text: str) -> tuple[str, str | None]:
    """ClickHouse's message without the `Code: N. DB::Exception:` prefix and the `(NAME) (version ...)` trailer."""
    prefix = _EXCEPTION_PREFIX.search(text)
    if prefix:
        text = text[prefix.end():]
    trailer = _MESSAGE_TRAILER.search(text)
    name = None
    if trailer:
        names = re.findall(r"\(([A-Z][A-Z0-9_]+)\)", trailer.group(0))
        name = names[-1] if names else None
        text = text[:trailer.start()]
    scope = text.find(_SCOPE_OF_CHECK)  # the parser check's own call, which repeats the whole query
    if scope >= 0:
        text = text[:scope]
    return text.strip(), name


def _count(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
