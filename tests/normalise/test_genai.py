"""OpenTelemetry GenAI attributes -> canonical fields (current and deprecated names)."""

from __future__ import annotations

from spanhouse.normalise.conventions import genai


def test_a_current_chat_span():
    assert genai.extract({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.usage.input_tokens": "120",
        "gen_ai.usage.output_tokens": "30", "gen_ai.usage.cache_read.input_tokens": "100",
        "gen_ai.usage.reasoning.output_tokens": "10", "gen_ai.conversation.id": "conv-1",
        "gen_ai.response.finish_reasons": '["stop","length"]', "gen_ai.request.temperature": "0.2",
        "gen_ai.request.max_tokens": "512", "error.type": "RateLimitError",
    }) == {
        "operation": "chat", "category": "LLM", "provider": "openai", "request_model": "gpt-4o",
        "response_model": "gpt-4o-2024-08-06", "input_tokens": 120, "output_tokens": 30, "cache_read_tokens": 100,
        "reasoning_tokens": 10, "thread_id": "conv-1", "finish_reasons": ("stop", "length"), "temperature": 0.2,
        "max_tokens": 512, "error_type": "RateLimitError",
    }


def test_deprecated_names_are_read_and_provider_spellings_mapped():
    assert genai.extract({
        "gen_ai.system": "az.ai.openai", "gen_ai.request.model": "gpt-4",
        "gen_ai.usage.prompt_tokens": "7", "gen_ai.usage.completion_tokens": "3",
    }) == {"provider": "azure.ai.openai", "request_model": "gpt-4", "input_tokens": 7, "output_tokens": 3}


def test_current_names_win_over_deprecated_ones():
    fields = genai.extract({"gen_ai.provider.name": "anthropic", "gen_ai.system": "openai",
                            "gen_ai.usage.input_tokens": "5", "gen_ai.usage.prompt_tokens": "9"})
    assert (fields["provider"], fields["input_tokens"]) == ("anthropic", 5)


def test_tool_and_agent_spans():
    assert genai.extract({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search",
                          "gen_ai.tool.call.id": "call_1"}) == {
        "operation": "execute_tool", "category": "TOOL", "tool_name": "search", "tool_call_id": "call_1"}
    assert genai.extract({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner",
                          "gen_ai.agent.id": "a1"}) == {
        "operation": "invoke_agent", "category": "AGENT", "agent_name": "planner", "agent_id": "a1"}


def test_token_counts_accept_doubles_and_drop_garbage_and_negatives():
    fields = genai.extract({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": "12.0",
                            "gen_ai.usage.output_tokens": "-3", "gen_ai.usage.cache_read.input_tokens": "lots",
                            "gen_ai.usage.reasoning.output_tokens": "1.5"})
    assert fields == {"request_model": "m", "input_tokens": 12}


def test_a_span_without_gen_ai_attributes_is_not_matched():
    assert genai.extract({"http.route": "/x", "error.type": "500"}) is None
