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


def test_timestamps_in_iso_or_epoch_form_json_encoded_or_not():
    expected = 1_763_800_000_500_000_000  # 2025-11-22T08:26:40.5Z
    for value in ("2025-11-22T08:26:40.5Z", "2025-11-22T08:26:40.500+00:00", "2025-11-22T10:26:40.5+02:00",
                  "2025-11-22 08:26:40.5", '"2025-11-22T08:26:40.5Z"', '"\\"2025-11-22T08:26:40.5Z\\""',
                  "1763800000.5", "1763800000500", "1763800000500000", "1763800000500000000"):
        assert values.timestamp_ns(value) == expected, value
    for value in (None, "", "later", "-1", "0", '"[1]"', "1e400", "2025-13-01T00:00:00Z"):
        assert values.timestamp_ns(value) is None, value


def test_tags_from_a_json_array_a_comma_joined_string_or_one_tag():
    assert values.tags('["a", "b", "a", ""]') == ("a", "b")
    assert values.tags("a, b ,, c") == ("a", "b", "c")
    assert values.tags("solo") == ("solo",)
    assert values.tags('"[\\"x\\", \\"y\\"]"') == ("x", "y")
    assert [values.tags(value) for value in (None, "", "[]", " , ")] == [None] * 4


def test_json_nested_too_deep_to_read_is_text():
    raw = "[" * 1000 + "]" * 1000
    assert (values.loads(raw), values.json_or_text(raw), values.string_list(raw), values.mapping(raw)) == (
        None, raw, (raw,), {})
