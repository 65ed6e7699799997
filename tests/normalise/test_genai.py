"""OpenTelemetry GenAI attributes -> canonical fields (current and deprecated names).

Fixtures follow open-telemetry/semantic-conventions-genai `model/gen-ai/registry.yaml` and
`docs/gen-ai/gen-ai-spans.md` (current), `model/gen-ai/deprecated/registry-deprecated.yaml`
(renames) and the real openai-v2 captures in tests/captures/openai_v2*.
"""

from __future__ import annotations

from spanhouse.normalise.conventions import genai, view


def test_a_current_chat_span():
    assert genai.extract(view({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.usage.input_tokens": "120",
        "gen_ai.usage.output_tokens": "30", "gen_ai.usage.cache_read.input_tokens": "100",
        "gen_ai.usage.cache_creation.input_tokens": "4", "gen_ai.usage.reasoning.output_tokens": "10",
        "gen_ai.conversation.id": "conv-1", "gen_ai.response.finish_reasons": '["stop","length"]',
        "gen_ai.request.temperature": "0.2", "gen_ai.request.max_tokens": "512", "error.type": "RateLimitError",
        "gen_ai.response.id": "chatcmpl-1", "gen_ai.request.stream": "true",
        "gen_ai.response.time_to_first_chunk": "0.25",
    }, content=False)) == {
        "operation": "chat", "category": "LLM", "provider": "openai", "request_model": "gpt-4o",
        "response_model": "gpt-4o-2024-08-06", "input_tokens": 120, "output_tokens": 30, "cache_read_tokens": 100,
        "cache_write_tokens": 4, "reasoning_tokens": 10, "thread_id": "conv-1", "finish_reasons": ("stop", "length"),
        "temperature": 0.2, "max_tokens": 512, "error_type": "RateLimitError", "response_id": "chatcmpl-1",
        "streaming": True, "time_to_first_token_ms": 250.0,
    }


def test_deprecated_names_are_read_and_provider_spellings_mapped():
    assert genai.extract(view({
        "gen_ai.system": "az.ai.openai", "gen_ai.request.model": "gpt-4",
        "gen_ai.usage.prompt_tokens": "7", "gen_ai.usage.completion_tokens": "3",
    })) == {"provider": "azure.ai.openai", "request_model": "gpt-4", "input_tokens": 7, "output_tokens": 3}


def test_current_names_win_over_deprecated_ones():
    fields = genai.extract(view({"gen_ai.provider.name": "anthropic", "gen_ai.system": "openai",
                                 "gen_ai.usage.input_tokens": "5", "gen_ai.usage.prompt_tokens": "9"}))
    assert (fields["provider"], fields["input_tokens"]) == ("anthropic", 5)


def test_tool_and_agent_spans():
    assert genai.extract(view({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search",
                               "gen_ai.tool.call.id": "call_1", "gen_ai.tool.call.arguments": '{"q": "x"}',
                               "gen_ai.tool.call.result": "[1, 2]"})) == {
        "operation": "execute_tool", "category": "TOOL", "tool_name": "search", "tool_call_id": "call_1",
        "tool_arguments": '{"q": "x"}', "tool_result": "[1, 2]"}
    assert genai.extract(view({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner",
                               "gen_ai.agent.id": "a1"})) == {
        "operation": "invoke_agent", "category": "AGENT", "agent_name": "planner", "agent_id": "a1"}


def test_a_retrieval_span_gives_query_and_document_count():
    assert genai.extract(view({
        "gen_ai.operation.name": "retrieval", "gen_ai.data_source.id": "kb",
        "gen_ai.retrieval.query.text": "refund policy", "gen_ai.retrieval.documents": '[{"id": "d1", "score": 0.9}, '
                                                                                     '{"id": "d2", "score": 0.5}]',
    })) == {"operation": "retrieval", "category": "RETRIEVAL", "retrieval_query": "refund policy",
            "document_count": 2}


def test_operation_names_map_to_categories_case_insensitively():
    categories = {name: genai.extract(view({"gen_ai.operation.name": name}))["category"] for name in (
        "chat", "generate_content", "text_completion", "embeddings", "execute_tool", "invoke_agent", "create_agent",
        "invoke_workflow", "plan", "apply_guardrail", "search_memory", "update_memory", "RETRIEVER",
        "vector_db_retrieve", "agent_step")}
    assert categories == {
        "chat": "LLM", "generate_content": "LLM", "text_completion": "LLM", "embeddings": "EMBEDDING",
        "execute_tool": "TOOL", "invoke_agent": "AGENT", "create_agent": "AGENT", "invoke_workflow": "CHAIN",
        "plan": "CHAIN", "apply_guardrail": "GUARDRAIL", "search_memory": "RETRIEVAL", "update_memory": "MEMORY",
        "RETRIEVER": "RETRIEVAL", "vector_db_retrieve": "RETRIEVAL", "agent_step": "CHAIN"}


def test_an_unknown_operation_keeps_its_name_and_gives_no_category():
    assert genai.extract(view({"gen_ai.operation.name": "Summarise"})) == {"operation": "summarise"}


def test_a_framework_named_as_provider_becomes_the_framework():
    """Reference §9 case 10: OpenLLMetry LangChain task spans say gen_ai.provider.name = langchain."""
    assert genai.extract(view({"gen_ai.operation.name": "execute_task", "gen_ai.provider.name": "langchain"})) == {
        "operation": "execute_task", "category": "CHAIN", "framework": "langchain"}


def test_token_counts_accept_doubles_and_drop_garbage_and_negatives():
    fields = genai.extract(view({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": "12.0",
                                 "gen_ai.usage.output_tokens": "-3", "gen_ai.usage.cache_read.input_tokens": "lots",
                                 "gen_ai.usage.reasoning.output_tokens": "1.5"}))
    assert fields == {"request_model": "m", "input_tokens": 12}


def test_input_output_messages_and_system_instructions_become_canonical_messages():
    """S1 `gen-ai-input-messages.json`: JSON strings on spans; instructions prepended as a system message."""
    fields = genai.extract(view({
        "gen_ai.operation.name": "chat",
        "gen_ai.system_instructions": '[{"type": "text", "content": "Be terse."}]',
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "Weather?"}]}]',
        "gen_ai.output.messages": '[{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", '
                                  '"name": "get_weather", "arguments": {"city": "Paris"}}], '
                                  '"finish_reason": "tool_call"}]',
    }))
    assert (fields["input_messages"], fields["output_messages"]) == (
        [{"role": "system", "parts": [{"type": "text", "content": "Be terse."}]},
         {"role": "user", "parts": [{"type": "text", "content": "Weather?"}]}],
        [{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather",
                                          "arguments": {"city": "Paris"}}], "finish_reason": "tool_calls"}],
    )


def test_content_events_on_the_span_become_messages():
    """Deprecated events (events-deprecated.yaml) recorded as span events, body fields as attributes."""
    events = [
        ("gen_ai.system.message", {"gen_ai.system": "openai", "content": "Be terse."}),
        ("gen_ai.user.message", {"gen_ai.system": "openai", "content": "Hi"}),
        ("gen_ai.choice", {"gen_ai.system": "openai", "index": "0", "finish_reason": "stop",
                           "message": '{"role": "assistant", "content": "Hello!"}'}),
    ]
    fields = genai.extract(view({"gen_ai.system": "openai", "gen_ai.operation.name": "chat"}, events=events))
    assert (fields["input_messages"], fields["output_messages"]) == (
        [{"role": "system", "parts": [{"type": "text", "content": "Be terse."}]},
         {"role": "user", "parts": [{"type": "text", "content": "Hi"}]}],
        [{"role": "assistant", "parts": [{"type": "text", "content": "Hello!"}], "finish_reason": "stop"}],
    )


def test_content_is_not_built_when_capture_is_off():
    fields = genai.extract(view({"gen_ai.operation.name": "chat", "gen_ai.input.messages": "[]"}, content=False))
    assert fields == {"operation": "chat", "category": "LLM"}


def test_a_span_without_gen_ai_attributes_is_not_matched():
    assert genai.extract(view({"http.route": "/x", "error.type": "500", "session.id": "s"})) is None


def test_finish_reasons_come_from_the_output_messages_when_not_reported():
    """util-genai streaming spans (capture openai_v2_latest_experimental/stream) have no
    gen_ai.response.finish_reasons; each output message carries its finish_reason. Capture off too."""
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.output.messages":
             '[{"role":"assistant","parts":[{"content":"The sky is blue today.","type":"text"}],'
             '"finish_reason":"stop"},{"role":"assistant","parts":[],"finish_reason":"tool_call"}]'}
    assert genai.extract(view(attrs))["finish_reasons"] == ("stop", "tool_calls")
    assert genai.extract(view(attrs, content=False))["finish_reasons"] == ("stop", "tool_calls")
    assert genai.extract(view({**attrs, "gen_ai.response.finish_reasons": '["length"]'}))["finish_reasons"] == (
        "length",)
    assert "finish_reasons" not in genai.extract(view({"gen_ai.operation.name": "chat",
                                                       "gen_ai.output.messages": "not json"}))
