"""Merging Native blocks: one block that ClickHouse reads as the rows of all of them, or the blocks as they were."""

from __future__ import annotations

import numpy as np
import pytest

from spanhouse.store.native import NativeBlock, NativeEncoder, TableLayout
from spanhouse.store.native_merge import _intervals, insert_body, merge
from tests.store.test_native_columns import SAMPLES

# Every type spanhouse writes itself (the last SAMPLES entry is written by clickhouse-connect).
MERGEABLE = [type_name for type_name in SAMPLES if type_name != "LowCardinality(Nullable(String))"]
READ_BACK = ", ".join(f"toString(c{index})" for index in range(len(MERGEABLE)))


def column_values(rows: int, seed: int) -> dict[str, list]:
    """`rows` rows of every mergeable type: SAMPLES' values in an order of their own per seed."""
    return {f"c{index}": [SAMPLES[type_name][(row * 7 + seed) % len(SAMPLES[type_name])] for row in range(rows)]
            for index, type_name in enumerate(MERGEABLE)}


@pytest.fixture
def layout(store):
    columns = ", ".join(f"c{index} {type_name}" for index, type_name in enumerate(MERGEABLE))
    for table in ("merged", "apart"):
        store.command(f"CREATE TABLE {table} (n UInt32, {columns}) ENGINE = MergeTree ORDER BY n")
    return TableLayout.read(store, "merged", ["n", *(f"c{index}" for index in range(len(MERGEABLE)))])


def blocks_of(layout: TableLayout, sizes: list[int]) -> list[NativeBlock]:
    encoder = NativeEncoder(layout)
    blocks, first = [], 0
    for seed, rows in enumerate(sizes):
        blocks.append(encoder.encode({"n": list(range(first, first + rows)), **column_values(rows, seed)}))
        first += rows
    return blocks


@pytest.mark.parametrize("sizes", [[1, 1], [3, 5, 2], [40, 1, 17, 300]])
def test_a_merged_block_reads_back_as_its_blocks_inserted_apart(store, query, layout, sizes):
    blocks = blocks_of(layout, sizes)
    store.raw_insert("merged", list(layout.names), insert_block=merge(blocks), fmt="Native")
    store.raw_insert("apart", list(layout.names), insert_block=b"".join(block.data for block in blocks), fmt="Native")
    merged = query(f"SELECT n, {READ_BACK} FROM merged ORDER BY n")
    assert len(merged) == sum(sizes)
    assert merged == query(f"SELECT n, {READ_BACK} FROM apart ORDER BY n")


def test_merging_yields_one_block_with_every_row(layout):
    blocks = blocks_of(layout, [3, 4])
    body = merge(blocks)
    assert body[:2] == bytes([len(layout.columns), 7])  # column count, row count: one block header
    assert body != b"".join(block.data for block in blocks)


def test_offsets_of_later_blocks_count_the_elements_before_them(store, query):
    store.command("CREATE TABLE lists (n UInt32, tags Array(String), attrs Array(Map(LowCardinality(String), String)))"
                  " ENGINE = MergeTree ORDER BY n")
    encoder = NativeEncoder(TableLayout.read(store, "lists", ["n", "tags", "attrs"]))
    first = encoder.encode({"n": [0, 1], "tags": [["a", "b"], []], "attrs": [[{"k": "1"}, {}], []]})
    empty = encoder.encode({"n": [2], "tags": [[]], "attrs": [[]]})  # no elements at all: nothing to shift
    last = encoder.encode({"n": [3], "tags": [["c"]], "attrs": [[{"k": "2", "j": "3"}]]})
    store.raw_insert("lists", ["n", "tags", "attrs"], insert_block=merge([first, empty, last]), fmt="Native")
    assert query("SELECT n, tags, toString(attrs) FROM lists ORDER BY n") == [
        (0, ["a", "b"], "[{'k':'1'},{}]"), (1, [], "[]"), (2, [], "[]"), (3, ["c"], "[{'k':'2','j':'3'}]")]


def test_blocks_that_cannot_merge_follow_the_merged_block(store, query, layout):
    blocks = blocks_of(layout, [2, 3, 4])
    from_the_log = NativeBlock(blocks[1].data, blocks[1].rows)  # the write-ahead log keeps no cuts
    body = insert_body([blocks[0], from_the_log, blocks[2], NativeBlock(b"", 0)])
    assert body.endswith(from_the_log.data)
    store.raw_insert("merged", list(layout.names), insert_block=body, fmt="Native")
    assert query("SELECT count(), uniqExact(n) FROM merged") == [(9, 9)]


def test_a_single_block_is_inserted_as_it_is(layout):
    block = blocks_of(layout, [5])[0]
    assert insert_body([block]) is block.data


def test_a_table_with_a_type_written_by_clickhouse_connect_is_not_merged():
    encoder = NativeEncoder(TableLayout("t", (("a", "String"), ("b", "LowCardinality(Nullable(String))"))))
    blocks = [encoder.encode({"a": ["x"], "b": [None]}), encoder.encode({"a": ["y"], "b": ["z"]})]
    assert not blocks[0].cuts
    assert insert_body(blocks) == blocks[0].data + blocks[1].data


def test_blocks_of_another_layout_are_not_merged_with_each_other(layout):
    other = NativeEncoder(TableLayout("t", (("n", "UInt32"),))).encode({"n": [1]})
    blocks = blocks_of(layout, [2, 3])
    body = insert_body([blocks[0], other, blocks[1]])
    assert body == merge(blocks) + other.data


def damaged(block: NativeBlock, cut: int, position: int) -> NativeBlock:
    cuts = bytearray(block.cuts)
    cuts[8 * cut:8 * cut + 8] = position.to_bytes(8, "little", signed=True)
    return NativeBlock(block.data, block.rows, bytes(cuts), block.shape)


@pytest.mark.parametrize(("cut", "position"), [
    (-1, -1),  # the last part does not end at the end of the data
    (5, 0),  # a part ends before it starts
])
def test_blocks_whose_cuts_do_not_fit_their_data_are_sent_as_they_are(store, query, layout, cut, position):
    first, second, third = blocks_of(layout, [2, 3, 4])
    bad = damaged(second, cut, position if position >= 0 else len(second.data) - 3)
    body = insert_body([first, bad, third])
    assert body == merge([first, third]) + bad.data
    store.raw_insert("merged", list(layout.names), insert_block=body, fmt="Native")
    assert query("SELECT count(), uniqExact(n) FROM merged") == [(9, 9)]


def test_offsets_that_are_no_whole_number_of_uint64s_send_the_blocks_as_they_are(layout):
    first, second = blocks_of(layout, [2, 3])
    offsets = _intervals(second.shape).index("o") + 1  # the cut ending the first offsets part
    cuts = np.frombuffer(second.cuts, dtype="<i8")
    bad = damaged(second, offsets, int(cuts[offsets]) - 3)  # 3 bytes of it go to the next part
    assert insert_body([first, bad]) == first.data + bad.data
