"""The SQL tokenizer: strings, quoted names and comments are opaque; FROM/JOIN sources are found."""

from __future__ import annotations

import pytest

from spanhouse.store.sqltext import (
    SqlSyntaxError,
    quote_identifier,
    quote_string,
    significant,
    split_statements,
    table_references,
    tokenize,
)


def texts(sql):
    return [(t.kind, t.text) for t in significant(tokenize(sql))]


def sources(sql):
    return [(ref.database, ref.name) for ref in table_references(significant(tokenize(sql)))]


def test_tokens_cover_the_text_exactly():
    sql = "CREATE TABLE t (a String COMMENT 'x') -- done\n/* and */ ENGINE = Null"
    assert "".join(t.text for t in tokenize(sql)) == sql


def test_strings_keep_escaped_and_doubled_quotes_and_parentheses_inside():
    assert texts(r"COMMENT 'it''s (a) \'quoted\' ) string' x") == [
        ("word", "COMMENT"), ("string", r"'it''s (a) \'quoted\' ) string'"), ("word", "x")]


def test_comments_are_not_tokens_of_the_statement():
    assert texts("a -- FROM t (\n# also a comment\n/* outer /* nested */ still ) */ b") == [
        ("word", "a"), ("word", "b")]


def test_quoted_identifiers_and_heredocs():
    tokens = significant(tokenize('`odd ``name` "other" $x$ it\'s ( $x$ $$plain$$'))
    assert [(t.kind, t.name) for t in tokens] == [
        ("identifier", "odd `name"), ("identifier", "other"), ("string", "$x$ it's ( $x$"), ("string", "$$plain$$")]


def test_numbers_with_exponents_and_tuple_access():
    assert texts("1.5e-3 bounds.1") == [("number", "1.5e-3"), ("word", "bounds"), ("punct", "."), ("number", "1")]


@pytest.mark.parametrize("sql", ["SELECT 'open", "SELECT `open", "/* /* */ open"])
def test_unterminated_strings_and_comments_are_errors(sql):
    with pytest.raises(SqlSyntaxError, match="unterminated"):
        tokenize(sql)


def test_split_statements_ignores_semicolons_in_strings_and_comments():
    script = "-- head; comment\nCREATE TABLE a (x String COMMENT 'a;b');\n\n/* ; */ INSERT INTO a VALUES ('c;d');\n"
    assert split_statements(script) == ["CREATE TABLE a (x String COMMENT 'a;b')", "INSERT INTO a VALUES ('c;d')"]


def test_table_references_of_selects_joins_and_subqueries():
    sql = """SELECT * FROM spans AS s
             LEFT JOIN ctx c ON c.id = s.id
             ARRAY JOIN s.Events AS e
             WHERE s.x IN (SELECT x FROM other FINAL) AND extract(DAY FROM s.ts) = 1
               AND trim(BOTH ' ' FROM s.name) != '' AND s.y IN (SELECT number FROM numbers(10))"""
    assert sources(sql) == [(None, "spans"), (None, "ctx"), (None, "other")]


def test_table_references_qualified_names_and_comma_lists():
    assert sources("SELECT 1 FROM system.one, a AS x, b WHERE 1") == [("system", "one"), (None, "a"), (None, "b")]


def test_quoting_only_when_needed():
    assert (quote_identifier("otel_traces"), quote_identifier("my-db"), quote_string("it's")) == (
        "otel_traces", "`my-db`", r"'it\'s'")
