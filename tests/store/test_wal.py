"""The write-ahead log: what is appended comes back after a restart until it is checkpointed, torn
tails are cut, damage is contained, inserted segments go, and one process owns a directory."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import threading
import time
import zlib

import pytest

from spanhouse.errors import StoreError
from spanhouse.store.native import NativeBlock
from spanhouse.store.wal import MAGIC, Intent, Record, WriteAheadLog, _decode_records

COLUMNS = ("TraceId", "SpanId")


def block(n: int, rows: int = 1) -> NativeBlock:
    return NativeBlock(f"block {n} ".encode() * 50, rows)


def opened(directory, **options) -> WriteAheadLog:
    log = WriteAheadLog(directory, **options)
    log.open()
    return log


def reopen(directory) -> tuple[list[Record], Intent | None, int, int]:
    log = WriteAheadLog(directory)
    try:
        recovered = log.open()
    finally:
        log.close()
    return recovered.records, recovered.intent, recovered.torn_bytes, recovered.corrupt_segments


def test_what_is_appended_comes_back_in_order_with_its_numbers_and_columns(tmp_path):
    log = opened(tmp_path)
    assert log.append([block(1), block(2, rows=3)], COLUMNS) == 1
    assert log.append([block(3)], ("TraceId",)) == 3
    log.close()
    records, intent, torn, corrupt = reopen(tmp_path)
    assert records == [Record(1, COLUMNS, block(1)), Record(2, COLUMNS, block(2, rows=3)),
                       Record(3, ("TraceId",), block(3))]
    assert (intent, torn, corrupt) == (None, 0, 0)


def test_a_blocks_shape_and_cuts_come_back_so_a_replay_merges_it_as_before(tmp_path):
    mergeable = NativeBlock(b"native bytes", 2, cuts=bytes(range(16)), shape="0123:d|od")
    log = opened(tmp_path)
    log.append([mergeable, block(2)], COLUMNS)
    log.close()
    assert [r.block for r in reopen(tmp_path)[0]] == [mergeable, block(2)]


def test_records_of_the_first_format_still_read(tmp_path):
    # SHW1 (before blocks were merged): the column names, then the block, with no shape or cuts.
    names = json.dumps(list(COLUMNS)).encode()
    payload = struct.pack("<I", len(names)) + names + b"old block"
    crc = zlib.crc32(payload, zlib.crc32(struct.pack("<QI", 1, 4)))
    (tmp_path / f"{1:020}.wal").write_bytes(struct.pack("<4sIIQI", b"SHW1", len(payload), crc, 1, 4) + payload)
    log = opened(tmp_path)
    assert log.append([block(2)], COLUMNS) == 2
    log.close()
    records = reopen(tmp_path)[0]
    assert records == [Record(1, COLUMNS, NativeBlock(b"old block", 4)), Record(2, COLUMNS, block(2))]


def test_what_is_checkpointed_as_inserted_does_not_come_back_and_numbers_keep_rising(tmp_path):
    log = opened(tmp_path)
    log.append([block(1), block(2), block(3)], COLUMNS)
    log.inserted(2)
    log.close()
    assert [r.seq for r in reopen(tmp_path)[0]] == [3]

    log = opened(tmp_path)
    assert log.append([block(4)], COLUMNS) == 4
    log.close()
    assert [r.seq for r in reopen(tmp_path)[0]] == [3, 4]


def test_an_insert_in_flight_comes_back_as_an_intent_with_its_token(tmp_path):
    log = opened(tmp_path)
    log.append([block(1), block(2), block(3)], COLUMNS)
    log.begin_insert(1, 2, "token-7")
    log.close()
    records, intent, _, _ = reopen(tmp_path)
    assert [r.seq for r in records] == [1, 2, 3]
    assert intent == Intent(1, 2, "token-7")


def test_a_restart_repeats_the_interrupted_insert_first_under_its_token_then_groups_the_rest(tmp_path):
    log = opened(tmp_path)
    log.append([block(1, rows=2), block(2, rows=2)], COLUMNS)
    log.append([block(3, rows=2), block(4, rows=2), block(5, rows=2)], COLUMNS)
    log.append([block(6, rows=1)], ("TraceId",))  # another column list: an insert of its own
    log.append([block(7, rows=1)], COLUMNS)
    log.begin_insert(1, 2, "token-7")
    log.close()
    recovered = WriteAheadLog(tmp_path)
    try:
        inserts = [([r.seq for r in records], token) for records, token in recovered.open().inserts(batch_max_spans=4)]
    finally:
        recovered.close()
    assert inserts == [([1, 2], "token-7"), ([3, 4], None), ([5], None), ([6], None), ([7], None)]


def test_an_intent_whose_insert_completed_is_not_returned(tmp_path):
    log = opened(tmp_path)
    log.append([block(1), block(2)], COLUMNS)
    log.begin_insert(1, 1, "token-1")
    log.inserted(1)
    log.close()
    records, intent, _, _ = reopen(tmp_path)
    assert ([r.seq for r in records], intent) == ([2], None)


def test_a_torn_last_record_is_cut_off_and_the_log_goes_on_after_it(tmp_path):
    log = opened(tmp_path)
    log.append([block(1), block(2)], COLUMNS)
    (segment,) = log.segments
    log.close()
    whole = segment.stat().st_size
    with open(segment, "ab") as file:
        file.write(MAGIC + b"\x00\x10")  # the process died in the middle of a header
    records, _, torn, corrupt = reopen(tmp_path)
    assert ([r.seq for r in records], torn, corrupt) == ([1, 2], 6, 0)
    assert segment.stat().st_size == whole

    log = opened(tmp_path)
    assert log.append([block(3)], COLUMNS) == 3
    log.close()
    assert [r.seq for r in reopen(tmp_path)[0]] == [1, 2, 3]


def test_a_record_whose_bytes_changed_is_skipped_and_counted(tmp_path):
    log = opened(tmp_path, segment_bytes=1)  # a segment per append
    for n in (1, 2, 3):
        log.append([block(n), block(n + 10)], COLUMNS)
    _, second, _ = log.segments
    log.close()
    data = bytearray(second.read_bytes())
    data[-5] ^= 0xFF  # inside the payload of the segment's last record: its CRC no longer matches
    second.write_bytes(bytes(data))
    records, _, torn, corrupt = reopen(tmp_path)
    assert [r.seq for r in records] == [1, 2, 3, 5, 6]
    assert (torn, corrupt) == (0, 1)


def test_segments_wholly_inserted_are_deleted(tmp_path):
    log = opened(tmp_path, segment_bytes=1)
    for n in (1, 2, 3):
        log.append([block(n)], COLUMNS)
    assert len(log.segments) == 3
    log.inserted(2)
    assert [p.name for p in log.segments] == [f"{3:020d}.wal"]
    log.inserted(3)
    assert log.segments == [] and list(tmp_path.glob("*.wal")) == []
    assert log.append([block(4)], COLUMNS) == 4  # a new segment, numbered on from the checkpoint
    log.close()
    assert [r.seq for r in reopen(tmp_path)[0]] == [4]


def test_a_refused_block_is_kept_in_rejected(tmp_path):
    log = opened(tmp_path)
    log.append([block(1)], COLUMNS)
    kept = log.reject(Record(1, COLUMNS, block(1)))
    log.inserted(1)
    log.close()
    assert kept == tmp_path / "rejected" / f"{1:020d}.wal"
    assert reopen(kept.parent)[0] == [Record(1, COLUMNS, block(1))]  # the same format: an operator can replay it


def test_a_checkpoint_spanhouse_did_not_write_is_refused_by_name(tmp_path):
    (tmp_path / "checkpoint").write_text(json.dumps({"inserted": "seven"}))
    with pytest.raises(StoreError, match=r"checkpoint .* is not what spanhouse writes"):
        WriteAheadLog(tmp_path).open()


def test_a_second_process_cannot_open_a_log_in_use(tmp_path):
    log = opened(tmp_path)
    try:
        other = subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path; from spanhouse.store.wal import "
             "WriteAheadLog; WriteAheadLog(Path(sys.argv[1])).open()", str(tmp_path)],
            capture_output=True, text=True, timeout=60)
    finally:
        log.close()
    assert other.returncode != 0
    assert "is in use by another spanhouse process" in other.stderr
    assert "SPANHOUSE_WAL_DIR" in other.stderr


def test_with_fsync_the_log_reads_back_the_same(tmp_path):
    log = opened(tmp_path, fsync=True, segment_bytes=1)
    log.append([block(1)], COLUMNS)
    log.append([block(2)], COLUMNS)
    log.begin_insert(1, 1, "token-1")
    log.inserted(1)
    log.close()
    assert reopen(tmp_path)[:2] == ([Record(2, COLUMNS, block(2))], None)


def test_damage_inside_the_last_segment_is_skipped_not_cut_with_the_records_after_it(tmp_path):
    log = opened(tmp_path)
    log.append([block(1), block(2), block(3)], COLUMNS)
    (segment,) = log.segments
    log.close()
    data = bytearray(segment.read_bytes())
    second = data.index(MAGIC, 1)
    data[second + 30] ^= 0xFF  # record 2's bytes: its CRC no longer matches, record 3 after it is whole
    segment.write_bytes(bytes(data))
    records, _, torn, corrupt = reopen(tmp_path)
    assert ([r.seq for r in records], torn, corrupt) == ([1, 3], 0, 1)
    assert segment.stat().st_size == len(data)  # nothing acknowledged after the damage was cut off


def test_appends_and_checkpoints_from_two_threads_never_lose_what_is_not_inserted(tmp_path):
    # The writer's log thread appends while its insert thread checkpoints what it inserted: an
    # acknowledged block must never be only in a segment the checkpoint just deleted.
    log = opened(tmp_path, fsync=True)
    appended: list[int] = []
    failures: list[str] = []
    stop = time.monotonic() + 1.5

    def append() -> None:
        while time.monotonic() < stop:
            try:
                appended.append(log.append([NativeBlock(b"x" * 2000, 1)], COLUMNS))
            except Exception as exc:
                failures.append(repr(exc))

    def checkpoint() -> None:
        while time.monotonic() < stop:
            if appended:
                log.inserted(appended[-1])
                inserted, acknowledged = appended[-1], list(appended)
                on_disk = {r.seq for f in tmp_path.glob("*.wal") for r in _decode_records(f.read_bytes())[0]}
                failures.extend(f"{seq} acknowledged, not inserted, not on disk" for seq in acknowledged
                                if seq > inserted and seq not in on_disk)
            time.sleep(0.0005)

    threads = [threading.Thread(target=append), threading.Thread(target=checkpoint)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    assert failures == []
    inserted = json.loads((tmp_path / "checkpoint").read_text())["inserted"]
    assert [r.seq for r in reopen(tmp_path)[0]] == list(range(inserted + 1, appended[-1] + 1))
