"""GenAI content events -> canonical messages (the public function OTLP log records reuse).

Event shapes from open-telemetry/semantic-conventions `model/gen-ai/deprecated/events-deprecated.yaml`
and semantic-conventions-genai `docs/gen-ai/gen-ai-events.md` (operation details event).
"""

from __future__ import annotations

from spanhouse.normalise.events import messages_from_event


def test_log_record_bodies_of_the_deprecated_message_events():
    """Log records carry the fields in a kvlist body (§9.17)."""
    assert messages_from_event("gen_ai.system.message", {"gen_ai.system": "openai"},
                               {"content": "Be terse."}) == (
        [{"role": "system", "parts": [{"type": "text", "content": "Be terse."}]}], [])
    assert messages_from_event("gen_ai.assistant.message", {}, {"tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]}) == (
        [{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather",
                                          "arguments": {"city": "Paris"}}]}], [])
    assert messages_from_event("gen_ai.tool.message", {}, {"content": "18C", "id": "c1"}) == (
        [{"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "18C"}]}], [])


def test_a_choice_event_is_an_output_message_with_its_finish_reason():
    assert messages_from_event("gen_ai.choice", {}, {"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                             "function": {"name": "f", "arguments": "{}"}}]}}) == (
        [], [{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {}}],
              "finish_reason": "tool_calls"}])


def test_span_events_carry_the_body_fields_as_flattened_attributes():
    assert messages_from_event("gen_ai.user.message", {"gen_ai.system": "openai", "content": "Hi"}) == (
        [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}], [])
    assert messages_from_event("gen_ai.choice", {"index": "0", "finish_reason": "stop",
                                                 "message": '{"content": "Hello"}'}) == (
        [], [{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"}])


def test_the_operation_details_event_in_structured_and_json_string_forms():
    """§9.1: structured AnyValue on the log record, JSON strings on spans."""
    structured = {"gen_ai.system_instructions": [{"type": "text", "content": "Be terse."}],
                  "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}],
                  "gen_ai.output.messages": [{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}],
                                              "finish_reason": "stop"}]}
    expected = ([{"role": "system", "parts": [{"type": "text", "content": "Be terse."}]},
                 {"role": "user", "parts": [{"type": "text", "content": "Hi"}]}],
                [{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"}])
    as_strings = {key: __import__("json").dumps(value) for key, value in structured.items()}
    assert messages_from_event("gen_ai.client.inference.operation.details", structured) == expected
    assert messages_from_event("gen_ai.client.inference.operation.details", as_strings) == expected


def test_other_events_carry_no_messages():
    assert messages_from_event("exception", {"exception.message": "x"}) == ([], [])
    assert messages_from_event("gen_ai.user.message", {}, 42) == ([], [])


def test_openllmetry_puts_a_choices_tool_calls_beside_its_message():
    """Capture openllmetry_openai_events/tool_call (use_attributes=False): `message` holds only the content."""
    assert messages_from_event("gen_ai.choice", {"gen_ai.provider.name": "openai"}, {
        "index": 0, "message": {"content": None}, "finish_reason": "tool_calls", "tool_calls": [
            {"id": "call_weather_1", "function": {"arguments": '{"city": "Paris"}', "name": "get_weather"},
             "type": "function"}]}) == (
        [], [{"role": "assistant", "parts": [{"type": "tool_call", "id": "call_weather_1", "name": "get_weather",
                                              "arguments": {"city": "Paris"}}], "finish_reason": "tool_calls"}])
