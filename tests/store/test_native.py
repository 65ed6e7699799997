"""Native blocks: encoded apart from the writer, concatenated into one insert, read back whole."""

from __future__ import annotations

import pytest

from spanhouse.app import INSERT_COLUMNS, TRACES_TABLE
from spanhouse.decode.traces import decode_spans
from spanhouse.errors import StoreError
from spanhouse.normalise.spans import normalise_batch
from spanhouse.store.native import NativeEncoder, TableLayout
from tests.factories import export_request, llm_span, make_span


def columns_of(*spans):
    return normalise_batch(decode_spans(export_request(*spans), "acme")).columns


@pytest.fixture
def encoder(store):
    return NativeEncoder(TableLayout.read(store, TRACES_TABLE, INSERT_COLUMNS))


def test_the_layout_lists_the_insert_columns_with_the_tables_types(store):
    layout = TableLayout.read(store, TRACES_TABLE, INSERT_COLUMNS)
    assert layout.names == INSERT_COLUMNS
    assert dict(layout.columns)["Timestamp"] == "DateTime64(9)"
    assert dict(layout.columns)["SpanAttributes"] == "Map(LowCardinality(String), String)"


def test_blocks_encoded_separately_make_one_insert(store, query, encoder):
    first = encoder.encode(columns_of(make_span(trace=1, span=1, name="root"), llm_span(trace=1, span=2, parent=1)))
    second = encoder.encode(columns_of(make_span(trace=2, span=1, name="other")))
    assert (first.rows, second.rows) == (2, 1)
    store.raw_insert(TRACES_TABLE, list(INSERT_COLUMNS), insert_block=first.data + second.data, fmt="Native")
    assert query("SELECT TraceId, SpanName, Tenant, RequestModel, InputTokens FROM otel_traces ORDER BY TraceId, "
                 "SpanId") == [
        ("00000000000000000000000000000001", "root", "acme", "", None),
        ("00000000000000000000000000000001", "chat gpt-4o", "acme", "gpt-4o", 120),
        ("00000000000000000000000000000002", "other", "acme", "", None),
    ]


def test_an_empty_batch_encodes_to_no_rows(encoder):
    block = encoder.encode(columns_of())
    assert (block.data, block.rows) == (b"", 0)


def test_a_value_the_column_type_cannot_hold_is_a_store_error(encoder):
    columns = columns_of(make_span())
    columns["Duration"] = ["not a number"]
    with pytest.raises(StoreError, match="cannot encode rows for otel_traces"):
        encoder.encode(columns)
