"""Content policy: default redactions, JSON-aware masking of raw values, truncation that keeps JSON valid."""

from __future__ import annotations

import json
import re

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spanhouse.normalise.content import (
    DEFAULT_POLICY,
    DEFAULT_REDACTIONS,
    TRUNCATION_MARK,
    ContentPolicy,
    Redaction,
    clip,
    render_messages,
)
from spanhouse.normalise.json_values import MAX_DEPTH
from spanhouse.normalise.regex_bounds import unbounded_before_the_end


def test_default_redactions_mask_emails_keys_tokens_and_luhn_valid_cards():
    text = ("mail jane.doe+x@mail.example.co.uk; sk-proj-abcdefghijklmnopqrstuvwxyz012345; AKIAIOSFODNN7EXAMPLE; "
            "ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ; xoxb-123456789012-abcdefghij; "
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig; card 4111-1111-1111-1111; "
            "order 1763800000000; task-management-systems-are-great")
    assert DEFAULT_POLICY.redact_text(text) == (
        "mail [REDACTED:email]; [REDACTED:api_key]; [REDACTED:api_key]; [REDACTED:api_key]; [REDACTED:api_key]; "
        "Authorization: Bearer [REDACTED:token]; card [REDACTED:card]; order 1763800000000; "
        "task-management-systems-are-great")


def test_text_without_the_required_characters_skips_every_pattern():
    policy = DEFAULT_POLICY
    assert (policy.may_change("just words here"), policy.applicable("just words here"),
            policy.may_change("write to a@b.io"), [r.name for r in policy.applicable("write to a@b.io")]) == (
        False, [], True, ["email"])


def test_json_values_are_masked_inside_their_strings_and_stay_valid_json():
    raw = '[{"role": "user", "parts": [{"type": "text", "content": "line\\nbob@corp.io"}]}]'
    assert DEFAULT_POLICY.redact_value(raw) == \
        '[{"role":"user","parts":[{"type":"text","content":"line\\n[REDACTED:email]"}]}]'


def test_escaped_characters_cannot_hide_a_match():
    raw = '{"content": "bob\\u0040corp.io"}'
    assert DEFAULT_POLICY.redact_value(raw) == '{"content":"[REDACTED:email]"}'


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 300, 1000])
def test_json_nested_too_deep_to_read_is_masked_as_text(levels):
    assert DEFAULT_POLICY.redact_value("[" * levels + '"bob@corp.io"' + "]" * levels) == \
        "[" * levels + '"[REDACTED:email]"' + "]" * levels


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 300])
def test_escaped_characters_cannot_hide_a_match_in_json_masked_as_text(levels):
    raw = "[" * levels + '"bob\\u0040corp.io", "say \\u0022hi\\u0022", "C:\\\\u0040x.io"' + "]" * levels
    masked = DEFAULT_POLICY.redact_value(raw)
    assert masked == "[" * levels + '"[REDACTED:email]", "say \\u0022hi\\u0022", "C:\\\\u0040x.io"' + "]" * levels
    # still the same JSON, minus the address: the quote stays escaped, the escaped backslash is no escape
    assert json.loads(masked) == json.loads(raw.replace("bob\\u0040corp.io", "[REDACTED:email]"))


def test_json_nested_max_depth_levels_is_masked_inside_its_strings():
    raw = "[" * MAX_DEPTH + '"bob@corp.io",  "x"' + "]" * MAX_DEPTH
    assert DEFAULT_POLICY.redact_value(raw) == "[" * MAX_DEPTH + '"[REDACTED:email]","x"' + "]" * MAX_DEPTH


@pytest.mark.parametrize("rule", DEFAULT_REDACTIONS, ids=lambda rule: rule.name)
def test_every_default_pattern_repeats_boundedly_except_at_its_end(rule):
    """So a match attempt examines a bounded number of characters, except for the run it masks at its
    end (after which the scan resumes): redaction time is linear in a value's length, however it was
    built (e.g. a megabyte of letters before one "@" once took minutes)."""
    assert unbounded_before_the_end(rule.pattern.pattern) == []


def test_the_bounded_email_pattern_still_masks_every_address():
    assert DEFAULT_POLICY.redact_text("x" * 100 + "@corp.io and a@b.c.d.e.f.g.h.io, c@" + "d" * 63 + ".io") == \
        "x" * 36 + "[REDACTED:email] and [REDACTED:email], [REDACTED:email]"


@pytest.mark.parametrize(("value", "masked"), [
    ("a" * 1_000_000 + "@", "a" * 1_000_000 + "@"),
    ("a" * 1_000_000 + "@corp.io", "a" * (1_000_000 - 64) + "[REDACTED:email]"),
    (("sk-" + "a" * 19 + " ") * 50_000, ("sk-" + "a" * 19 + " ") * 50_000),
    ("Bearer" + " " * 1_000_000 + "!", "Bearer" + " " * 1_000_000 + "!"),
    ("Bearer " + "x" * 1_000_000, "Bearer [REDACTED:token]"),
    ("1 " * 500_000, "1 " * 500_000),
], ids=["email", "email-long-run", "openai-key", "bearer-spaces", "bearer-long-token", "card"])
def test_values_built_to_backtrack_are_masked_as_usual(value, masked):
    assert DEFAULT_POLICY.redact_value(value) == masked


def test_unchanged_values_are_returned_as_they_are():
    raw = '{"content":  "nothing to see"}'
    assert DEFAULT_POLICY.redact_value(raw) is raw


def test_a_custom_policy_with_its_own_pattern_and_no_required_characters():
    policy = ContentPolicy(redact=(Redaction("ticket", re.compile(r"TICKET-\d+"), "[ticket]"),))
    assert policy.redact_text("see TICKET-42 and a@b.io") == "see [ticket] and a@b.io"
    assert ContentPolicy(redact=()).redact_value("a@b.io") == "a@b.io"


def test_max_bytes_has_a_floor():
    with pytest.raises(ValueError, match="max_bytes"):
        ContentPolicy(max_bytes=10)


def test_clip_cuts_text_on_a_character_boundary_and_marks_it():
    assert clip("short", 64) == "short"
    clipped = clip("é" * 100, 65)  # é is two bytes: 51 bytes left for text keep 25 of them
    assert (clipped, len(clipped.encode())) == ("é" * 25 + TRUNCATION_MARK, 64)


def test_render_keeps_small_messages_whole():
    messages = [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
    assert render_messages(messages, 1024) == '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]'
    assert render_messages([], 1024) == ""


def test_render_cuts_the_longest_strings_first_and_marks_them():
    messages = [{"role": "system", "parts": [{"type": "text", "content": "Be terse."}]},
                {"role": "user", "parts": [{"type": "text", "content": "x" * 5000}]},
                {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f",
                                                 "arguments": {"blob": "y" * 5000}}]}]
    rendered = render_messages(messages, 2048)
    decoded = orjson.loads(rendered)
    assert len(rendered.encode()) <= 2048
    assert decoded[0] == {"role": "system", "parts": [{"type": "text", "content": "Be terse."}]}
    assert [part.get("truncated") for message in decoded[1:] for part in message["parts"]] == [True, True]
    assert messages[1]["parts"][0]["content"] == "x" * 5000  # the caller's messages are untouched


def test_render_drops_the_oldest_messages_when_the_structure_alone_is_too_big():
    messages = [{"role": "user", "parts": [{"type": "text", "content": str(n)}]} for n in range(200)]
    decoded = orjson.loads(render_messages(messages, 512))
    assert (decoded[0]["truncated"], decoded[-1]["parts"][0]["content"]) == (True, "199")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "tool"]), "parts": st.lists(
    st.one_of(st.fixed_dictionaries({"type": st.just("text"), "content": st.text(max_size=400)}),
              st.fixed_dictionaries({"type": st.just("tool_call"), "id": st.text(max_size=8),
                                     "name": st.text(max_size=8),
                                     "arguments": st.dictionaries(st.text(max_size=5), st.text(max_size=300))})),
    max_size=4)}), max_size=8), st.integers(min_value=64, max_value=3000))
def test_rendered_messages_are_valid_json_within_the_budget(messages, max_bytes):
    rendered = render_messages(messages, max_bytes)
    assert len(rendered.encode()) <= max_bytes
    assert rendered == "" or isinstance(orjson.loads(rendered), list)
