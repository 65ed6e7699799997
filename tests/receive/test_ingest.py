"""What the store could not keep costs its own row (an OTLP partial success naming it), never the request:
a value that does not fit its ClickHouse column (encode_storable), a row the TTLs would delete at once
(refuse_unkeepable)."""

from __future__ import annotations

import time

import pytest

from spanhouse.app import INSERT_COLUMNS, TRACES_TABLE
from spanhouse.decode.traces import MAX_DATETIME_NS
from spanhouse.errors import StoreError
from spanhouse.receive.ingest import decode_request, encode_storable, refuse_unkeepable
from spanhouse.store.native import NativeEncoder, TableLayout
from tests.factories import export_request, hex_id, make_span

TWO_SPANS = export_request(make_span(trace=1, span=1, name="fits"),
                           make_span(trace=1, span=2, name="overflows")).SerializeToString()


@pytest.fixture
def encoder(store):
    return NativeEncoder(TableLayout.read(store, TRACES_TABLE, INSERT_COLUMNS))


def test_rows_that_all_fit_are_encoded_as_they_are(encoder):
    batch = decode_request(TWO_SPANS, "protobuf", "acme")
    block, stored = encode_storable(encoder, batch, batch.columns)
    assert (block.rows, stored, batch.count, batch.rejected) == (2, None, 2, 0)


def test_a_row_with_a_value_out_of_its_columns_range_is_rejected_alone(store, encoder):
    batch = decode_request(TWO_SPANS, "protobuf", "acme")
    batch.columns["DocumentCount"][1] = 2**40  # Nullable(UInt32): no normaliser should let this through

    block, stored = encode_storable(encoder, batch, batch.columns)

    assert (block.rows, stored, batch.count, batch.rejected) == (1, [True, False], 1, 1)
    assert batch.error_message().startswith(f"1 span(s) rejected: span {hex_id(2)[16:]} cannot be stored: ")
    assert "DocumentCount" in batch.error_message()
    store.raw_insert(TRACES_TABLE, list(INSERT_COLUMNS), insert_block=block.data, fmt="Native")
    assert store.query("SELECT SpanName FROM otel_traces").result_rows == [("fits",)]


def test_when_no_row_alone_is_at_fault_the_error_stands(encoder):
    batch = decode_request(TWO_SPANS, "protobuf", "acme")
    batch.columns["DocumentCount"] = batch.columns["DocumentCount"][:1]  # a column shorter than the others
    with pytest.raises(StoreError):
        encode_storable(encoder, batch, batch.columns)


def test_rows_the_store_would_delete_at_once_are_refused_naming_them():
    now_ns = time.time_ns()
    day_ns = 86_400 * 10**9
    starts = {1: now_ns - 31 * day_ns, 2: now_ns - 29 * day_ns, 3: MAX_DATETIME_NS - 300 * day_ns,
              4: MAX_DATETIME_NS - 500 * day_ns}
    body = export_request(*(make_span(trace=9, span=span, start_ns=start) for span, start in starts.items()))
    batch = decode_request(body.SerializeToString(), "protobuf", "acme")

    refuse_unkeepable(batch, retention_days=30, horizon_days=400, now_ns=now_ns)

    assert (batch.count, batch.rejected, batch.columns["SpanId"]) == (2, 2, [hex_id(2)[16:], hex_id(4)[16:]])
    message = batch.error_message()
    assert f"span {hex_id(1)[16:]} starts " in message and "before the 30-day retention window" in message
    assert f"span {hex_id(3)[16:]} starts 2105-" in message and "within 400 days (the longest retention)" in message


def test_with_nothing_expiring_every_row_is_kept():
    body = export_request(make_span(trace=9, span=1, start_ns=1),
                          make_span(trace=9, span=2, start_ns=MAX_DATETIME_NS - 10**12))
    batch = decode_request(body.SerializeToString(), "protobuf", "acme")
    refuse_unkeepable(batch, retention_days=0, horizon_days=0, now_ns=time.time_ns())
    assert (batch.count, batch.rejected) == (2, 0)
