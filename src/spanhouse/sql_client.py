"""`spanhouse sql`: send one query to a running spanhouse (POST /api/v1/sql) and print the answer.

The client only moves bytes and draws a table: limits, read-only checks and error text all come
from the server, so the command and HTTP clients see the same behaviour. Standard library only
(urllib), since httpx is not a runtime dependency.

Parameters: each `--param NAME=VALUE` becomes `"params": {"NAME": "VALUE"}`, a string taken as
written, which ClickHouse parses as the type of the query's `{NAME:Type}` placeholder (an array as
its text, `['a','b']`).

Output: an aligned text table on stdout by default (NULL shown as NULL, wide cells cut), or the
server's CSV / TSV / JSON unchanged; the row count, time and any truncation go to stderr, so
stdout stays clean for pipes. Exit status: 0 ok, 1 the server refused or failed the query (its
message on stderr), 2 a malformed --param, 3 no spanhouse answered at the URL.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO

EXIT_QUERY_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
MAX_CELL_CHARS = 60
_NUMERIC_PREFIXES = ("Int", "UInt", "Float", "Decimal", "BFloat")
_CONTROL_ESCAPES = str.maketrans({"\n": "\\n", "\t": "\\t", "\r": "\\r"})


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]


def endpoint(base_url: str) -> str:
    """The SQL endpoint under a base URL (`http://host:port`); a URL already naming it is kept."""
    base = base_url.rstrip("/")
    return base if base.endswith("/api/v1/sql") else base + "/api/v1/sql"


def parse_params(options: Iterable[str]) -> dict[str, str]:
    """The values of `--param NAME=VALUE` options by name; the value is everything after the first `=`.

    Raises:
        ValueError: an option without `=` or without a name, or a name given twice.
    """
    params: dict[str, str] = {}
    for option in options:
        name, equals, value = option.partition("=")
        if not equals or not name:
            raise ValueError(f"--param takes NAME=VALUE, got {option!r}")
        if name in params:
            raise ValueError(f"--param {name} is given twice")
        params[name] = value
    return params


def post(url: str, query: str, form: str, max_rows: int | None, timeout_s: float,
         api_key: str = "", params: dict[str, str] | None = None) -> Answer:
    """POST the query; HTTP error statuses come back as answers, an unreachable server raises URLError or OSError."""
    fields: dict[str, Any] = {"query": query, "format": form}
    if max_rows is not None:
        fields["max_rows"] = max_rows
    if params:
        fields["params"] = params
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(url, data=json.dumps(fields).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return Answer(response.status, response.read(), dict(response.headers.items()))
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, exc.read(), dict(exc.headers.items()))


def run(base_url: str, query: str, form: str, max_rows: int | None, timeout_s: float,
        out: TextIO, err: TextIO, api_key: str = "", param_options: Iterable[str] = ()) -> int:
    """Send one query and print its answer.

    Args:
        base_url: the query API, e.g. `http://127.0.0.1:8318`.
        query: ClickHouse SQL, one read statement.
        form: `table` (drawn here from the JSON answer), `csv`, `tsv` or `json` (printed as sent).
        max_rows: ask for at most this many rows (the server caps it at its own limit).
        timeout_s: how long to wait for the answer.
        out: where the result goes; err: where the summary and errors go.
        api_key: sent as `Authorization: Bearer` when not empty.
        param_options: the `--param NAME=VALUE` options, for the query's `{NAME:Type}` placeholders.
    """
    try:
        params = parse_params(param_options)
    except ValueError as exc:
        print(f"spanhouse: {exc}", file=err)
        return EXIT_USAGE
    url = endpoint(base_url)
    try:
        answer = post(url, query, "json" if form == "table" else form, max_rows, timeout_s, api_key, params)
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError):
            print(f"spanhouse: no answer from {url} within {timeout_s:g} s", file=err)
        else:
            print(f"spanhouse: cannot reach spanhouse at {url} ({getattr(reason, 'strerror', None) or reason}); "
                  "is `spanhouse serve` running? (--url names another address)", file=err)
        return EXIT_UNREACHABLE
    if answer.status != 200:
        print("spanhouse: " + _error_text(answer, url), file=err)
        return EXIT_QUERY_FAILED
    if form == "table":
        doc = json.loads(answer.body, parse_float=Decimal)
        out.write(render_table([c["name"] for c in doc["columns"]], [c["type"] for c in doc["columns"]], doc["rows"]))
        stats = doc
    else:
        text = answer.body.decode("utf-8")
        out.write(text if text.endswith("\n") or not text else text + "\n")
        stats = _stats_from_headers(answer.headers) if form != "json" else json.loads(answer.body)
    print(_summary(stats), file=err)
    return 0


def render_table(names: list[str], types: list[str], rows: list[list[Any]]) -> str:
    """An aligned text table: a header, a rule, one line per row; numbers right-aligned."""
    cells = [[_cell_text(value) for value in row] for row in rows]
    header = [_cut(name.translate(_CONTROL_ESCAPES)) for name in names]
    widths = [max([len(header[i])] + [len(line[i]) for line in cells]) for i in range(len(names))]
    right = [_unwrap(kind).startswith(_NUMERIC_PREFIXES) for kind in types]

    def line(values: list[str], align: bool = True) -> str:
        parts = [value.rjust(width) if align and is_number else value.ljust(width)
                 for value, width, is_number in zip(values, widths, right, strict=True)]
        return (" " + " | ".join(parts)).rstrip() + "\n"

    rule = "-" + "-+-".join("-" * width for width in widths) + "-\n"
    return line(header, align=False) + rule + "".join(line(values) for values in cells)


def _cell_text(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    else:
        text = str(value)
    return _cut(text.translate(_CONTROL_ESCAPES))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _unwrap(kind: str) -> str:
    for wrapper in ("Nullable(", "LowCardinality("):
        while kind.startswith(wrapper):
            kind = kind[len(wrapper):-1]
    return kind


def _error_text(answer: Answer, url: str) -> str:
    if answer.status == 404:
        return f"no SQL endpoint at {url} (HTTP 404); --url should name the query API, e.g. http://127.0.0.1:8318"
    try:
        error = json.loads(answer.body)["error"]
        message = error["message"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {answer.status}: {answer.body[:300].decode('utf-8', errors='replace').strip()}"
    clickhouse = error.get("clickhouse")
    if clickhouse:
        return f"ClickHouse error {clickhouse['code']} ({clickhouse['name']}): {message}"
    retry = answer.headers.get("Retry-After")
    return f"{message} (HTTP {answer.status} {error.get('code')}" + (f", retry after {retry} s)" if retry else ")")


def _stats_from_headers(headers: dict[str, str]) -> dict[str, Any]:
    lowered = {key.lower(): value for key, value in headers.items()}
    stats: dict[str, Any] = {}
    for name in ("row_count", "max_rows", "elapsed_ms", "rows_read", "bytes_read", "truncated"):
        value = lowered.get("x-spanhouse-" + name.replace("_", "-"))
        if value is not None:
            stats[name] = value == "true" if name == "truncated" else float(value) if "." in value else int(value)
    return stats


def _summary(stats: dict[str, Any]) -> str:
    rows = stats.get("row_count", 0)
    text = f"{rows} row{'' if rows == 1 else 's'} in {float(stats.get('elapsed_ms', 0)):.1f} ms"
    if stats.get("rows_read") is not None:
        read = stats["rows_read"]
        text += f" (read {read} row{'' if read == 1 else 's'}, {_size(stats.get('bytes_read') or 0)})"
    if stats.get("truncated"):
        text += (f"; truncated to the first {stats.get('max_rows')} rows: add LIMIT, or --max-rows up to the "
                 "server's SPANHOUSE_SQL_MAX_ROWS")
    return text


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    size, unit = count / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{size:.1f} {unit}"
