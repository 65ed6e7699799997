"""Python columns -> the bytes of one column of a ClickHouse Native block, for the types spanhouse stores.

Why not clickhouse-connect's own writers: they walk every value in Python (a LowCardinality
dictionary is a loop of dict look-ups, a Map a loop over every entry), and their insert context
keeps the columns in a reference cycle that the garbage collector then traverses again and
again. That was a third of a decode worker's time per span. Here each step is one pass that runs
in C: `dict.fromkeys` builds a dictionary, `itertools.chain` flattens maps and arrays,
`array.array` packs numbers, clickhouse-connect's compiled `write_str_col` writes strings.
A type with no writer here falls back to clickhouse-connect's, so any column still encodes.

Native layout, as ClickHouse reads it (and clickhouse-connect writes it): a column's serialisation
prefix (the LowCardinality version, for every LowCardinality inside the type) comes before its
data; an Array or a Map is its cumulative end offsets (UInt64) followed by its flattened
elements (a Map's keys, then its values); a Nullable is a byte per row (1 = NULL) followed by the
values, NULLs written as zeros; a LowCardinality is chunks of [flags, dictionary, row count,
indexes], read until the column's row count is reached.

Every writer notes where each part of its column ends (`cuts`), and each codec says what kind of
part each is (`parts`): "o" for cumulative offsets, "d" for data that concatenates as it is (a
LowCardinality chunk too), "x" for bytes this module did not write. With that, the columns of
blocks encoded apart can be joined into one block without decoding them (`native_merge.py`).
"""

from __future__ import annotations

import array
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain
from operator import methodcaller
from typing import Any

from clickhouse_connect.datatypes.base import ClickHouseType
from clickhouse_connect.datatypes.container import Array, Map
from clickhouse_connect.datatypes.registry import get_from_name
from clickhouse_connect.driver.ctypes import data_conv
from clickhouse_connect.driver.errors import handle_error
from clickhouse_connect.driver.insert import InsertContext

# write(values, dest, cuts): appends the column's data to dest, and len(dest) to cuts after each part
ColumnWriter = Callable[[Sequence[Any], bytearray, list[int]], None]
OFFSETS, DATA, OPAQUE = "o", "d", "x"

# array.array type codes of the fixed-width types written as they are held
PACKED = {
    "UInt8": "B", "UInt16": "H", "UInt32": "I", "UInt64": "Q",
    "Int8": "b", "Int16": "h", "Int32": "i", "Int64": "q",
    "Float32": "f", "Float64": "d",
    # nanoseconds (or seconds) since the epoch, as integers: the decoders never hold datetime objects
    "DateTime64": "q", "DateTime": "I",
}
# LowCardinality index flags: the block carries its own dictionary (NeedUpdateDictionary, bit 9)
# as additional keys (HasAdditionalKeys, bit 10); the low bits give the index width.
LC_FLAGS = (1 << 9) | (1 << 10)
_values_of = methodcaller("values")
_u64 = struct.Struct("<Q")


@dataclass(frozen=True, slots=True)
class ColumnCodec:
    """How one column type is written: its serialisation prefix, then `write(values, dest, cuts)`."""

    prefix: bytes
    write: ColumnWriter
    parts: str  # the kind of each part the writer cuts, in order (OFFSETS, DATA or OPAQUE)


def codec_for(type_name: str) -> ColumnCodec:
    """The codec of a ClickHouse type name as `system.columns` spells it."""
    ch_type = get_from_name(type_name)
    prefix = bytearray()
    ch_type.write_column_prefix(prefix)
    write, parts = _writer(ch_type)
    return ColumnCodec(bytes(prefix), write, parts)


def _writer(ch_type: ClickHouseType) -> tuple[ColumnWriter, str]:
    base = ch_type.base_type
    if isinstance(ch_type, Array) and not ch_type.nullable:
        elements, parts = _writer(ch_type.element_type)
        return _array_writer(elements), OFFSETS + parts
    if isinstance(ch_type, Map) and not ch_type.nullable:
        (keys, key_parts), (values, value_parts) = _writer(ch_type.key_type), _writer(ch_type.value_type)
        return _map_writer(keys, values), OFFSETS + key_parts + value_parts
    if ch_type.low_card:
        if base == "String" and not ch_type.nullable:
            return _write_low_cardinality_strings, DATA
        return _fallback(ch_type), OPAQUE
    if base == "String":
        return (_write_nullable_strings, DATA + DATA) if ch_type.nullable else (_write_strings, DATA)
    write: ColumnWriter | None = None
    if base in PACKED:
        write = _packed_writer(PACKED[base])
    elif base == "Bool":
        write = _write_bools
    elif base == "UInt128":
        write = _write_uint128
    if write is None:
        return _fallback(ch_type), OPAQUE
    return (_nullable_writer(write), DATA + DATA) if ch_type.nullable else (write, DATA)


def _write_strings(column: Sequence[Any], dest: bytearray, cuts: list[int]) -> None:
    _check(data_conv.write_str_col(column, False, "utf-8", dest))
    cuts.append(len(dest))


def _write_nullable_strings(column: Sequence[Any], dest: bytearray, cuts: list[int]) -> None:
    dest += bytes([value is None for value in column])
    cuts.append(len(dest))
    _check(data_conv.write_str_col(column, True, "utf-8", dest))
    cuts.append(len(dest))


def _check(error: int) -> None:
    if error:
        handle_error(error, InsertContext("", [], []))


def _write_low_cardinality_strings(column: Sequence[Any], dest: bytearray, cuts: list[int]) -> None:
    if not column:
        cuts.append(len(dest))
        return  # ClickHouse reads nothing for an empty LowCardinality column, not even a header
    dictionary = list(dict.fromkeys(column))
    size = len(dictionary)
    width = 0 if size <= 0x100 else 1 if size <= 0x10000 else 2
    dest += _u64.pack(LC_FLAGS | width)
    dest += _u64.pack(size)
    _check(data_conv.write_str_col(dictionary, False, "utf-8", dest))
    dest += _u64.pack(len(column))
    if size == 1:
        dest += bytes(len(column))  # every row is entry 0
    else:
        position = dict(zip(dictionary, range(size), strict=True))
        dest += array.array("BHI"[width], map(position.__getitem__, column)).tobytes()
    cuts.append(len(dest))


def _packed_writer(code: str) -> ColumnWriter:
    def write(column: Sequence[Any], dest: bytearray, cuts: list[int]) -> None:
        dest += array.array(code, column).tobytes()
        cuts.append(len(dest))
    return write


def _write_bools(column: Sequence[Any], dest: bytearray, cuts: list[int]) -> None:
    dest += bytes([1 if value else 0 for value in column])
    cuts.append(len(dest))


def _write_uint128(column: Sequence[Any], dest: bytearray, cuts: list[int]) -> None:
    dest += b"".join([value.to_bytes(16, "little") for value in column])
    cuts.append(len(dest))


def _nullable_writer(write_values: ColumnWriter) -> ColumnWriter:
    def write(column: Sequence[Any], dest: bytearray, cuts: list[int]) -> None:
        nulls = column.count(None)
        if not nulls:
            dest += bytes(len(column))
            cuts.append(len(dest))
            write_values(column, dest, cuts)
            return
        if nulls == len(column):  # most canonical columns of a span that is no model call
            dest += b"\x01" * nulls
            cuts.append(len(dest))
            write_values([0] * nulls, dest, cuts)
            return
        dest += bytes([value is None for value in column])
        cuts.append(len(dest))
        write_values([0 if value is None else value for value in column], dest, cuts)
    return write


def _offsets(lengths: Any, dest: bytearray, cuts: list[int]) -> None:
    dest += array.array("Q", accumulate(lengths)).tobytes()
    cuts.append(len(dest))


def _array_writer(write_elements: ColumnWriter) -> ColumnWriter:
    def write(column: Sequence[Any], dest: bytearray, cuts: list[int]) -> None:
        _offsets(map(len, column), dest, cuts)
        write_elements(list(chain.from_iterable(column)), dest, cuts)
    return write


def _map_writer(write_keys: ColumnWriter, write_values: ColumnWriter) -> ColumnWriter:
    def write(column: Sequence[Any], dest: bytearray, cuts: list[int]) -> None:
        _offsets(map(len, column), dest, cuts)
        write_keys(list(chain.from_iterable(column)), dest, cuts)  # iterating a dict yields its keys
        write_values(list(chain.from_iterable(map(_values_of, column))), dest, cuts)
    return write


def _fallback(ch_type: ClickHouseType) -> ColumnWriter:
    def write(column: Sequence[Any], dest: bytearray, cuts: list[int]) -> None:
        ch_type.write_column_data(column, dest, InsertContext("", [], []))
        cuts.append(len(dest))
    return write
