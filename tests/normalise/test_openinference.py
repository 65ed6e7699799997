"""OpenInference attributes -> canonical fields.

Fixtures follow Arize-ai/openinference `spec/semantic_conventions.md` and `spec/llm_spans.md`,
with attribute sets copied from the real captures in tests/captures/openinference_openai and
tests/captures/openinference_langchain (values shortened).
"""

from __future__ import annotations

from spanhouse.normalise.conventions import openinference, view


def test_an_openai_chat_span_with_a_tool_call():
    """Capture openinference_openai/tool_call: llm.model_name is the response model (§9.12, §10)."""
    fields = openinference.extract(view({
        "openinference.span.kind": "LLM", "llm.system": "openai",
        "llm.invocation_parameters": '{"model": "gpt-4o-mini", "tool_choice": "auto", "temperature": 0.2, '
                                     '"max_tokens": 50, "stream": true}',
        "llm.model_name": "gpt-4o-mini-2024-07-18", "llm.token_count.total": "74", "llm.token_count.prompt": "57",
        "llm.token_count.completion": "17", "llm.token_count.prompt_details.cache_read": "0",
        "llm.token_count.completion_details.reasoning": "0", "session.id": "sess-1", "user.id": "user-1",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "What is the weather in Paris?",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_weather_1",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
        "llm.finish_reason": "tool_calls",
    }, name="ChatCompletion"))
    assert fields == {
        "category": "LLM", "operation": "chat", "provider": "openai", "request_model": "gpt-4o-mini",
        "response_model": "gpt-4o-mini-2024-07-18", "input_tokens": 57, "output_tokens": 17, "total_tokens": 74,
        "cache_read_tokens": 0, "reasoning_tokens": 0, "thread_id": "sess-1", "user_id": "user-1",
        "finish_reasons": ("tool_calls",), "temperature": 0.2, "max_tokens": 50, "streaming": True,
        "input_messages": [{"role": "user", "parts": [{"type": "text", "content": "What is the weather in Paris?"}]}],
        "output_messages": [{"role": "assistant", "parts": [
            {"type": "tool_call", "id": "call_weather_1", "name": "get_weather", "arguments": {"city": "Paris"}}]}],
    }


def test_tool_results_multi_part_contents_and_numeric_index_order():
    """llm_spans.md: message.contents.K.message_content.*, role=tool with tool_call_id; 10 sorts after 9."""
    attrs = {"openinference.span.kind": "LLM", "llm.model_name": "m"}
    for index in range(11):
        attrs[f"llm.input_messages.{index}.message.role"] = "user"
        attrs[f"llm.input_messages.{index}.message.content"] = f"m{index}"
    attrs["llm.input_messages.11.message.role"] = "tool"
    attrs["llm.input_messages.11.message.tool_call_id"] = "call_1"
    attrs["llm.input_messages.11.message.content"] = "18C"
    attrs["llm.input_messages.12.message.role"] = "user"
    attrs["llm.input_messages.12.message.contents.0.message_content.type"] = "text"
    attrs["llm.input_messages.12.message.contents.0.message_content.text"] = "look"
    attrs["llm.input_messages.12.message.contents.1.message_content.type"] = "image"
    attrs["llm.input_messages.12.message.contents.1.message_content.image.image.url"] = "https://x/cat.png"
    messages = openinference.extract(view(attrs))["input_messages"]
    assert [m["parts"][0].get("content") for m in messages[:11]] == [f"m{index}" for index in range(11)]
    assert messages[11:] == [
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "18C"}]},
        {"role": "user", "parts": [{"type": "text", "content": "look"},
                                   {"type": "uri", "modality": "image", "uri": "https://x/cat.png"}]},
    ]


def test_a_langchain_retriever_span_gives_query_and_document_count():
    """Capture openinference_langchain/agent_pipeline: query in input.value, documents flattened, no ids."""
    assert openinference.extract(view({
        "openinference.span.kind": "RETRIEVER", "session.id": "sess-lc-1", "input.value": "Weather in Paris?",
        "retrieval.documents.0.document.content": "Paris is the capital of France.",
        "retrieval.documents.0.document.metadata": '{"source": "kb/paris.md"}',
        "retrieval.documents.1.document.content": "Temperate climate.",
        "metadata": '{"ls_retriever_name": "knowledgebase"}',
    }, name="KnowledgeBaseRetriever")) == {
        "category": "RETRIEVAL", "operation": "retrieval", "thread_id": "sess-lc-1",
        "retrieval_query": "Weather in Paris?", "document_count": 2,
    }


def test_a_tool_span_takes_its_name_arguments_and_result():
    assert openinference.extract(view({
        "openinference.span.kind": "TOOL", "tool.name": "get_weather", "input.value": "Paris",
        "output.value": '{"temperature": 18}',
    }, name="get_weather")) == {
        "category": "TOOL", "operation": "execute_tool", "tool_name": "get_weather", "tool_arguments": "Paris",
        "tool_result": '{"temperature": 18}',
    }


def test_a_langchain_tool_span_takes_the_call_id_from_the_tool_message_it_returned():
    """Capture openinference_langchain/agent_pipeline: no tool.id, but the ToolMessage names the call."""
    output = ('{"type": "tool", "data": {"content": "18 degrees Celsius and sunny in Paris", "type": "tool", '
              '"name": "get_weather", "id": null, "tool_call_id": "call_lc_weather_1", "status": "success"}}')
    span = {"openinference.span.kind": "TOOL", "tool.name": "get_weather", "input.value": "Paris",
            "output.value": output}
    assert openinference.extract(view(span, content=False)) == {
        "category": "TOOL", "operation": "execute_tool", "tool_name": "get_weather",
        "tool_call_id": "call_lc_weather_1"}
    constructor = '{"lc": 1, "type": "constructor", "id": ["ToolMessage"], "kwargs": {"tool_call_id": "c2"}}'
    assert openinference.extract(view({**span, "output.value": constructor}))["tool_call_id"] == "c2"
    assert openinference.extract(view({**span, "tool.id": "c3"}))["tool_call_id"] == "c3"
    assert "tool_call_id" not in openinference.extract(view({**span, "output.value": '{"tool_call_id": 7}'}))


def test_an_openai_embedding_span_names_both_models():
    """Capture openinference_openai/embeddings: embedding.model_name is the response's model, the request's
    is in embedding.invocation_parameters (openinference-instrumentation-openai 0.1.66)."""
    fields = openinference.extract(view({
        "openinference.span.kind": "EMBEDDING", "llm.system": "openai",
        "embedding.invocation_parameters": '{"model": "text-embedding-3-small", "encoding_format": "base64"}',
        "embedding.model_name": "text-embedding-3-small-v2", "llm.token_count.prompt": "5",
        "llm.token_count.total": "5",
    }, content=False))
    assert fields == {"category": "EMBEDDING", "operation": "embeddings", "provider": "openai",
                      "request_model": "text-embedding-3-small", "response_model": "text-embedding-3-small-v2",
                      "input_tokens": 5, "total_tokens": 5}


def test_an_agent_span_without_agent_name_is_named_after_the_span():
    """§2: the LangChain agent span had no agent.name; the name is only the span name."""
    assert openinference.extract(view({
        "openinference.span.kind": "AGENT", "input.value": "Weather in Paris?", "output.value": "Sunny.",
    }, name="weather_agent")) == {
        "category": "AGENT", "operation": "invoke_agent", "agent_name": "weather_agent",
        "input_messages": [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}],
        "output_messages": [{"role": "assistant", "parts": [{"type": "text", "content": "Sunny."}]}],
    }


def test_reported_cost_and_langchain_metadata():
    """semantic_conventions.md llm.cost.*; LangChain merges run metadata into `metadata` (§2)."""
    assert openinference.extract(view({
        "openinference.span.kind": "LLM", "llm.provider": "azure", "llm.cost.prompt": "0.001",
        "llm.cost.completion": "0.002", "llm.cost.total": "0.003",
        "metadata": '{"thread_id": "t-9", "lc_agent_name": "planner", "ls_provider": "openai"}',
    }, content=False)) == {
        "category": "LLM", "operation": "chat", "provider": "azure.ai.openai", "input_cost": 0.001,
        "output_cost": 0.002, "total_cost": 0.003, "cost_source": "span:llm.cost.total", "thread_id": "t-9",
        "agent_name": "planner",
    }


def test_completions_api_prompts_and_choices():
    fields = openinference.extract(view({
        "openinference.span.kind": "LLM", "llm.prompts.0.prompt.text": "Once upon",
        "llm.choices.0.completion.text": " a time",
    }))
    assert (fields["operation"], fields["input_messages"], fields["output_messages"]) == (
        "text_completion", [{"role": "user", "parts": [{"type": "text", "content": "Once upon"}]}],
        [{"role": "assistant", "parts": [{"type": "text", "content": " a time"}]}])


def test_unknown_kind_gives_no_category_and_session_alone_does_not_match():
    assert openinference.extract(view({"openinference.span.kind": "UNKNOWN"})) == {}
    assert openinference.extract(view({"session.id": "s", "user.id": "u", "input.value": "x"})) is None


def test_tag_tags_fill_tags():
    assert openinference.extract(view({"openinference.span.kind": "CHAIN",
                                       "tag.tags": '["beta", "eu"]'}))["tags"] == ("beta", "eu")


def test_a_llama_index_retriever_s_json_kwargs_give_the_query_string():
    """LlamaIndex `VectorIndexRetriever._retrieve`: input.value is its kwargs as JSON (captured)."""
    bundle = '{"query_bundle": {"query_str": "What is the capital of France?", "image_path": null}}'
    for value in (bundle, '{"query": "What is the capital of France?"}', "What is the capital of France?"):
        fields = openinference.extract(view({"openinference.span.kind": "RETRIEVER", "input.value": value}))
        assert fields["retrieval_query"] == "What is the capital of France?", value
    fields = openinference.extract(view({"openinference.span.kind": "RETRIEVER", "input.value": '{"k": 2}'}))
    assert fields["retrieval_query"] == '{"k": 2}'
