"""Canonical messages from the shapes conventions use."""

from __future__ import annotations

from spanhouse.normalise.messages import coerce, finish_reason, group_indexed, parse, parse_rendered


def test_openai_chat_messages_with_tool_calls_and_results():
    assert coerce([
        {"role": "system", "content": "Be terse."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        {"role": "user", "content": [{"type": "text", "text": "and?"}]},
    ], "user") == [
        {"role": "system", "parts": [{"type": "text", "content": "Be terse."}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {"a": 1}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "ok"}]},
        {"role": "user", "parts": [{"type": "text", "content": "and?"}]},
    ]


def test_langchain_message_dicts_and_envelopes():
    assert coerce({"messages": [[{"type": "human", "content": "Hi"}, {"type": "ai", "content": "Hello",
                                                                       "tool_calls": [{"id": "c", "name": "f",
                                                                                       "args": {"x": 1}}]}]]},
                  "user") == [
        {"role": "user", "parts": [{"type": "text", "content": "Hi"}]},
        {"role": "assistant", "parts": [{"type": "text", "content": "Hello"},
                                        {"type": "tool_call", "id": "c", "name": "f", "arguments": {"x": 1}}]}]


def test_plain_text_and_malformed_values():
    assert parse("user: hello", "user") == [{"role": "user", "parts": [{"type": "text", "content": "user: hello"}]}]
    assert parse("[not json", "assistant") == [
        {"role": "assistant", "parts": [{"type": "text", "content": "[not json"}]}]
    assert (coerce(None, "user"), coerce(42, "user"), coerce([1, None, {"role": "user"}], "user"), parse("", "u")) \
        == ([], [], [], [])


def test_finish_reason_spellings():
    """§9.13."""
    assert [finish_reason(r) for r in ("tool-calls", "tool_call", "tool_calls", "STOP", "content-filter")] == [
        "tool_calls", "tool_calls", "tool_calls", "stop", "content_filter"]


def test_indexed_groups_sort_numerically_and_skip_non_numeric_indices():
    """§9.4: indices are not contiguous; 10 sorts after 9."""
    attrs = {"p.10.role": "c", "p.9.role": "b", "p.0.role": "a", "p.x.role": "junk", "p.2": "no-rest"}
    assert group_indexed(attrs, "p.") == [{"role": "a"}, {"role": "b"}, {"role": "c"}]


def test_canonical_json_is_kept_as_sent_and_anything_else_rebuilt():
    canonical = '[{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]'
    assert parse_rendered(canonical, "user") is canonical
    assert parse_rendered('say "hi"', "user") == [{"role": "user", "parts": [{"type": "text", "content": 'say "hi"'}]}]
    assert parse_rendered('[{"role": "assistant", "parts": [{"type": "text", "content": "x"}], '
                          '"finish_reason": "tool-calls"}]', "assistant") == [
        {"role": "assistant", "parts": [{"type": "text", "content": "x"}], "finish_reason": "tool_calls"}]
    assert parse_rendered('[{"role": "user", "content": "Hi"}]', "user") == [
        {"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]


def test_json_nested_too_deep_to_read_is_one_text_message():
    raw = "[" * 300 + '{"role": "user", "content": "hi"}' + "]" * 300
    assert parse(raw, "user") == parse_rendered(raw, "user") == [
        {"role": "user", "parts": [{"type": "text", "content": raw}]}]
