"""Lenient value parsing: ints, doubles, strings, JSON-encoded scalars; negatives and garbage refused."""

from __future__ import annotations

from spanhouse.normalise import values


def test_counts():
    """§9.5: numbers arrive as ints, doubles, strings, JSON strings; "None", "Infinity" are garbage."""
    assert [values.count(text) for text in ("12", "12.0", " 7 ", '"12"', "1.5", "-3", "None", "Infinity", "1e400",
                                            "", None, "nan")] == [12, 12, 7, 12, None, None, None, None, None, None,
                                                                  None, None]


def test_amounts_and_reals():
    assert [values.amount(text) for text in ("0.2", "1", '"0.5"', "-0.1", "inf", "NaN", "x", None)] == [
        0.2, 1.0, 0.5, None, None, None, None, None]
    assert values.real("-2.5") == -2.5


def test_seconds_to_milliseconds_refuses_what_overflows():
    """1e306 s is a finite amount but infinite in ms (found by the property test in test_spans.py)."""
    assert [values.seconds_to_ms(text) for text in ("0.25", "100E304", "-1", "x")] == [250.0, None, None, None]


def test_strings_flags_and_json():
    assert (values.unjson_text('"\\"gpt-4o\\""'), values.unjson_text('"gpt-4o"'), values.unjson_text("gpt"),
            values.unjson_text('""'), values.text("  "), values.lower(" CHAT ")) == (
        '"gpt-4o"', "gpt-4o", "gpt", None, None, "chat")
    assert [values.flag(text) for text in ("true", "True", "0", "nope", None)] == [True, True, False, None, None]
    assert (values.mapping('"{\\"a\\": 1}"'), values.mapping("[1]"), values.loads("{")) == ({"a": 1}, {}, None)
    assert values.string_list('["stop", null, ""]') == ("stop",)
