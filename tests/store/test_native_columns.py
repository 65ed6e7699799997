"""Column writers: the same bytes clickhouse-connect writes, and what ClickHouse reads back is what was sent."""

from __future__ import annotations

import pytest
from clickhouse_connect.datatypes.registry import get_from_name
from clickhouse_connect.driver.insert import InsertContext

from spanhouse.errors import StoreError
from spanhouse.store.native import NativeEncoder, TableLayout
from spanhouse.store.native_columns import codec_for

# Every type the spanhouse tables insert, with values that reach each branch of its writer.
SAMPLES: dict[str, list] = {
    "String": ["", "plain", "ünïcødé ✓", "x" * 300],
    "LowCardinality(String)": ["chat", "", "chat", "tool", "chat"],
    "UInt8": [0, 255, 7],
    "UInt32": [0, 4_294_967_295, 12],
    "UInt64": [0, 18_446_744_073_709_551_615, 5],
    "DateTime64(9)": [0, 1_763_856_000_123_456_789, 1],
    "UInt128": [0, 2**128 - 1, 12345678901234567890123456789],
    "Nullable(UInt64)": [None, 3, None, 0],
    "Nullable(UInt32)": [1, 2, 3],
    "Nullable(Float64)": [None, 0.25, -1e300, 3],
    "Nullable(Bool)": [True, None, False],
    "Array(String)": [[], ["a", "b"], [""]],
    "Array(UInt32)": [[1, 2], [], [3]],
    "Array(UInt128)": [[], [1, 2**127], [0]],
    "Array(DateTime64(9))": [[1, 2], [], [3]],
    "Array(LowCardinality(String))": [["stop"], [], ["stop", "length", "stop"]],
    "Map(LowCardinality(String), String)": [{}, {"k": "v", "gen_ai.system": "openai"}, {"k": ""}],
    "Map(LowCardinality(String), LowCardinality(String))": [{"a": "int"}, {}, {"b": "double", "a": "int"}],
    "Map(LowCardinality(String), Array(UInt128))": [{}, {"input": [1, 2]}, {"output": []}],
    "Array(Map(LowCardinality(String), String))": [[], [{"a": "1"}, {}], [{"b": "2"}]],
    # not in a spanhouse table, so written by clickhouse-connect's own writer
    "LowCardinality(Nullable(String))": ["a", None, "a"],
}


def reference_bytes(type_name: str, values: list) -> bytes:
    ch_type = get_from_name(type_name)
    dest = bytearray()
    ch_type.write_column(values, dest, InsertContext("t", ["c"], [ch_type]))
    return bytes(dest)


def our_bytes(type_name: str, values: list) -> bytes:
    codec = codec_for(type_name)
    dest = bytearray(codec.prefix)
    cuts: list[int] = []
    codec.write(values, dest, cuts)
    assert len(cuts) == len(codec.parts) and cuts[-1] == len(dest), "each part's end is noted, the last at the end"
    return bytes(dest)


@pytest.mark.parametrize("type_name", sorted(SAMPLES))
def test_each_type_is_written_as_clickhouse_connect_writes_it(type_name):
    assert our_bytes(type_name, SAMPLES[type_name]) == reference_bytes(type_name, SAMPLES[type_name])


@pytest.mark.parametrize("type_name", ["LowCardinality(String)", "Array(String)", "Map(LowCardinality(String), String)",
                                       "Nullable(UInt64)"])
def test_an_empty_column_is_written_as_clickhouse_connect_writes_it(type_name):
    assert our_bytes(type_name, []) == reference_bytes(type_name, [])


@pytest.mark.parametrize("type_name", ["Nullable(UInt64)", "Nullable(Float64)", "Nullable(Bool)", "Nullable(String)"])
def test_a_column_of_nulls_only_is_written_as_clickhouse_connect_writes_it(type_name):
    assert our_bytes(type_name, [None] * 5) == reference_bytes(type_name, [None] * 5)


@pytest.fixture
def table(store, query):
    columns = ", ".join(f"c{index} {type_name}" for index, type_name in enumerate(SAMPLES))
    store.command(f"CREATE TABLE every_type ({columns}) ENGINE = MergeTree ORDER BY tuple()")
    return TableLayout.read(store, "every_type", [f"c{index}" for index in range(len(SAMPLES))])


def test_a_block_of_every_type_reads_back_as_sent(store, query, table):
    rows = 3
    columns = {f"c{index}": values[:rows] for index, values in enumerate(SAMPLES.values())}
    block = NativeEncoder(table).encode(columns)
    store.raw_insert("every_type", list(table.names), insert_block=block.data, fmt="Native")
    stored = store.query("SELECT * FROM every_type").result_columns
    for (name, type_name), values in zip(table.columns, stored, strict=True):
        expected = columns[name]
        if type_name == "Nullable(Bool)":
            assert values == expected
        elif "Float" in type_name:
            assert values == [None if value is None else float(value) for value in expected], name
        elif "DateTime64" in type_name or "UInt128" in type_name or "Map" in type_name:
            continue  # read back as datetimes, UUID-like ints, ...: compared in SQL below
        else:
            assert list(values) == expected, name
    times, hashes = list(SAMPLES).index("DateTime64(9)"), list(SAMPLES).index("UInt128")
    assert query(f"SELECT toUnixTimestamp64Nano(c{times}), toString(c{hashes}) FROM every_type") == [
        (0, "0"), (1_763_856_000_123_456_789, str(2**128 - 1)), (1, "12345678901234567890123456789")]
    index = list(SAMPLES).index("Map(LowCardinality(String), Array(UInt128))")
    assert query(f"SELECT toString(c{index}) FROM every_type") == [("{}",), ("{'input':[1,2]}",), ("{'output':[]}",)]


@pytest.mark.parametrize("distinct", [256, 257, 65_537])
def test_a_dictionary_too_big_for_one_byte_indexes_reads_back(store, query, distinct):
    store.command("CREATE TABLE names (name LowCardinality(String)) ENGINE = MergeTree ORDER BY tuple()")
    values = [f"name-{index % distinct}" for index in range(distinct + 10)]
    block = NativeEncoder(TableLayout.read(store, "names", ["name"])).encode({"name": values})
    store.raw_insert("names", ["name"], insert_block=block.data, fmt="Native")
    assert query("SELECT count(), uniqExact(name), max(name = 'name-9') FROM names") == [(distinct + 10, distinct, 1)]
    assert query("SELECT name FROM names LIMIT 1 OFFSET {offset:UInt32}", offset=distinct + 1) == [("name-1",)]


@pytest.mark.parametrize(("type_name", "value"), [
    ("UInt32", -1), ("UInt32", 2**32), ("UInt64", "12"), ("String", None), ("String", 5),
    ("LowCardinality(String)", ["unhashable"]), ("UInt128", -1), ("Array(String)", 3),
])
def test_a_value_the_type_cannot_hold_is_a_store_error_naming_the_column(type_name, value):
    encoder = NativeEncoder(TableLayout("spans", (("Name", "String"), ("Odd", type_name))))
    with pytest.raises(StoreError, match="cannot encode rows for spans: column Odd: "):
        encoder.encode({"Name": ["fine"], "Odd": [value]})
