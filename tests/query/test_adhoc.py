"""The statement check, parameter binding and ClickHouse's error messages, on formatQuery's canonical text."""

from __future__ import annotations

import pytest

from spanhouse.errors import QueryRefused
from spanhouse.query.adhoc import (
    ParameterRefused,
    bind,
    check_parameters,
    check_statement,
    clickhouse_message,
    parameter_text,
)


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


# --- parameters ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "as_written", "text"), [
    ("acme", False, "acme"),
    ("2025-11-22 00:00:00", False, "2025-11-22 00:00:00"),
    ("it's a\\b\tc\nd", False, "it's a\\\\b\\tc\\nd"),  # escaped, so that ClickHouse reads back what was given
    ("\\N", False, "\\\\N"),  # the two characters, not NULL
    (None, False, "\\N"),
    (42, False, "42"),
    (-1.5, False, "-1.5"),
    (1e20, False, "1e+20"),
    (True, False, "true"),
    ("['a','it\\'s']", True, "['a','it\\'s']"),  # ClickHouse's own array text, as written
    (["a", "it's", "x\\y", None], True, "['a', 'it\\'s', 'x\\\\y', NULL]"),
    ([[1, 2], [], [False]], True, "[[1, 2], [], [false]]"),
    ("{'a': 1}", True, "{'a': 1}"),
])
def test_a_parameter_is_written_as_clickhouse_reads_its_type(value, as_written, text):
    assert parameter_text(value, as_written) == text


def test_only_the_placeholders_of_the_query_are_bound_and_types_decide_how_their_text_is_read():
    canonical = ("SELECT\n    {tenant:String},\n    {models:Array(String)},\n    '{quoted:String}',\n"
                 "    `{name:String}`,\n    {day:Nullable(Date)},\n    {tenant:LowCardinality(String)}")
    bound = bind(canonical, {"tenant": "a\\b", "models": "['x\\'y']", "day": None, "unused": 1, "quoted": "q"})
    assert {name: str(text) for name, text in bound.items()} == {
        "tenant": "a\\\\b", "models": "['x\\'y']", "day": "\\N"}


def test_a_query_without_placeholders_binds_nothing_so_the_driver_never_formats_the_text():
    """clickhouse-connect pastes %(name)s values into a query that has no {name:Type}: nothing may reach it."""
    assert bind("SELECT '%(x)s', '{x:String}'", {"x": "1"}) == {}


def test_placeholders_without_values_are_named_all_at_once():
    with pytest.raises(ParameterRefused) as refused:
        bind("SELECT {tenant:String}, {start:DateTime('UTC')}, {limit:UInt32}, {start:DateTime('UTC')}",
             {"limit": 1})
    assert (refused.value.code, refused.value.names, str(refused.value)) == (
        "missing_parameter", ["tenant", "start"],
        "no value for the query's {tenant:String}, {start:DateTime('UTC')}: send them in \"params\" "
        "(spanhouse sql --param tenant=VALUE --param start=VALUE)")


def test_one_name_for_types_whose_text_reads_differently_is_refused():
    with pytest.raises(ParameterRefused) as refused:
        bind("SELECT {x:String}, {x:Array(String)}", {"x": "['a']"})
    assert (refused.value.code, refused.value.names, str(refused.value)) == (
        "invalid_parameter", ["x"], "parameter x stands for String and Array(String), whose text ClickHouse reads "
                                    "differently: give each its own name")


@pytest.mark.parametrize(("params", "name", "message"), [
    ({"bad-name": 1}, "bad-name", "parameter name 'bad-name': a name is 1 to 128 letters, digits or '_', as in "
                                  "{name:Type}"),
    ({"": 1}, "", "parameter name '': a name is 1 to 128 letters, digits or '_', as in {name:Type}"),
    ({"m": {"a": 1}}, "m", "parameter m: an object is not a parameter value: give a string, number, boolean, null "
                           "or an array of them (a Map or Tuple as ClickHouse's text, e.g. \"{'a': 1}\")"),
    ({"ok": 1, "deep": [[[{"a": 1}]]]}, "deep", "parameter deep: an object is not a parameter value: give a "
                                               "string, number, boolean, null or an array of them (a Map or Tuple "
                                               "as ClickHouse's text, e.g. \"{'a': 1}\")"),
    ({"nest": [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}, "nest", "parameter nest: arrays nest at most 16 deep"),
])
def test_a_bad_parameter_is_refused_naming_it(params, name, message):
    with pytest.raises(ParameterRefused) as refused:
        check_parameters(params)
    assert (refused.value.code, refused.value.names, str(refused.value)) == ("invalid_parameter", [name], message)
