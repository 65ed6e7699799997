"""The write-ahead log: an export under load is durable once its block is appended here.

Why: a ClickHouse insert has a large fixed cost (a part per table and per view target, then the
merges that fold them together): ~150 us of CPU per span at 500 rows, ~30 at 30,000
(`make bench-inserts`). When every acknowledgement waits for an insert, inserts are as small as
the requests in flight. With the log, an export that arrives while an insert runs is appended
here and acknowledged at once, and the writer inserts what piled up in one large insert later.

Contract:
  * `append` returns once the blocks are in the file (and on disk when `fsync` is set): after
    that they survive `kill -9` of the process (the page cache holds them); `fsync` makes them
    survive a power cut too.
  * Every block gets a sequence number, increasing across restarts. The checkpoint holds the
    last one inserted into ClickHouse; `open` returns every block after it, and the insert that
    was in flight when the process stopped (`Intent`: its blocks and its deduplication token) so
    the writer can repeat it exactly and ClickHouse drops it if it had committed.
  * A torn record at the end of the last segment (the process died mid-write) is cut off; it was
    never acknowledged. A bad record anywhere else is corruption: logged, and the rest of that
    segment skipped.
  * Segments wholly inserted are deleted, so the log holds about what the writer's queue holds.
  * Blocks ClickHouse refuses (never expected: the encoder checks rows first) are moved to
    `rejected/` beside the segments, not dropped: an acknowledged span is kept for an operator.
  * One process per directory (a lock file): two writers appending to one log would corrupt it.

Files in the directory: `<first sequence number>.wal` segments, `checkpoint` (JSON), `lock`, and
`rejected/<sequence number>.wal`. A record is a header (magic, payload length, CRC-32, sequence
number, rows) and a payload: the insert's column names as JSON, the block's shape and cuts, then
the Native block. The shape and cuts (`native_merge.py`) are kept so that a restart repeats an
interrupted insert with the very body it had: ClickHouse drops a repeat under the same token only
when its blocks are the same, and a merged block is not the blocks it was made of. Records of
the first format (magic SHW1, no shape and cuts: written before blocks were merged) still read.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import struct
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from spanhouse.errors import StoreError
from spanhouse.store.native import NativeBlock

logger = logging.getLogger(__name__)

MAGIC = b"SHW2"
MAGIC_V1 = b"SHW1"
_HEADER = struct.Struct("<4sIIQI")  # magic, payload length, crc32(seq, rows, payload), seq, rows
_COLUMNS = struct.Struct("<I")  # length of the column names' JSON at the start of the payload
_MERGE = struct.Struct("<II")  # after the names (SHW2): lengths of the block's shape and cuts
SEGMENT_BYTES = 64 * 1024 * 1024
_SUFFIX = ".wal"


@dataclass(frozen=True, slots=True)
class Record:
    seq: int
    columns: tuple[str, ...]
    block: NativeBlock


@dataclass(frozen=True, slots=True)
class Intent:
    """The insert that was in flight: blocks `first`..`last` under deduplication token `token`."""

    first: int
    last: int
    token: str


@dataclass(frozen=True, slots=True)
class Recovered:
    records: list[Record]
    intent: Intent | None
    torn_bytes: int  # cut from the end of the last segment: a write the process did not finish
    corrupt_segments: int

    def inserts(self, batch_max_spans: int) -> Iterator[tuple[list[Record], str | None]]:
        """The inserts that put back what was logged and not inserted, each with its token (None: a new one).

        The insert that was under way comes first, under the token its intent recorded, with the
        very blocks it had; the rest follow in log order, grouped up to `batch_max_spans` spans
        of one column list.
        """
        start = 0
        if self.intent is not None:
            last = self.intent.last
            start = next((i for i, r in enumerate(self.records) if r.seq > last), len(self.records))
            if start:
                yield self.records[:start], self.intent.token
        group: list[Record] = []
        for record in self.records[start:]:
            if group and (record.columns != group[0].columns
                          or sum(r.block.rows for r in group) + record.block.rows > batch_max_spans):
                yield group, None
                group = []
            group.append(record)
        if group:
            yield group, None


def encode_record(seq: int, columns_json: bytes, block: NativeBlock) -> bytes:
    shape = block.shape.encode()
    payload_head = b"".join((_COLUMNS.pack(len(columns_json)), columns_json,
                             _MERGE.pack(len(shape), len(block.cuts)), shape, block.cuts))
    crc = zlib.crc32(block.data, zlib.crc32(payload_head, zlib.crc32(struct.pack("<QI", seq, block.rows))))
    return b"".join((_HEADER.pack(MAGIC, len(payload_head) + len(block.data), crc, seq, block.rows),
                     payload_head, block.data))


def _decode_records(data: bytes, offset: int = 0, most: int | None = None) -> tuple[list[Record], int]:
    """The whole records from `offset` on (at most `most`), and the offset after the last of them."""
    records: list[Record] = []
    view = memoryview(data)
    while offset + _HEADER.size <= len(data) and (most is None or len(records) < most):
        magic, length, crc, seq, rows = _HEADER.unpack_from(data, offset)
        end = offset + _HEADER.size + length
        if magic not in (MAGIC, MAGIC_V1) or end > len(data) or length < _COLUMNS.size:
            break
        payload = view[offset + _HEADER.size:end]
        if zlib.crc32(payload, zlib.crc32(struct.pack("<QI", seq, rows))) != crc:
            break
        (names_length,) = _COLUMNS.unpack_from(payload)
        at = _COLUMNS.size + names_length
        if at > length:
            break
        try:
            columns = tuple(json.loads(bytes(payload[_COLUMNS.size:at])))
            shape, cuts = "", b""
            if magic == MAGIC:
                shape_length, cuts_length = _MERGE.unpack_from(payload, at)
                at += _MERGE.size
                shape = bytes(payload[at:at + shape_length]).decode()
                cuts = bytes(payload[at + shape_length:at + shape_length + cuts_length])
                at += shape_length + cuts_length
        except (ValueError, struct.error):  # a CRC-valid record that is not ours: UnicodeDecodeError is a ValueError
            break
        if at > length:
            break
        records.append(Record(seq, columns, NativeBlock(bytes(payload[at:]), rows, cuts, shape)))
        offset = end
    return records, offset


def _next_record(data: bytes, start: int) -> int | None:
    """Where the next whole record begins at or after `start`, or None."""
    at = _find_magic(data, start)
    while at >= 0:
        if _decode_records(data, at, most=1)[0]:
            return at
        at = _find_magic(data, at + 1)
    return None


def _find_magic(data: bytes, start: int) -> int:
    found = [at for at in (data.find(MAGIC, start), data.find(MAGIC_V1, start)) if at >= 0]
    return min(found, default=-1)


class WriteAheadLog:
    """Segments of records in one directory. Thread-safe: the writer's log thread appends while its
    insert thread moves the checkpoint, and one lock keeps the segment being appended to, its
    descriptor and the sequence numbers consistent between them."""

    def __init__(self, directory: Path, *, fsync: bool = False, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = directory
        self._fsync = fsync
        self._segment_bytes = segment_bytes
        self._segments: list[tuple[int, Path]] = []  # (first seq, path), oldest first
        self._file: int | None = None  # descriptor of the segment being appended to
        self._file_bytes = 0
        self._lock: int | None = None
        self._next_seq = 1
        self._inserted = 0
        self._mutex = threading.Lock()

    # -- opening ---------------------------------------------------------------------------
    def open(self) -> Recovered:
        """Lock the directory and read back what was logged and not inserted.

        Raises:
            StoreError: another process holds the log, or it cannot be read.
        """
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock = os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot open the write-ahead log {self.directory}: {exc.strerror}") from exc
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self._lock)
            self._lock = None
            if exc.errno in (errno.EWOULDBLOCK, errno.EACCES):
                raise StoreError(f"the write-ahead log {self.directory} is in use by another spanhouse process; "
                                 f"stop it, or give this one its own SPANHOUSE_WAL_DIR") from exc
            raise StoreError(f"cannot lock the write-ahead log {self.directory}: {exc.strerror}") from exc
        try:
            self._inserted, intent = self._read_checkpoint()
            records, torn, corrupt = self._read_segments()
        except Exception:
            self.close()
            raise
        pending = [record for record in records if record.seq > self._inserted]
        last_seq = max([self._inserted, *(record.seq for record in records)])
        self._next_seq = last_seq + 1
        if intent is not None and not (pending and intent.first == pending[0].seq):
            intent = None  # it completed (the checkpoint moved past it) or its blocks are gone
        self._delete_inserted_segments()
        return Recovered(pending, intent, torn, corrupt)

    def _read_checkpoint(self) -> tuple[int, Intent | None]:
        """The last sequence number inserted, and the insert that was in flight."""
        path = self.directory / "checkpoint"
        try:
            value = json.loads(path.read_bytes())
        except FileNotFoundError:
            return 0, None
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read the write-ahead log checkpoint {path}: {exc}") from exc
        match value:
            case {"inserted": int(inserted), "inserting": [int(first), int(last)], "token": str(token)}:
                return inserted, Intent(first, last, token)
            case {"inserted": int(inserted)}:
                return inserted, None
        raise StoreError(f"the write-ahead log checkpoint {path} is not what spanhouse writes: {value!r:.200}")

    def _read_segments(self) -> tuple[list[Record], int, int]:
        paths = sorted(self.directory.glob(f"*{_SUFFIX}"), key=lambda path: path.name)
        records: list[Record] = []
        torn = corrupt = 0
        for index, path in enumerate(paths):
            try:
                first = int(path.stem)
            except ValueError:
                continue
            self._segments.append((first, path))
            data = path.read_bytes()
            found, good = _decode_records(data)
            records.extend(found)
            while good < len(data):
                resume = _next_record(data, good + 1)
                if resume is None and index == len(paths) - 1:
                    # Nothing whole follows: the process died in the middle of this write, which
                    # was never acknowledged. Appends go on from here.
                    torn = len(data) - good
                    with open(path, "r+b") as file:
                        file.truncate(good)
                    logger.warning("write-ahead log %s: cut %d bytes of an unfinished write at its end", path, torn)
                    break
                corrupt += 1
                skipped_to = len(data) if resume is None else resume
                logger.error("write-ahead log %s is damaged: bytes %d to %d skipped", path, good, skipped_to)
                if resume is None:
                    break
                found, good = _decode_records(data, resume)
                records.extend(found)
        return records, torn, corrupt

    # -- appending -------------------------------------------------------------------------
    def append(self, blocks: Sequence[NativeBlock], columns: Sequence[str]) -> int:
        """Log `blocks` (inserted later into `columns`) in one write; returns the first one's sequence number.

        Raises:
            OSError: the write failed (disk full, I/O error); nothing of it counts as logged.
        """
        columns_json = json.dumps(list(columns)).encode()
        with self._mutex:
            if self._lock is None:
                raise RuntimeError("the write-ahead log is not open")
            return self._append(blocks, columns_json)

    def _append(self, blocks: Sequence[NativeBlock], columns_json: bytes) -> int:
        first = self._next_seq
        data = b"".join(encode_record(first + index, columns_json, block) for index, block in enumerate(blocks))
        if self._file is None or self._file_bytes >= self._segment_bytes:
            self._start_segment(first)
        assert self._file is not None
        try:
            written = os.write(self._file, data)
            while written < len(data):
                written += os.write(self._file, data[written:])
            if self._fsync:
                os.fsync(self._file)
        except OSError:
            # A partial record must not stay in front of the next one.
            os.ftruncate(self._file, self._file_bytes)
            os.lseek(self._file, self._file_bytes, os.SEEK_SET)
            raise
        self._file_bytes += len(data)
        self._next_seq = first + len(blocks)
        return first

    def _start_segment(self, first: int) -> None:
        if self._file is not None:
            os.close(self._file)
            self._file = None  # a failed open below must not leave a closed number to close again
        path = self.directory / f"{first:020d}{_SUFFIX}"
        self._file = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._file_bytes = os.fstat(self._file).st_size
        if not self._segments or self._segments[-1][1] != path:  # an empty segment a crash left is reused
            self._segments.append((first, path))
        if self._fsync:
            self._sync_directory()

    # -- the writer's progress ---------------------------------------------------------------
    def begin_insert(self, first: int, last: int, token: str) -> None:
        """Record the insert about to run, so a restart repeats it with the same token."""
        with self._mutex:
            self._write_checkpoint({"inserted": self._inserted, "inserting": [first, last], "token": token})

    def inserted(self, last: int) -> None:
        """Blocks up to `last` are in ClickHouse (or rejected): never replayed again."""
        with self._mutex:
            self._inserted = max(self._inserted, last)
            self._write_checkpoint({"inserted": self._inserted})
            self._delete_inserted_segments()

    def reject(self, record: Record) -> Path:
        """Keep a block ClickHouse refused in `rejected/`; returns its file."""
        folder = self.directory / "rejected"
        folder.mkdir(exist_ok=True)
        path = folder / f"{record.seq:020d}{_SUFFIX}"
        path.write_bytes(encode_record(record.seq, json.dumps(list(record.columns)).encode(), record.block))
        return path

    def _write_checkpoint(self, value: dict[str, object]) -> None:
        path = self.directory / "checkpoint"
        temporary = path.with_suffix(".tmp")
        with open(temporary, "wb") as file:
            file.write(json.dumps(value).encode())
            if self._fsync:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, path)
        if self._fsync:
            self._sync_directory()

    def _delete_inserted_segments(self) -> None:
        # Segment i holds sequence numbers from its first to the next segment's first - 1 (the
        # last one: to the last appended). Once all are inserted it goes; the segment being
        # appended to is closed first, and the next append starts a new one.
        keep: list[tuple[int, Path]] = []
        for index, (first, path) in enumerate(self._segments):
            last = self._segments[index + 1][0] - 1 if index + 1 < len(self._segments) else self._next_seq - 1
            if last > self._inserted:
                keep.append((first, path))
                continue
            if index == len(self._segments) - 1 and self._file is not None:
                os.close(self._file)
                self._file = None
                self._file_bytes = 0
            path.unlink(missing_ok=True)
        self._segments = keep

    def _sync_directory(self) -> None:
        descriptor = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    # -- closing ---------------------------------------------------------------------------
    def close(self) -> None:
        with self._mutex:
            if self._file is not None:
                os.close(self._file)
                self._file = None
            if self._lock is not None:
                os.close(self._lock)  # closing the descriptor releases the flock
                self._lock = None

    @property
    def segments(self) -> list[Path]:
        with self._mutex:
            return [path for _, path in self._segments]
