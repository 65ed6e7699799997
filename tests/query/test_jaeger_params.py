"""Jaeger's parameter forms (query/jaeger_params.py): trace ids, microsecond and RFC 3339 times,
Go durations, lookbacks, booleans and tags, and the errors naming the parameter."""

from __future__ import annotations

import pytest

from spanhouse.query import jaeger_params as jp
from spanhouse.query.params import ParamError

NOW = 1_795_000_000 * 10**9


def test_trace_ids_are_padded_to_the_stored_32_characters():
    assert jp.trace_id("A11CE", "traceID") == "000000000000000000000000000a11ce"
    assert jp.trace_id("0123456789abcdef0123456789abcdef", "id") == "0123456789abcdef0123456789abcdef"
    for bad in ("", "xyz", "0x12", "1" * 33, "12 34"):
        with pytest.raises(ParamError) as raised:
            jp.trace_id(bad, "traceID")
        assert raised.value.name == "traceID"


@pytest.mark.parametrize(("value", "ns"), [
    ("1ms", 10**6), ("1.2s", 1_200_000_000), ("1h30m", 5_400 * 10**9), ("250us", 250_000), ("250µs", 250_000),
    ("250μs", 250_000), ("0", 0), ("+5m", 300 * 10**9), (".5ms", 500_000), ("1.5h2.5m0.5s", 5_550_500_000_000),
    ("10ns", 10),
])
def test_go_durations(value, ns):
    assert jp.go_duration({"d": value}, ["d"]) == ns


@pytest.mark.parametrize("value", ["5", "1d", "1 s", "s", "1.2.3s", "-1s", "1sm", "1e3s", "9999999999h"])
def test_what_is_not_a_go_duration_names_the_parameter(value):
    with pytest.raises(ParamError) as raised:
        jp.go_duration({"minDuration": value}, ["minDuration"])
    assert raised.value.name == "minDuration"


def test_the_first_spelling_present_is_read():
    assert jp.go_duration({"query.duration_min": "2s"}, ["query.durationMin", "query.duration_min"]) == 2 * 10**9
    assert jp.go_duration({}, ["a", "b"]) is None
    assert jp.boolean({"raw_traces": "T"}, ["rawTraces", "raw_traces"]) is True
    assert jp.boolean({"rawTraces": "0"}, ["rawTraces"]) is False


def test_v1_times_are_microseconds_and_v3_times_rfc_3339_with_a_lost_plus_put_back():
    assert jp.micros({"start": "1700000000000001"}, "start", NOW) == 1_700_000_000_000_001_000
    assert jp.micros({"start": "-1h"}, "start", NOW) == NOW - 3600 * 10**9
    assert jp.micros({}, "start", NOW) is None
    assert jp.rfc3339({"t": "2026-11-22T12:00:00.5+02:00"}, ["t"], NOW) == (1_795_341_600_500_000_000, "t")
    assert jp.rfc3339({"t": "2026-11-22T12:00:00.5 02:00"}, ["t"], NOW) == (1_795_341_600_500_000_000, "t")
    assert jp.rfc3339({"b": "2026-11-22T10:00:00Z"}, ["a", "b"], NOW) == (1_795_341_600 * 10**9, "b")
    assert jp.rfc3339({}, ["a", "b"], NOW) == (None, "a")
    with pytest.raises(ParamError, match="microseconds out of range"):
        jp.micros({"end": "99999999999999999999"}, "end", NOW)


def test_lookbacks_as_jaeger_ui_sends_them():
    assert jp.lookback({"lookback": "2d"}, "lookback") == 2 * 86_400 * 10**9
    assert jp.lookback({"lookback": "1h30m"}, "lookback") == 5_400 * 10**9
    assert jp.lookback({"lookback": "custom"}, "lookback") is None
    assert jp.lookback({}, "lookback") is None


def test_tags_as_json_objects_and_key_value_pairs():
    assert jp.tags_json(['{"error":true,"http.status_code":200,"ratio":0.5}', '{"error":"false"}'], "tags") == {
        "error": "false", "http.status_code": "200", "ratio": "0.5"}
    assert jp.tags_pairs(["url:http://x:80/a", "k:"], "tag") == {"url": "http://x:80/a", "k": ""}
    with pytest.raises(ParamError, match="at most 32 tags"):
        jp.bounded_tags({str(n): "v" for n in range(33)}, "tags")
    with pytest.raises(ParamError, match="tag keys must be 1 to 1024 characters"):
        jp.bounded_tags({"": "v"}, "tags")


@pytest.mark.parametrize("value", ["\u00b2", "\u2460", "\u0661\u0667" + "\u0660" * 14, "1_700_000_000_000_000",
                                   "9" * 5000])
def test_v1_times_are_ascii_digits_of_bounded_length(value):
    with pytest.raises(ParamError) as raised:
        jp.micros({"start": value}, "start", NOW)
    assert raised.value.name == "start"


@pytest.mark.parametrize("value", ["\u00b2h", "\u0661h", "1_0s", "9" * 5000 + "h", "9" * 5000, "1h" * 33])
def test_durations_and_lookbacks_are_ascii_and_bounded(value):
    for call in (lambda: jp.go_duration({"maxDuration": value}, ["maxDuration"]),
                 lambda: jp.lookback({"maxDuration": value}, "maxDuration")):
        with pytest.raises(ParamError) as raised:
            call()
        assert raised.value.name == "maxDuration"
