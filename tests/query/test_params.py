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
