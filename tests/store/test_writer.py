"""BatchWriter: durable-before-ack, group commit, bounded queue, isolation of bad batches, drain."""

from __future__ import annotations

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


def writer(store, **options):
    _layouts[0] = TableLayout.read(store, TRACES_TABLE, INSERT_COLUMNS)
    return BatchWriter(store, _layouts[0], **options)


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
    assert query("SELECT count() FROM otel_traces") == [(5,)]


def test_closing_drains_everything_accepted(store, query):
    w = writer(store, flush_interval_s=0.3).__enter__()
    w.submit(batch_of(1, trace=1))
    futures = [w.submit(batch_of(3, trace=t)) for t in range(2, 6)]
    w.close()
    assert all(f.done() and f.exception() is None for f in futures)
    assert query("SELECT count() FROM otel_traces") == [(13,)]
