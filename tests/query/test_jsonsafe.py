"""JSON-safe values from ClickHouse's types: exact decimals, full-precision times, no NaN in JSON."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from ipaddress import IPv6Address

from clickhouse_connect.datatypes.registry import get_from_name

from spanhouse.query.jsonsafe import cell, converter, dumps, plain


def convert(type_name, value):
    return converter(get_from_name(type_name))(value)


def test_datetime64_ticks_keep_every_digit_of_their_scale_in_utc():
    assert [convert("DateTime64(9, 'UTC')", 1_704_164_645_123_456_789), convert("DateTime64(3)", 1_704_164_645_500),
            convert("DateTime64(0)", 0), convert("DateTime64(6)", -1), convert("DateTime", 1_704_164_645),
            convert("Nullable(DateTime64(9))", None)] == [
        "2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.500Z", "1970-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999999Z", "2024-01-02T03:04:05Z", None]


def test_containers_convert_their_elements_by_type():
    assert convert("Array(DateTime64(9, 'UTC'))", [1]) == ["1970-01-01T00:00:00.000000001Z"]
    assert convert("Map(UInt64, Array(Float64))", {3: [1.5, float("nan")]}) == {"3": [1.5, "NaN"]}
    assert convert("Map(String, Int256)", {b"k\xff": 2**200}) == {"k\ufffd": str(2**200)}
    assert convert("Tuple(a Int128, b String)", {"a": 1, "b": b"x"}) == {"a": "1", "b": "x"}
    assert convert("Tuple(UInt8, Nullable(String))", (1, None)) == [1, None]
    assert convert("Map(Tuple(UInt8, UInt8), String)", {(1, 2): b"v"}) == {"[1,2]": "v"}


def test_plain_values_without_a_dedicated_converter():
    assert [plain(float("inf")), plain(float("-inf")), plain(2**70), plain(-(2**63)), plain(uuid.UUID(int=1)),
            plain(IPv6Address("::1")), plain(dt.date(2024, 1, 2)), plain(dt.timedelta(hours=-1, seconds=-0.5)),
            plain(dt.timedelta(hours=100, minutes=2, seconds=3)),
            plain(dt.datetime(2024, 1, 2, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
            plain({"a": (1, b"\x00")})] == [
        "Infinity", "-Infinity", str(2**70), -(2**63), "00000000-0000-0000-0000-000000000001", "::1", "2024-01-02",
        "-1:00:00.500000", "100:02:03", "2024-01-02T10:00:00Z", {"a": [1, "\x00"]}]


def test_decimals_are_exact_fixed_point_json_numbers():
    assert dumps({"price": Decimal("12345678901234567890.123456789"), "zero": Decimal("0E-9")}) == (
        b'{"price":12345678901234567890.123456789,"zero":0.000000000}')


def test_cells_for_csv_and_tsv():
    assert [cell(None), cell(True), cell(Decimal("1.50")), cell(0.1), cell([1, "a"]), cell({"k": None}),
            cell("text")] == ["", "true", "1.50", "0.1", '[1,"a"]', '{"k":null}', "text"]
