"""BatchWriter with its write-ahead log: an idle writer answers once the rows are queryable; a block
arriving during an insert is answered once logged and inserted within the interval; a start inserts
what the log kept, repeating an interrupted insert under its token; a store that fails keeps
logged blocks and refuses new ones."""

from __future__ import annotations

import time

import pytest
from clickhouse_connect.driver.exceptions import OperationalError

from spanhouse.app import INSERT_COLUMNS
from spanhouse.errors import StoreUnavailable
from spanhouse.store.native import NativeBlock
from spanhouse.store.native_merge import insert_body
from spanhouse.store.wal import WriteAheadLog
from spanhouse.store.writer import BatchWriter
from tests.store.test_writer import GatedClient, batch_of, writer

SPANS = "SELECT count() FROM otel_traces"


def logged_writer(store, directory, client=None, **options) -> BatchWriter:
    return writer(store, client=client, wal=WriteAheadLog(directory), **options)


def eventually(check, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)


def test_a_block_reaching_an_idle_writer_is_answered_once_its_rows_are_queryable(store, query, tmp_path):
    with logged_writer(store, tmp_path) as w:
        w.submit(batch_of(3)).result(timeout=20)
        assert query(SPANS) == [(3,)]
        assert w.logged_blocks == 0  # nothing to log: the insert itself made it durable
    assert list(tmp_path.glob("*.wal")) == []


def test_a_block_arriving_during_an_insert_is_answered_once_logged_and_inserted_within_the_interval(
        store, query, tmp_path):
    gated = GatedClient(store)
    with logged_writer(store, tmp_path, client=gated, flush_interval_s=0.3) as w:
        first = w.submit(batch_of(1, trace=1))
        assert gated.inserting.wait(20)
        during = w.submit(batch_of(2, trace=2))
        during.result(timeout=20)  # answered while the insert before it is still held at the gate
        assert not first.done()
        assert w.logged_blocks == 1 and len(list(tmp_path.glob("*.wal"))) == 1
        gated.gate.set()
        first.result(timeout=20)
        eventually(lambda: w.inserts == 2)
        assert query(SPANS) == [(3,)]
        eventually(lambda: list(tmp_path.glob("*.wal")) == [])  # inserted: the segment is gone


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
    # 1 failure for the waiting block, then 5 for the logged one: 0.1 + 0.2 + ... + 1.6 s of retries
    gated = GatedClient(FailingClient(store, failures=6))
    with logged_writer(store, tmp_path, client=gated, flush_interval_s=0, retry_deadline_s=0.05) as w:
        waiting = w.submit(batch_of(1, trace=1))  # an idle writer: its client waits on the insert
        assert gated.inserting.wait(20)
        logged = w.submit(batch_of(2, trace=2))
        logged.result(timeout=20)
        gated.gate.set()
        with pytest.raises(StoreUnavailable):
            waiting.result(timeout=20)  # past the deadline its client is told, and will retry
        eventually(lambda: refuses(w))
        with pytest.raises(StoreUnavailable, match="Connection refused"):
            w.submit(batch_of(1, trace=3))  # refused, not logged, while the logged block waits for the store
        eventually(lambda: not refuses(w))  # the logged block is in, once the store answered again
        assert query(SPANS) == [(2,)]
        w.submit(batch_of(1, trace=4)).result(timeout=20)
    assert query("SELECT count(), uniqExact(TraceId) FROM otel_traces") == [(3, 2)]


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
    waiting = w.submit(batch_of(1, trace=1))
    assert gated.inserting.wait(20)
    for trace in (2, 3):
        w.submit(batch_of(2, trace=trace)).result(timeout=20)  # acknowledged from the log
    gated.gate.set()
    started = time.monotonic()
    w.close()
    assert time.monotonic() - started < 15  # the retry backoff ends at close, not at the deadline
    with pytest.raises(StoreUnavailable):
        waiting.result(timeout=0)
    assert query(SPANS) == [(0,)]

    with logged_writer(store, tmp_path):  # the store is back: the start inserts what the log kept
        assert query("SELECT count(), uniqExact(TraceId) FROM otel_traces") == [(4, 2)]


class RecordingClient:
    """The real store client, keeping every insert's body."""

    def __init__(self, client) -> None:
        self._client = client
        self.bodies: list[bytes] = []

    def raw_insert(self, *args, **kwargs):
        self.bodies.append(kwargs["insert_block"])
        return self._client.raw_insert(*args, **kwargs)


def test_an_insert_never_mixes_a_block_waited_on_with_logged_ones(store, query, tmp_path):
    # Replaying an interrupted insert repeats only its logged blocks: ClickHouse would not drop
    # that repeat as a copy of a body that also held a block never logged.
    recording = RecordingClient(store)
    with logged_writer(store, tmp_path, client=recording, flush_interval_s=0) as w:
        waited, logged = batch_of(1, trace=1), batch_of(2, trace=2)
        for _ in range(20):
            futures = [w.submit(waited)] + [w.submit(logged) for _ in range(3)]  # the first finds it idle
            for future in futures:
                future.result(timeout=20)
            eventually(lambda: w.queued_spans == 0)
    logged_only = {insert_body([logged] * count) for count in (1, 2, 3)}
    assert all(body == waited.data or body in logged_only for body in recording.bodies)
