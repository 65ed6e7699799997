"""Native blocks of many requests -> one insert body holding a single block.

Why: ClickHouse pays a fixed cost for every block an insert carries, whatever its rows: about
17 us per column on this machine, ~1.7 ms for one of otel_traces' 79-column blocks
(`python -m benchmarks.native_blocks`). Inserted one block per request, that is ~3 us per span
for the 512-span requests the OpenTelemetry SDK sends by default, and ten times as much for
requests of 50 spans, paid on the one thread that inserts. Joined into one block, it is paid once
per insert.

How: each block records where its columns' parts lie and what kind each part is
(`NativeBlock.cuts`, `NativeBlock.shape`, written by `native.py`). A column of the merged block
is its header once, then each part of every block in turn: data parts (values, strings, NULL
masks, LowCardinality chunks, which ClickHouse reads one after the other) as they are, and
offsets (cumulative within their block) shifted by the elements of the blocks before them.
Blocks that cannot merge (read back from the write-ahead log, or of another shape) follow the
merged block as blocks of their own: an insert body may hold any number of blocks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from itertools import pairwise

import numpy as np

from spanhouse.store.native import NativeBlock, leb128
from spanhouse.store.native_columns import OFFSETS

logger = logging.getLogger(__name__)

HEAD = "h"


def insert_body(blocks: Sequence[NativeBlock]) -> bytes:
    """The Native insert body of `blocks`, with as many of them as can be merged in one block."""
    blocks = [block for block in blocks if block.rows]
    if len(blocks) == 1:
        return blocks[0].data
    mergeable = [_mergeable(block) for block in blocks]
    shape = next((block.shape for block, can in zip(blocks, mergeable, strict=True) if can), "")
    merging = [block for block, can in zip(blocks, mergeable, strict=True) if can and block.shape == shape]
    if len(merging) < 2:
        return b"".join(block.data for block in blocks)
    rest = [block for block, can in zip(blocks, mergeable, strict=True) if not (can and block.shape == shape)]
    try:
        merged = merge(merging)
    except ValueError as exc:  # offsets that are no whole number of UInt64s: cuts that do not fit their data
        logger.error("cannot merge %d Native blocks, inserting them one after the other: %s", len(merging), exc)
        return b"".join(block.data for block in blocks)
    return b"".join([merged, *(block.data for block in rest)])


def merge(blocks: Sequence[NativeBlock]) -> bytes:
    """One Native block holding the rows of `blocks`, which must all have one shape and cuts."""
    kinds = _intervals(blocks[0].shape)
    # Every block cut at its cuts, then turned around: per interval, that interval of each block.
    by_interval = zip(*[_cut(block) for block in blocks], strict=True)
    header = bytearray()
    leb128(kinds.count(HEAD), header)
    leb128(sum(block.rows for block in blocks), header)
    pieces: list[bytes | bytearray] = [header]
    for kind, interval in zip(kinds, by_interval, strict=True):
        if kind == HEAD:
            pieces.append(interval[0])  # a column's name, type and serialisation prefix, once
        elif kind == OFFSETS:
            pieces.append(_shifted(interval))
        else:
            pieces.extend(interval)
    return b"".join(pieces)


def _cut(block: NativeBlock) -> list[bytes]:
    # Slices of bytes are copies, but small ones: a memoryview slice costs ten times as much.
    data, cuts = block.data, memoryview(block.cuts).cast("q").tolist()
    return [data[start:end] for start, end in pairwise(cuts)]


def _shifted(interval: tuple[bytes, ...]) -> bytes:
    """Each block's offsets of one part, shifted by the elements of the blocks before it."""
    offsets = np.frombuffer(b"".join(interval), dtype="<u8")
    if not offsets.size:
        return b""  # no row holds an element: an Array of Arrays whose outer arrays are all empty
    counts = np.fromiter(map(len, interval), dtype=np.int64, count=len(interval)) // 8
    # A block's elements are its last offset (none when it has no offsets here).
    ends = np.cumsum(counts)
    elements = np.where(counts > 0, offsets[np.maximum(ends - 1, 0)], np.uint64(0))
    before = np.concatenate((np.zeros(1, dtype=np.uint64), np.cumsum(elements, dtype=np.uint64)[:-1]))
    return (offsets + np.repeat(before, counts)).tobytes()


def _mergeable(block: NativeBlock) -> bool:
    """Whether the block has cuts, as many as its shape has intervals, rising to the end of its data."""
    if not block.shape or len(block.cuts) != 8 * (len(_intervals(block.shape)) + 1):
        return False
    cuts = np.frombuffer(block.cuts, dtype="<i8")
    return int(cuts[-1]) == len(block.data) and bool(np.all(cuts[1:] >= cuts[:-1]))


@cache
def _intervals(shape: str) -> tuple[str, ...]:
    """What lies between each pair of a block's cuts: a column's HEAD, then the kind of each of its parts."""
    kinds: list[str] = []
    for parts in shape.partition(":")[2].split("|"):
        kinds += [HEAD, *parts]
    return tuple(kinds)
