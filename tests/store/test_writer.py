"""BatchWriter: durable-before-ack, group commit, linger, bounded queue, isolation of bad batches, drain."""

from __future__ import annotations

import threading
import time

import pytest

from spanhouse.app import INSERT_COLUMNS, TRACES_TABLE
from spanhouse.decode.traces import decode_spans
from spanhouse.errors import Overloaded, StoreError
from spanhouse.normalise.spans import normalise_batch
from spanhouse.store.native import NativeBlock, NativeEncoder, TableLayout
from spanhouse.store.writer import BatchWriter
from tests.factories import export_request, make_span

_layouts: dict[int, TableLayout] = {}


def batch_of(n, trace=1, tenant="t"):
    """A Native block of `n` spans of one trace, encoded the way the decode workers do."""
    spans = [make_span(trace=trace, span=i + 1, name=f"s{i}") for i in range(n)]
    batch = normalise_batch(decode_spans(export_request(*spans), tenant))
    return NativeEncoder(_layouts[0]).encode(batch.columns)


def writer(store, client=None, **options):
    _layouts[0] = TableLayout.read(store, TRACES_TABLE, INSERT_COLUMNS)
    return BatchWriter(client or store, _layouts[0], **options)


class GatedClient:
    """The real store client, whose inserts wait at a gate: the test decides when the first one returns."""

    def __init__(self, client):
        self._client = client
        self.inserting = threading.Event()
        self.gate = threading.Event()

    def raw_insert(self, *args, **kwargs):
        self.inserting.set()
        assert self.gate.wait(20), "the test never opened the gate"
        return self._client.raw_insert(*args, **kwargs)


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


# -- the writer thread, against the real store -----------------------------------------------
def test_an_idle_writer_inserts_a_lone_block_without_lingering(store):
    with writer(store, flush_interval_s=60) as w:
        w.submit(batch_of(1)).result(timeout=20)  # would take a minute if it lingered


def test_the_writer_lingers_by_its_own_clock(store, query):
    clock = FakeClock()
    with writer(store, flush_interval_s=0.2, clock=clock) as w:
        w.submit(batch_of(1, trace=1)).result(timeout=20)
        lingering = w.submit(batch_of(2, trace=2))  # 0 s after the insert ended, by the writer's clock
        with pytest.raises(TimeoutError):
            lingering.result(timeout=0.5)  # real time passes, the writer's clock does not
        clock.now += 0.25
        lingering.result(timeout=20)
        assert w.inserts == 2
    assert query("SELECT count() FROM otel_traces") == [(3,)]


def test_blocks_arriving_during_an_insert_are_grouped_into_the_next(store, query):
    gated = GatedClient(store)
    with writer(store, client=gated, flush_interval_s=0) as w:
        first = w.submit(batch_of(1, trace=1))
        assert gated.inserting.wait(20)
        during = [w.submit(batch_of(2, trace=t)) for t in range(2, 6)]
        gated.gate.set()
        for future in (first, *during):
            future.result(timeout=20)
        assert (w.inserts, w.inserted_spans) == (2, 9)
    assert query("SELECT count(), uniqExact(TraceId) FROM otel_traces") == [(9, 5)]


def test_a_full_batch_is_inserted_without_lingering(store):
    with writer(store, flush_interval_s=60, batch_max_spans=4) as w:
        w.submit(batch_of(1, trace=1)).result(timeout=20)
        w.submit(batch_of(4, trace=2)).result(timeout=20)  # right after an insert, but full: no minute's wait
        assert w.inserts == 2


def test_closing_ends_a_linger_at_once(store, query):
    with writer(store, flush_interval_s=60) as w:
        w.submit(batch_of(1, trace=1)).result(timeout=20)
        lingering = w.submit(batch_of(3, trace=2))
        started = time.monotonic()
    assert time.monotonic() - started < 20
    assert lingering.result(timeout=0) is None
    assert query("SELECT count() FROM otel_traces") == [(4,)]


def test_a_future_completes_only_after_the_rows_are_queryable(store, query):
    with writer(store) as w:
        w.submit(batch_of(3)).result(timeout=20)
        assert query("SELECT count() FROM otel_traces") == [(3,)]


def test_batches_queued_during_an_insert_share_the_next_one(store, query):
    with writer(store, flush_interval_s=0.5) as w:
        w.submit(batch_of(1, trace=1)).result(timeout=20)
        futures = [w.submit(batch_of(2, trace=t)) for t in range(2, 12)]  # queued while lingering
        for future in futures:
            future.result(timeout=20)
        assert w.inserts == 2
    assert query("SELECT count(), uniqExact(TraceId) FROM otel_traces") == [(21, 11)]


def test_a_full_queue_refuses_at_once(store):
    with writer(store, flush_interval_s=2.0, queue_max_spans=5) as w:
        w.submit(batch_of(1)).result(timeout=20)
        lingering = w.submit(batch_of(4, trace=2))
        with pytest.raises(Overloaded, match="ingest queue is full"):
            w.submit(batch_of(2, trace=3))
        lingering.result(timeout=20)
        assert w.queued_spans == 0


def test_a_bad_batch_fails_alone(store, query):
    bad = NativeBlock(b"not a Native block", 1)  # ClickHouse refuses a grouped insert that holds it
    with writer(store, flush_interval_s=0.5) as w:
        w.submit(batch_of(1, trace=1)).result(timeout=20)
        good_before, bad_future, good_after = (w.submit(b) for b in (batch_of(2, trace=3), bad, batch_of(2, trace=4)))
        good_before.result(timeout=20)
        good_after.result(timeout=20)
        with pytest.raises(StoreError):
            bad_future.result(timeout=20)
    # 5, not 3: each batch retried alone carries a deduplication token of its own, not its group's
    assert query("SELECT count() FROM otel_traces") == [(5,)]


def test_closing_drains_everything_accepted(store, query):
    w = writer(store, flush_interval_s=0.3).__enter__()
    w.submit(batch_of(1, trace=1))
    futures = [w.submit(batch_of(3, trace=t)) for t in range(2, 6)]
    w.close()
    assert all(f.done() and f.exception() is None for f in futures)
    assert query("SELECT count() FROM otel_traces") == [(13,)]
