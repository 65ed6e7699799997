"""encode_storable: a value that does not fit its ClickHouse column costs its own row (an OTLP partial success
naming it), not the request; rows that fit are stored as sent."""

from __future__ import annotations

import pytest

from spanhouse.app import INSERT_COLUMNS, TRACES_TABLE
from spanhouse.errors import StoreError
from spanhouse.receive.ingest import decode_request, encode_storable
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
