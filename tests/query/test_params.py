"""Query parameters: every time form, default and maximum windows, bounds, and errors naming the parameter."""

from __future__ import annotations

import pytest

from spanhouse.query.params import NS_PER_S, ParamError, TimeRange, choice, integer, number, time_ns, time_range

NOW = 1_795_000_000 * NS_PER_S  # 2026-11-18T...
HOUR = 3600 * NS_PER_S


@pytest.mark.parametrize(("value", "expected"), [
    ("now", NOW),
    ("-1h", NOW - HOUR),
    ("15m", NOW - 15 * 60 * NS_PER_S),
    ("-7d", NOW - 7 * 24 * HOUR),
    ("2026-11-22T10:00:00Z", 1_795_341_600 * NS_PER_S),
    ("2026-11-22T12:00:00.5+02:00", 1_795_341_600 * NS_PER_S + 500_000_000),
    ("2026-11-22T10:00:00.123456789Z", 1_795_341_600 * NS_PER_S + 123_456_789),
    ("1795341600", 1_795_341_600 * NS_PER_S),
    ("1795341600000", 1_795_341_600 * NS_PER_S),
    ("1795341600000000000", 1_795_341_600 * NS_PER_S),
])
def test_times_in_every_accepted_form(value, expected):
    assert time_ns(value, "start", NOW) == expected


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "2026-11-22", "-1y", "1e9", ""])
def test_a_bad_time_names_its_parameter(value):
    with pytest.raises(ParamError) as raised:
        time_ns(value, "until", NOW)
    assert raised.value.name == "until"


@pytest.mark.parametrize("value", ["9999-01-01T00:00:00Z", "2262-04-12T00:00:00Z", "1969-12-31T23:59:59Z",
                                   "99999999999", "-9999999w", "99999999999999999999"])
def test_a_time_outside_what_clickhouse_int64_nanoseconds_hold_is_refused(value):
    with pytest.raises(ParamError, match="between 1970-01-01 and 2262-04-11") as raised:
        time_ns(value, "end", NOW)
    assert raised.value.name == "end"


def test_a_default_window_does_not_reach_before_1970():
    window = time_range({"end": "10"}, default_window_ns=HOUR, max_window_ns=HOUR, now_ns=NOW)
    assert window == TimeRange(0, 10 * NS_PER_S)


def test_the_int64_range_edges_are_accepted():
    assert time_ns("1970-01-01T00:00:00Z", "start", NOW) == 0
    assert time_ns("2262-04-11T23:47:16.854775807Z", "end", NOW) == 2**63 - 1


def test_a_missing_range_is_the_default_window_ending_now_and_too_long_a_range_is_refused():
    assert time_range({}, default_window_ns=HOUR, max_window_ns=24 * HOUR, now_ns=NOW) == TimeRange(NOW - HOUR, NOW)
    assert time_range({"start": "-2h", "end": "-1h"}, default_window_ns=HOUR, max_window_ns=24 * HOUR,
                      now_ns=NOW) == TimeRange(NOW - 2 * HOUR, NOW - HOUR)
    with pytest.raises(ParamError, match="at most 1 days"):
        time_range({"start": "-2d"}, default_window_ns=HOUR, max_window_ns=24 * HOUR, now_ns=NOW)
    with pytest.raises(ParamError, match="must be before end"):
        time_range({"start": "-1h", "end": "-2h"}, default_window_ns=HOUR, max_window_ns=24 * HOUR, now_ns=NOW)


def test_numbers_are_bounded_and_choices_fixed():
    assert integer({"limit": "50"}, "limit", 20, minimum=1, maximum=1000) == 50
    assert integer({}, "limit", 20) == 20
    assert number({"min_cost": "0.25"}, "min_cost") == 0.25
    assert choice({"sort": "cost"}, "sort", ["start", "duration", "cost"]) == "cost"
    for call, name in [(lambda: integer({"limit": "0"}, "limit", minimum=1), "limit"),
                       (lambda: integer({"limit": "ten"}, "limit"), "limit"),
                       (lambda: number({"min_cost": "nan"}, "min_cost"), "min_cost"),
                       (lambda: choice({"sort": "name"}, "sort", ["start"]), "sort")]:
        with pytest.raises(ParamError) as raised:
            call()
        assert raised.value.name == name


# Digits that str.isdigit(), \d or int() accept and no client means: superscripts and circled
# digits (which int() refuses with a ValueError), Arabic-Indic digits and `1_0` (which int() reads),
# and more digits than int() converts at all (4300).
ARABIC_INDIC_1700000000 = "\u0661\u0667" + "\u0660" * 8
NOT_ASCII_DIGITS = ["\u00b2", "\u2462", "\u2460", ARABIC_INDIC_1700000000, "1_0", "9" * 5000]


@pytest.mark.parametrize("value", [*NOT_ASCII_DIGITS, " 10"])
def test_integers_are_ascii_digits_of_bounded_length(value):
    with pytest.raises(ParamError) as raised:
        integer({"limit": value}, "limit", 20, minimum=1)
    assert raised.value.name == "limit"


@pytest.mark.parametrize("value", [*NOT_ASCII_DIGITS, " 10", "\u0661.\u0665", "infinity", "1e99999", "0x10", "1" * 65])
def test_numbers_are_ascii_decimals_of_bounded_length(value):
    with pytest.raises(ParamError) as raised:
        number({"min_cost": value}, "min_cost", 0.0)
    assert raised.value.name == "min_cost"


def test_signed_and_decimal_numbers_in_ascii_are_read():
    assert [integer({"n": text}, "n") for text in ("+5", "-5", "007", "9" * 32)] == [5, -5, 7, int("9" * 32)]
    assert [number({"x": text}, "x") for text in ("0.25", "-3", "1e3", ".5", "5.", "+2.5E-1")] == [
        0.25, -3.0, 1000.0, 0.5, 5.0, 0.25]


@pytest.mark.parametrize("value", [*NOT_ASCII_DIGITS, "-\u00b2h", "-\u0661h", "-1_0h", f"-{'9' * 5000}h",
                                   "\u0662\u0660\u0662\u0666-11-22T10:00:00Z", "2026-11-22T10:00:00.\u0661Z"])
def test_times_and_durations_are_ascii_digits_of_bounded_length(value):
    with pytest.raises(ParamError) as raised:
        time_ns(value, "start", NOW)
    assert raised.value.name == "start"


# Every number parameter of every endpoint, as (path, extra parameters the request needs, parameter).
NUMBER_PARAMETERS = [
    *[("/api/v1/traces", {}, name) for name in ("start", "end", "limit", "min_tokens", "min_cost", "min_duration_ms")],
    *[("/api/v1/threads", {}, name) for name in ("start", "end", "limit", "min_tokens", "min_cost", "min_duration_ms")],
    ("/api/v1/threads/thread-1", {}, "limit"),
    ("/api/v1/metrics/kpi", {}, "window"),
    *[("/api/v1/metrics/timeseries", {"measure": "spans"}, name) for name in ("start", "end", "top")],
    *[("/api/v1/metrics/agents", {}, name) for name in ("start", "end", "limit")],
    *[("/api/v1/costs", {}, name) for name in ("start", "end", "limit")],
    *[("/api/v1/anomalies", {}, name) for name in ("start", "end", "limit", "offset")],
    *[("/api/v1/alerts/deliveries", {}, name) for name in ("start", "end", "limit", "offset")],
]
JAEGER_NUMBER_PARAMETERS = [
    *[("/jaeger/api/traces", {"service": "a"}, name) for name in ("start", "end", "lookback", "limit")],
    ("/jaeger/api/traces/" + "ab" * 16, {}, "start"),
    *[("/jaeger/api/v3/traces", {}, name) for name in ("query.startTimeMin", "query.startTimeMax",
                                                        "query.searchDepth")],
]
# as a number, and as the number of a duration for the parameters that take one
BAD_NUMBERS = ["\u00b2", ARABIC_INDIC_1700000000, "1_0", "9" * 5000, "-\u00b2h", "\u0661h", f"{'9' * 5000}m"]


@pytest.mark.parametrize(("path", "extra", "name"), NUMBER_PARAMETERS,
                         ids=[f"{p} {n}" for p, _, n in NUMBER_PARAMETERS])
def test_a_number_that_is_not_ascii_digits_is_400_naming_it(seeded, path, extra, name):
    for value in BAD_NUMBERS:
        response = seeded.get(path, {**extra, name: value})
        assert response.status_code == 400, (value[:20], response.text[:200])
        assert response.json()["error"]["code"] == "invalid_parameter"
        assert response.json()["error"]["parameter"] == name


@pytest.mark.parametrize(("path", "extra", "name"), JAEGER_NUMBER_PARAMETERS,
                         ids=[f"{p[:24]} {n}" for p, _, n in JAEGER_NUMBER_PARAMETERS])
def test_a_jaeger_number_that_is_not_ascii_digits_is_400_naming_it_in_jaegers_envelope(seeded, path, extra, name):
    for value in BAD_NUMBERS:
        response = seeded.get(path, {**extra, name: value})
        assert response.status_code == 400, (value[:20], response.text[:200])
        body = response.json()
        message = body["error"]["message"] if "/v3/" in path else body["errors"][0]["msg"]
        assert message.startswith(f"{name}: "), message
