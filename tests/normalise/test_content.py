"""Content policy: default redactions, JSON-aware masking of raw values, truncation that keeps JSON valid."""

from __future__ import annotations

import re

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spanhouse.normalise.content import (
    DEFAULT_POLICY,
    TRUNCATION_MARK,
    ContentPolicy,
    Redaction,
    clip,
    render_messages,
)


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
