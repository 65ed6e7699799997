"""Just enough of ClickHouse's lexical grammar to rewrite SQL without touching what it must not.

`tokenize` splits SQL the way ClickHouse's lexer does for everything a rewrite could trip over:
string literals ('...' with backslash escapes and doubled quotes, $tag$heredocs$tag$), quoted
identifiers (`...`, "..."), comments (--, # , nested /* */), words, numbers and one-character
punctuation. A rewrite looks only at the significant tokens (no spaces, no comments) and splices
its replacements into the original text by offset, so what it does not name (layout, comments,
COMMENT strings with parentheses or quotes in them) comes out byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["space", "comment", "string", "identifier", "word", "number", "punct"]

_HEREDOC = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_PLAIN_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Words that end a FROM item rather than alias it (`FROM t FINAL`, `FROM t WHERE ...`).
_CLAUSE_WORDS = frozenset({
    "WHERE", "PREWHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "OFFSET", "SETTINGS", "FINAL", "SAMPLE", "ARRAY",
    "LEFT", "RIGHT", "INNER", "OUTER", "FULL", "CROSS", "JOIN", "ANY", "ALL", "ASOF", "SEMI", "ANTI", "GLOBAL",
    "PASTE", "ON", "USING", "UNION", "EXCEPT", "INTERSECT", "FORMAT", "WINDOW", "QUALIFY", "COMMENT", "INTO",
})


class SqlSyntaxError(ValueError):
    """The text is not SQL this module can tokenize (an unterminated string or comment)."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    start: int
    end: int

    @property
    def word(self) -> str:
        """The keyword spelling (upper case) of a bare word; empty for any other token."""
        return self.text.upper() if self.kind == "word" else ""

    @property
    def is_name(self) -> bool:
        return self.kind in ("word", "identifier")

    @property
    def name(self) -> str:
        """The identifier a word or quoted identifier stands for."""
        if self.kind == "identifier":
            return _unquote(self.text)
        return self.text


@dataclass(frozen=True, slots=True)
class TableRef:
    """A table named after FROM or JOIN: `database.name` or `name`, spanning tokens first..last."""

    database: str | None
    name: str
    first: int
    last: int


def tokenize(sql: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        kind: TokenKind
        if c.isspace():
            kind, j = "space", i + 1
            while j < n and sql[j].isspace():
                j += 1
        elif sql.startswith("--", i) or sql.startswith("# ", i) or sql.startswith("#!", i):
            kind, j = "comment", sql.find("\n", i)
            j = n if j < 0 else j
        elif sql.startswith("/*", i):
            kind, j = "comment", _block_comment_end(sql, i)
        elif c in "'`\"":
            kind, j = ("string" if c == "'" else "identifier"), _quoted_end(sql, i)
        elif c == "$" and (heredoc := _HEREDOC.match(sql, i)):
            close = sql.find(heredoc.group(0), heredoc.end())
            if close < 0:
                raise SqlSyntaxError(f"unterminated heredoc {heredoc.group(0)} at offset {i}")
            kind, j = "string", close + len(heredoc.group(0))
        elif c.isalpha() or c == "_":
            kind, j = "word", i + 1
            while j < n and (sql[j].isalnum() or sql[j] in "_$"):
                j += 1
        elif c.isdigit():
            kind, j = "number", i + 1
            while j < n and (sql[j].isalnum() or sql[j] in "_." or (sql[j] in "+-" and sql[j - 1] in "eE")):
                j += 1
        else:
            kind, j = "punct", i + 1
        tokens.append(Token(kind, sql[i:j], i, j))
        i = j
    return tokens


def split_statements(sql: str) -> list[str]:
    """The statements of a script, as `clickhouse client --multiquery` splits it: at semicolons
    outside strings, quoted identifiers and comments. Comments before a statement are dropped."""
    statements: list[str] = []
    first: Token | None = None
    last: Token | None = None
    for token in [*significant(tokenize(sql)), Token("punct", ";", len(sql), len(sql))]:
        if token.text != ";":
            first, last = first or token, token
        elif first is not None and last is not None:
            statements.append(sql[first.start:last.end])
            first = last = None
    return statements


def significant(tokens: Sequence[Token]) -> list[Token]:
    return [t for t in tokens if t.kind not in ("space", "comment")]


def depths(tokens: Sequence[Token]) -> list[int]:
    """The parenthesis depth each token sits at (an opening or closing parenthesis: the outer one)."""
    result: list[int] = []
    depth = 0
    for token in tokens:
        if token.text == ")":
            depth -= 1
        result.append(depth)
        if token.text == "(":
            depth += 1
    if depth != 0:
        raise SqlSyntaxError("unbalanced parentheses")
    return result


def matching_paren(tokens: Sequence[Token], open_index: int) -> int:
    depth = 0
    for i in range(open_index, len(tokens)):
        if tokens[i].text == "(":
            depth += 1
        elif tokens[i].text == ")":
            depth -= 1
            if depth == 0:
                return i
    raise SqlSyntaxError(f"parenthesis at offset {tokens[open_index].start} is never closed")


def split_top_level(tokens: Sequence[Token], lo: int, hi: int) -> list[tuple[int, int]]:
    """Index ranges [a, b) of the comma-separated items in tokens[lo:hi], commas inside parentheses kept."""
    items: list[tuple[int, int]] = []
    depth, start = 0, lo
    for i in range(lo, hi):
        text = tokens[i].text
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif text == "," and depth == 0:
            items.append((start, i))
            start = i + 1
    if start < hi:
        items.append((start, hi))
    return items


def table_references(tokens: Sequence[Token], lo: int = 0, hi: int | None = None) -> list[TableRef]:
    """Tables read by the SELECTs in tokens[lo:hi], subqueries included, in order of appearance.

    FROM counts only where it belongs to a SELECT at the same parenthesis depth, so
    `extract(DAY FROM ts)` and `trim(BOTH ' ' FROM s)` are not mistaken for a source; `ARRAY JOIN`
    joins a column, not a table; `FROM numbers(10)` is a table function; `FROM (SELECT ...)` is
    found through the SELECT inside it.
    """
    hi = len(tokens) if hi is None else hi
    refs: list[TableRef] = []
    has_select = [False]
    i = lo
    while i < hi:
        token = tokens[i]
        if token.text == "(":
            has_select.append(False)
        elif token.text == ")" and len(has_select) > 1:
            has_select.pop()
        elif token.word == "SELECT":
            has_select[-1] = True
        elif has_select[-1] and (token.word == "FROM" or (token.word == "JOIN" and tokens[i - 1].word != "ARRAY")):
            i = _from_items(tokens, i + 1, hi, refs, several=token.word == "FROM")
            continue
        i += 1
    return refs


def _from_items(tokens: Sequence[Token], i: int, hi: int, refs: list[TableRef], several: bool) -> int:
    while i < hi and tokens[i].is_name:
        first, database, name = i, None, tokens[i].name
        if i + 2 < hi and tokens[i + 1].text == "." and tokens[i + 2].is_name:
            database, name, i = name, tokens[i + 2].name, i + 2
        if i + 1 < hi and tokens[i + 1].text == "(":
            return i + 1  # a table function
        refs.append(TableRef(database, name, first, i))
        i += 1
        if i < hi and tokens[i].word == "AS":
            i += 2
        elif i < hi and tokens[i].is_name and tokens[i].word not in _CLAUSE_WORDS:
            i += 1
        if not (several and i < hi and tokens[i].text == ","):
            break
        i += 1
    return i


def splice(text: str, edits: Sequence[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, replacement) applied; the ranges must not overlap."""
    out: list[str] = []
    position = 0
    for start, end, replacement in sorted(edits):
        if start < position:
            raise ValueError(f"overlapping edits at offset {start}")
        out.append(text[position:start])
        out.append(replacement)
        position = end
    out.append(text[position:])
    return "".join(out)


def quote_identifier(name: str) -> str:
    if _PLAIN_IDENTIFIER.fullmatch(name):
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _quoted_end(sql: str, i: int) -> int:
    quote, j, n = sql[i], i + 1, len(sql)
    while j < n:
        if sql[j] == "\\":
            j += 2
        elif sql[j] == quote:
            if j + 1 < n and sql[j + 1] == quote:
                j += 2
            else:
                return j + 1
        else:
            j += 1
    raise SqlSyntaxError(f"unterminated {quote}...{quote} starting at offset {i}")


def _block_comment_end(sql: str, i: int) -> int:
    depth, j = 0, i
    while j < len(sql):
        if sql.startswith("/*", j):
            depth, j = depth + 1, j + 2
        elif sql.startswith("*/", j):
            depth, j = depth - 1, j + 2
            if depth == 0:
                return j
        else:
            j += 1
    raise SqlSyntaxError(f"unterminated /* comment starting at offset {i}")


def _unquote(text: str) -> str:
    quote, body = text[0], text[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(body[i + 1])
            i += 2
        elif body[i] == quote and i + 1 < len(body) and body[i + 1] == quote:
            out.append(quote)
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)
