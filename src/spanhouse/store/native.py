"""Column batches -> ClickHouse Native format bytes, so serialisation runs where decoding runs.

Why: the writer thread is the one place that cannot be parallelised (one insert at a time, one
client handle). Turning Python columns into the bytes ClickHouse reads is CPU-bound Python
work; done here, it runs on the decode workers (other processes, other cores) and the writer
only joins bytes. Native input is a sequence of self-describing blocks, so blocks encoded
separately, even in different processes, form one valid insert body; and since each block
also records where its columns' parts lie, the writer can join them into a single block
(`native_merge.py`), which ClickHouse reads for a fraction of the cost of many.

A `TableLayout` (column names and ClickHouse types, read from the table once at start-up) is
plain data: it crosses process boundaries and rebuilds the same encoder in a worker.
"""

from __future__ import annotations

import array
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clickhouse_connect.driver.client import Client

from spanhouse.errors import StoreError
from spanhouse.store.client import map_error
from spanhouse.store.native_columns import OPAQUE, ColumnWriter, codec_for


@dataclass(frozen=True, slots=True)
class NativeBlock:
    """Rows of one request, encoded; what the writer queues.

    `cuts` and `shape` let blocks be merged (`native_merge.py`); a block without them (read back
    from the write-ahead log, or of a type this module does not write itself) is inserted as it is.
    """

    data: bytes
    rows: int
    # int64 positions in `data`: where the block header ends, then per column where its data
    # starts and where each of its parts ends.
    cuts: bytes = b""
    # The kinds of each column's parts ("|" between columns), after a digest of the column
    # headers: only blocks of one shape merge.
    shape: str = ""


@dataclass(frozen=True, slots=True)
class TableLayout:
    table: str
    columns: tuple[tuple[str, str], ...]  # (column name, ClickHouse type name), in insert order

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @classmethod
    def read(cls, client: Client, table: str, names: Sequence[str]) -> TableLayout:
        """The types of `names` in `table` as the store reports them (fails if one is missing)."""
        try:
            context = client.create_insert_context(table, column_names=list(names), column_oriented=True)
        except Exception as exc:
            raise map_error(exc, f"read the columns of {table}") from exc
        return cls(table, tuple((name, kind.name) for name, kind in zip(context.column_names, context.column_types,
                                                                          strict=True)))


class NativeEncoder:
    def __init__(self, layout: TableLayout) -> None:
        self._layout = layout
        self._names = list(layout.names)
        # Per column, what precedes its data in every block: name, type and serialisation prefix.
        self._columns: list[tuple[str, bytes, ColumnWriter]] = []
        heads = hashlib.blake2b(digest_size=8)
        parts = []
        for name, type_name in layout.columns:
            codec = codec_for(type_name)
            head = bytearray()
            for text in (name, type_name):
                leb128(len(text.encode()), head)
                head += text.encode()
            self._columns.append((name, bytes(head) + codec.prefix, codec.write))
            heads.update(bytes(head) + codec.prefix)
            parts.append(codec.parts)
        mergeable = not any(OPAQUE in kinds for kinds in parts)
        self._shape = f"{heads.hexdigest()}:{'|'.join(parts)}" if mergeable else ""

    @property
    def layout(self) -> TableLayout:
        return self._layout

    def encode(self, columns: Mapping[str, Sequence[Any]]) -> NativeBlock:
        """One Native block holding `columns` (every layout column must be present, same length)."""
        data = [columns[name] for name in self._names]
        rows = len(data[0]) if data else 0
        if any(len(values) != rows for values in data):
            # ClickHouse would read such a block as garbage, or refuse it with the whole insert it is part of
            lengths = {name: len(values) for name, values in zip(self._names, data, strict=True)}
            raise StoreError(f"cannot encode rows for {self._layout.table}: columns differ in length {lengths}")
        if rows == 0:
            return NativeBlock(b"", 0)
        body = bytearray()
        leb128(len(data), body)
        leb128(rows, body)
        cuts = [len(body)]
        for (name, head, write), values in zip(self._columns, data, strict=True):
            body += head
            cuts.append(len(body))
            try:
                write(values, body, cuts)
            except Exception as exc:  # whatever a value's type made the writer raise
                raise StoreError(f"cannot encode rows for {self._layout.table}: column {name}: "
                                 f"{type(exc).__name__}: {exc}") from exc
        if not self._shape:
            return NativeBlock(bytes(body), rows)
        return NativeBlock(bytes(body), rows, array.array("q", cuts).tobytes(), self._shape)


def leb128(number: int, dest: bytearray) -> None:
    while number > 0x7F:
        dest.append(0x80 | (number & 0x7F))
        number >>= 7
    dest.append(number)
