"""Column batches -> ClickHouse Native format bytes, so serialisation runs where decoding runs.

Why: the writer thread is the one place that cannot be parallelised (one insert at a time, one
client handle). Turning Python columns into the bytes ClickHouse reads is CPU-bound Python
work; done here, it runs on the decode workers (other processes, other cores) and the writer
only concatenates bytes. Native input is a sequence of self-describing blocks, so blocks
encoded separately, even in different processes, form one valid insert body.

A `TableLayout` (column names and ClickHouse types, read from the table once at start-up) is
plain data: it crosses process boundaries and rebuilds the same encoder in a worker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clickhouse_connect.datatypes.registry import get_from_name
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.insert import InsertContext
from clickhouse_connect.driver.transform import NativeTransform

from spanhouse.errors import StoreError
from spanhouse.store.client import map_error


@dataclass(frozen=True, slots=True)
class NativeBlock:
    """Rows of one request, encoded; what the writer queues."""

    data: bytes
    rows: int


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
        self._types = [get_from_name(type_name) for _, type_name in layout.columns]

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
        context = InsertContext(self._layout.table, self._names, self._types, data, column_oriented=True)
        body = b"".join(NativeTransform.build_insert(context))
        if context.insert_exception is not None:
            raise StoreError(f"cannot encode rows for {self._layout.table}: {context.insert_exception}")
        # The first chunk starts with an `INSERT ... FORMAT Native` line meant for an HTTP body.
        return NativeBlock(body[body.index(b"\n") + 1:], rows)
