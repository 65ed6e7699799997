"""The statement check and ClickHouse's error messages, on canonical text as formatQuery writes it."""

from __future__ import annotations

import pytest

from spanhouse.errors import QueryRefused
from spanhouse.query.adhoc import check_statement, clickhouse_message


@pytest.mark.parametrize("canonical", [
    "SELECT 1", "WITH\n    1 AS x\nSELECT x", "SHOW TABLES", "DESCRIBE TABLE otel_traces", "EXPLAIN\nSELECT 1",
    "EXISTS TABLE t", "SELECT 1 AS SETTINGS", "SELECT 'SETTINGS x = 1', 'INTO OUTFILE'", "SELECT `INTO` AS OUTFILE",
    "SHOW SETTINGS LIKE 'max%'", "SELECT settings\nFROM system.settings", "SELECT format('{}', 1) AS FORMAT",
])
def test_reads_pass(canonical):
    check_statement(canonical)


@pytest.mark.parametrize(("canonical", "reason"), [
    ("INSERT INTO t FORMAT Values", "ad-hoc SQL is read-only (readonly=1): INSERT is not allowed"),
    ("KILL QUERY WHERE 1 ASYNC", "ad-hoc SQL is read-only (readonly=1): KILL is not allowed"),
    ("USE system", "ad-hoc SQL is read-only (readonly=1): USE is not allowed"),
    ("SELECT *\nFROM view(\n    SELECT 1\n    SETTINGS max_threads = 1\n)", "SETTINGS clauses are not allowed"),
    ("SELECT * FROM view(SELECT 1 SETTINGS `max_threads` = 1)", "SETTINGS clauses are not allowed"),
    ("SELECT 1\nINTO OUTFILE 'x' APPEND", "INTO OUTFILE is not allowed"),
    ("EXPLAIN AST\nSELECT 1\nINTO OUTFILE 'x'", "INTO OUTFILE is not allowed"),
    ("SELECT 1\nFORMAT JSONEachRow", "FORMAT clauses are not allowed"),
])
def test_everything_else_is_refused_with_the_reason(canonical, reason):
    with pytest.raises(QueryRefused) as refused:
        check_statement(canonical)
    assert str(refused.value).startswith(reason)


@pytest.mark.parametrize(("text", "message", "name"), [
    ("Code: 164. DB::Exception: Code: 164. DB::Exception: Cannot modify 'max_block_size' setting in readonly mode. "
     "(READONLY) (version 26.9.2.1). (READONLY)", "Cannot modify 'max_block_size' setting in readonly mode.",
     "READONLY"),
    ("HTTPDriver for http://ch:8123 received ClickHouse error code 60\n Code: 60. DB::Exception: Unknown table "
     "expression identifier 'x'. (UNKNOWN_TABLE) (version 25.8.1.1)", "Unknown table expression identifier 'x'.",
     "UNKNOWN_TABLE"),
    ("Code: 62. DB::Exception: Syntax error (Multi-statements are not allowed): failed at position 9 (end of query): "
     "; SELECT 2. : In scope SELECT formatQuery('SELECT 1; SELECT 2'). (SYNTAX_ERROR)",
     "Syntax error (Multi-statements are not allowed): failed at position 9 (end of query): ; SELECT 2.",
     "SYNTAX_ERROR"),
    ("something without a code", "something without a code", None),
])
def test_clickhouse_messages_lose_their_prefix_and_trailer(text, message, name):
    assert clickhouse_message(text) == (message, name)
