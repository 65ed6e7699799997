"""Rows from trace_span_docs' JSON documents (sql/trace_span_docs.sql), shaped as timeline.py reads them.

A document is one span as ClickHouse's JSONEachRow wrote it in trace_span_docs_mv (migration
0043): the otel_traces columns the timeline reads, keyed by name. Two things JSON does not carry
as the columns do are put back here:
* 64-bit integers arrive as numbers or, when the inserting session had
  `output_format_json_quote_64bit_integers` on, as strings; both become int.
* UInt128 content hashes are written as decimal strings (JSON numbers beyond 64 bits do not
  survive every reader) and become int.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from spanhouse.query.reader import Row

# Int64 / UInt64 columns, Nullable or not: quoted or not depending on the writer's settings.
_INTS = ("StartNs", "Duration", "InputTokens", "OutputTokens", "TotalTokens", "CacheReadTokens",
         "CacheWriteTokens", "ReasoningTokens", "MaxTokens")
_HASH_LISTS = ("InputMessageHashes", "OutputMessageHashes")


def _int(value: Any) -> Any:
    return int(value) if isinstance(value, str) else value


def span_row(doc: str) -> Row:
    """One document as a row keyed like otel_traces' columns."""
    row: Row = orjson.loads(doc)
    for name in _INTS:
        row[name] = _int(row[name])
    row["EventTimesNs"] = [_int(ns) for ns in row["EventTimesNs"]]
    for name in _HASH_LISTS:
        row[name] = [int(key) for key in row[name]]
    row["ContentAttributes"] = {key: [int(part) for part in parts]
                                for key, parts in row["ContentAttributes"].items()}
    return row


def span_rows(docs: Iterable[Row]) -> list[Row]:
    """The rows of sql/trace_span_docs.sql's result, in its order."""
    return [span_row(doc["Doc"]) for doc in docs]
