"""BatchWriter with its write-ahead log: a block is answered once logged; an idle writer inserts it at
once, blocks arriving during an insert wait for company within the interval; a reader waiting on the
watermark sees what was acknowledged and ends the linger; a start inserts what the log kept, repeating
an interrupted insert under its token; a store that fails keeps logged blocks and refuses new ones."""

from __future__ import annotations

import asyncio
import time

import pytest
from clickhouse_connect.driver.exceptions import OperationalError

from spanhouse.app import INSERT_COLUMNS
from spanhouse.errors import StoreUnavailable
from spanhouse.store.native import NativeBlock
from spanhouse.store.native_merge import insert_body
from spanhouse.store.wal import WriteAheadLog
from spanhouse.store.watermark import caught_up
from spanhouse.store.writer import BatchWriter
from tests.store.test_writer import GatedClient, batch_of, writer

SPANS = "SELECT count() FROM otel_traces"


def logged_writer(store, directory, client=None, **options) -> BatchWriter:
    return writer(store, client=client, wal=WriteAheadLog(directory), **options)


def first_insert_held(w: BatchWriter, gated: GatedClient) -> None:
    """A block of trace 1 acknowledged, and its insert started and held at the gate."""
    w.submit(batch_of(1, trace=1)).result(timeout=20)
    assert gated.inserting.wait(20)


def eventually(check, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)


def test_a_block_is_answered_once_logged_and_an_idle_writer_inserts_it_without_lingering(
        store, query, tmp_path):
    gated = GatedClient(store)
    with logged_writer(store, tmp_path, client=gated, flush_interval_s=60) as w:
        w.submit(batch_of(3)).result(timeout=20)  # answered while its insert is still held at the gate
        assert w.logged_blocks == 1 and len(list(tmp_path.glob("*.wal"))) == 1
        assert gated.inserting.wait(20)  # started at once, not 60 s later
        assert query(SPANS) == [(0,)]
        gated.gate.set()
        eventually(lambda: query(SPANS) == [(3,)])
        eventually(lambda: list(tmp_path.glob("*.wal")) == [])  # inserted: the segment is gone


def test_a_block_arriving_during_an_insert_is_answered_once_logged_and_inserted_within_the_interval(
        store, query, tmp_path):
    gated = GatedClient(store)
    with logged_writer(store, tmp_path, client=gated, flush_interval_s=0.3) as w:
        first_insert_held(w, gated)
        w.submit(batch_of(2, trace=2)).result(timeout=20)  # answered while the insert before it is held
        assert w.logged_blocks == 2
        gated.gate.set()
        eventually(lambda: w.inserts == 2)
        assert query(SPANS) == [(3,)]


def test_a_reader_waiting_on_the_watermark_sees_every_acknowledged_block_and_ends_the_linger(
        store, query, tmp_path):
    gated = GatedClient(store)
    with logged_writer(store, tmp_path, client=gated, flush_interval_s=60) as w:
        first_insert_held(w, gated)
        for trace in (2, 3):
            w.submit(batch_of(2, trace=trace)).result(timeout=20)  # would linger for 60 s

        async def read_after_ack() -> tuple[bool, float]:
            reading = asyncio.ensure_future(caught_up([w.watermark], timeout_s=30))
            await asyncio.sleep(0.2)
            assert not reading.done()  # the first insert is still held at the gate
            gated.gate.set()
            started = time.monotonic()
            return await reading, time.monotonic() - started

        reached, waited_s = asyncio.run(read_after_ack())
        assert reached and waited_s < 20
        assert query(SPANS) == [(5,)]
        assert w.inserts == 2


def test_a_reader_waits_no_longer_than_its_bound_and_not_at_all_when_nothing_is_outstanding(store, tmp_path):
    gated = GatedClient(store)
    with logged_writer(store, tmp_path, client=gated) as w:
        assert asyncio.run(caught_up([w.watermark], timeout_s=0)) is True  # nothing accepted yet
        w.submit(batch_of(1)).result(timeout=20)
        assert gated.inserting.wait(20)
        started = time.monotonic()
        assert asyncio.run(caught_up([w.watermark], timeout_s=0.2)) is False
        assert time.monotonic() - started < 5
        assert asyncio.run(caught_up([w.watermark], timeout_s=0)) is False
        gated.gate.set()
        assert asyncio.run(caught_up([w.watermark], timeout_s=30)) is True


def test_blocks_arriving_during_an_insert_wait_for_company_but_never_longer_than_the_interval(
        store, query, tmp_path):
    gated = GatedClient(store)
    with logged_writer(store, tmp_path, client=gated, flush_interval_s=0.5) as w:
        w.submit(batch_of(1, trace=1))
        assert gated.inserting.wait(20)
        for trace in range(2, 12):
            w.submit(batch_of(2, trace=trace)).result(timeout=20)
        gated.gate.set()
        eventually(lambda: w.inserted_spans == 21)
        assert w.inserts == 2  # the ten logged blocks shared one insert
        assert query(SPANS) == [(21,)]


def test_a_start_inserts_what_the_log_kept_before_taking_anything_new(store, query, tmp_path):
    writer(store)  # not started: it reads the table's layout, which batch_of encodes with
    log = WriteAheadLog(tmp_path)
    log.open()
    log.append([batch_of(2, trace=1), batch_of(3, trace=2)], INSERT_COLUMNS)
    log.close()  # as if the process had died with both blocks acknowledged and not inserted

    with logged_writer(store, tmp_path) as w:
        assert query(SPANS) == [(5,)]  # on entering, before any submit
        w.submit(batch_of(1, trace=3)).result(timeout=20)
    assert query("SELECT count(), uniqExact(TraceId) FROM otel_traces") == [(6, 3)]
    assert list(tmp_path.glob("*.wal")) == []


def test_an_insert_interrupted_after_it_committed_is_repeated_under_its_token_and_stored_once(
        store, query, tmp_path):
    writer(store)  # as above
    blocks = [batch_of(2, trace=1), batch_of(3, trace=2)]
    log = WriteAheadLog(tmp_path)
    log.open()
    log.append(blocks, INSERT_COLUMNS)
    log.begin_insert(1, 2, "token-of-the-interrupted-insert")
    # The insert ran and committed, its blocks merged into one as the writer merges them; the
    # process died before it could move the checkpoint.
    assert insert_body(blocks) != b"".join(block.data for block in blocks)
    store.raw_insert("otel_traces", list(INSERT_COLUMNS), insert_block=insert_body(blocks), fmt="Native",
                     settings={"deduplicate_blocks_in_dependent_materialized_views": 1,
                               "insert_deduplication_token": "token-of-the-interrupted-insert"})
    log.close()

    with logged_writer(store, tmp_path):
        pass
    assert query(SPANS) == [(5,)]
    assert query("SELECT count() FROM otel_traces_trace_id_ts") == [(2,)]  # the views' targets too


class FailingClient:
    """The real store client, whose next `failures` inserts fail as a refused connection does."""

    def __init__(self, client, failures: int) -> None:
        self._client = client
        self.failures = failures

    def raw_insert(self, *args, **kwargs):
        if self.failures:
            self.failures -= 1
            raise OperationalError("[Errno 111] Connection refused")
        return self._client.raw_insert(*args, **kwargs)


def refuses(w: BatchWriter) -> bool:
    try:
        w.check_room()
    except StoreUnavailable:
        return True
    return False


def test_while_the_store_fails_logged_blocks_are_retried_and_new_ones_refused(store, query, tmp_path):
    # 5 failures: 0.1 + 0.2 + ... + 1.6 s of retries, far past the deadline, which logged blocks ignore
    gated = GatedClient(FailingClient(store, failures=5))
    with logged_writer(store, tmp_path, client=gated, flush_interval_s=0, retry_deadline_s=0.05) as w:
        first_insert_held(w, gated)
        w.submit(batch_of(2, trace=2)).result(timeout=20)
        gated.gate.set()
        eventually(lambda: refuses(w))
        with pytest.raises(StoreUnavailable, match="Connection refused"):
            w.submit(batch_of(1, trace=3))  # refused, not logged, while the logged blocks wait for the store
        eventually(lambda: not refuses(w))  # the logged blocks are in, once the store answered again
        eventually(lambda: query(SPANS) == [(3,)])
        w.submit(batch_of(1, trace=4)).result(timeout=20)
    assert query("SELECT count(), uniqExact(TraceId) FROM otel_traces") == [(4, 3)]


def test_a_logged_block_clickhouse_refuses_is_kept_in_rejected_and_the_rest_stored(store, query, tmp_path):
    gated = GatedClient(store)
    with logged_writer(store, tmp_path, client=gated, flush_interval_s=0.3) as w:
        w.submit(batch_of(1, trace=1))
        assert gated.inserting.wait(20)
        for block in (batch_of(2, trace=2), NativeBlock(b"not a Native block", 1), batch_of(2, trace=3)):
            w.submit(block).result(timeout=20)  # all three acknowledged from the log
        gated.gate.set()
        eventually(lambda: query(SPANS) == [(5,)])
    (kept,) = (tmp_path / "rejected").iterdir()
    assert b"not a Native block" in kept.read_bytes()


def test_closing_while_the_store_is_down_keeps_logged_blocks_for_the_next_start(store, query, tmp_path):
    gated = GatedClient(FailingClient(store, failures=1000))
    w = logged_writer(store, tmp_path, client=gated, flush_interval_s=0, retry_deadline_s=60).__enter__()
    first_insert_held(w, gated)
    for trace in (2, 3):
        w.submit(batch_of(2, trace=trace)).result(timeout=20)  # acknowledged from the log
    gated.gate.set()
    started = time.monotonic()
    w.close()
    assert time.monotonic() - started < 15  # the retry backoff ends at close, not at the deadline
    assert query(SPANS) == [(0,)]

    with logged_writer(store, tmp_path):  # the store is back: the start inserts what the log kept
        assert query("SELECT count(), uniqExact(TraceId) FROM otel_traces") == [(5, 3)]
