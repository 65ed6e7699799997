"""Vercel AI SDK `ai.*` attributes -> canonical fields.

Fixtures follow vercel/ai `content/docs/03-ai-sdk-core/60-telemetry.mdx` (reference §4), with
attribute sets copied from the real ai@6 capture tests/captures/vercel_ai and the ai@7 captures
tests/captures/vercel_ai7 (`@ai-sdk/otel` OpenTelemetry) and vercel_ai7_legacy (values shortened).
"""

from __future__ import annotations

from spanhouse.decode.traces import decode_spans
from spanhouse.normalise.conventions import vercel_ai, view
from spanhouse.normalise.spans import merge, normalise_batch
from tests.factories import export_request, make_span

DO_GENERATE = {
    "operation.name": "ai.generateText.doGenerate weather-agent", "resource.name": "weather-agent",
    "ai.operationId": "ai.generateText.doGenerate", "ai.telemetry.functionId": "weather-agent",
    "ai.model.provider": "openai.chat", "ai.model.id": "gpt-4o-mini",
    "ai.telemetry.metadata.sessionId": "sess-vercel-1", "ai.telemetry.metadata.userId": "user-vercel-1",
    "ai.prompt.messages": '[{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]}]',
    "gen_ai.system": "openai.chat", "gen_ai.request.model": "gpt-4o-mini", "ai.response.finishReason": "tool-calls",
    "ai.response.toolCalls": '[{"toolCallId":"call_1","toolName":"get_weather","input":"{\\"city\\":\\"Paris\\"}"}]',
    "ai.response.id": "resp-1", "ai.response.model": "gpt-4o-mini-2024-07-18", "ai.usage.inputTokens": "57",
    "ai.usage.inputTokenDetails.noCacheTokens": "57", "ai.usage.inputTokenDetails.cacheReadTokens": "0",
    "ai.usage.outputTokens": "17", "ai.usage.totalTokens": "74", "ai.usage.reasoningTokens": "0",
    "gen_ai.response.finish_reasons": '["tool-calls"]', "gen_ai.response.id": "resp-1",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.usage.input_tokens": "57",
    "gen_ai.usage.output_tokens": "17",
}
GENERATE_TEXT = {
    "ai.operationId": "ai.generateText", "ai.telemetry.functionId": "weather-agent",
    "ai.model.provider": "openai.chat", "ai.model.id": "gpt-4o-mini", "ai.prompt": '{"prompt":"Weather in Paris?"}',
    "ai.response.finishReason": "stop", "ai.response.text": "Sunny, 18C.", "ai.usage.inputTokens": "140",
    "ai.usage.inputTokenDetails.cacheReadTokens": "64", "ai.usage.outputTokens": "29", "ai.usage.totalTokens": "169",
}


def test_a_do_generate_span_is_the_model_call():
    fields, matched = merge(view(DO_GENERATE))
    assert matched == ["otel_genai", "vercel_ai"]
    assert fields == {
        "category": "LLM", "operation": "chat", "provider": "openai", "request_model": "gpt-4o-mini",
        "response_model": "gpt-4o-mini-2024-07-18", "input_tokens": 57, "output_tokens": 17, "total_tokens": 74,
        "cache_read_tokens": 0, "reasoning_tokens": 0, "thread_id": "sess-vercel-1", "user_id": "user-vercel-1",
        "agent_name": "weather-agent", "response_id": "resp-1", "finish_reasons": ("tool_calls",),
        "streaming": False,
        "input_messages": [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}],
        "output_messages": [{"role": "assistant", "parts": [
            {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}],
            "finish_reason": "tool_calls"}],
    }


def test_the_outer_generate_text_span_is_a_chain_roll_up_without_tokens():
    """§8 step 7 and the token accounting rule: the outer span sums its doGenerate children."""
    batch = normalise_batch(decode_spans(export_request(
        make_span(span=1, name="ai.generateText", attributes=GENERATE_TEXT),
        make_span(span=2, parent=1, name="ai.generateText.doGenerate", attributes=DO_GENERATE), scope="ai"), "t"))
    columns = batch.columns
    assert [(columns["Category"][i], columns["InputTokens"][i], columns["TotalTokens"][i],
             columns["CacheReadTokens"][i], columns["Framework"][i]) for i in range(2)] == [
        ("CHAIN", None, None, None, "vercel_ai"), ("LLM", 57, 74, 0, "vercel_ai")]
    assert columns["SpanAttributes"][0]["ai.usage.inputTokens"] == "140"  # the raw roll-up stays


def test_a_tool_call_span():
    assert vercel_ai.extract(view({
        "ai.operationId": "ai.toolCall", "ai.toolCall.name": "get_weather", "ai.toolCall.id": "call_1",
        "ai.toolCall.args": '{"city":"Paris"}', "ai.toolCall.result": '{"temperature":18}',
    })) == {"category": "TOOL", "operation": "execute_tool", "tool_name": "get_weather", "tool_call_id": "call_1",
            "tool_arguments": '{"city":"Paris"}', "tool_result": '{"temperature":18}'}


def test_embeddings_count_ai_usage_tokens_as_input():
    """§10: an embedding span's ai.usage.tokens counts its input."""
    assert vercel_ai.extract(view({"ai.operationId": "ai.embed.doEmbed", "ai.model.id": "text-embedding-3-small",
                                   "ai.model.provider": "openai.embedding", "ai.usage.tokens": "5",
                                   "ai.values": '["hello"]'})) == {
        "category": "EMBEDDING", "operation": "embeddings", "request_model": "text-embedding-3-small",
        "provider": "openai", "input_tokens": 5}


def test_streaming_and_time_to_first_chunk():
    fields = vercel_ai.extract(view({"ai.operationId": "ai.streamText.doStream", "ai.response.msToFirstChunk": "2.5",
                                     "ai.settings.temperature": "0.2", "ai.settings.maxOutputTokens": "50"}))
    assert fields == {"category": "LLM", "operation": "chat", "streaming": True, "time_to_first_token_ms": 2.5,
                      "temperature": 0.2, "max_tokens": 50}


def test_the_outer_prompt_with_system_and_messages():
    """ai@7 LegacyOpenTelemetry records ai.prompt as {system, messages} (§4)."""
    prompt = '{"system":"Be terse.","messages":[{"role":"user","content":"Hi"}]}'
    fields = vercel_ai.extract(view({"ai.operationId": "ai.generateText", "ai.prompt": prompt}))
    assert fields["input_messages"] == [{"role": "system", "parts": [{"type": "text", "content": "Be terse."}]},
                                        {"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]


def test_vercel_tool_result_messages_in_the_prompt():
    """ai@5+ wraps a tool result as `output: {type: json|text|..., value}`: the response is the value."""
    fields = vercel_ai.extract(view({"ai.operationId": "ai.generateText.doGenerate", "ai.prompt.messages": (
        '[{"role":"tool","content":[{"type":"tool-result","toolCallId":"call_1","toolName":"get_weather",'
        '"output":{"type":"json","value":{"temperature":18}}},{"type":"tool-result","toolCallId":"call_2",'
        '"toolName":"f","output":{"type":"error-text","value":"boom"}}]}]')}))
    assert fields["input_messages"] == [{"role": "tool", "parts": [
        {"type": "tool_call_response", "id": "call_1", "response": {"temperature": 18}},
        {"type": "tool_call_response", "id": "call_2", "response": "boom"}]}]


def test_the_outer_spans_say_whether_their_model_calls_stream():
    """streamText/streamObject stream, generateText/generateObject do not; ai.embed says nothing."""
    assert [vercel_ai.extract(view({"ai.operationId": operation})).get("streaming") for operation in (
        "ai.streamText", "ai.streamObject", "ai.generateText", "ai.generateObject", "ai.embed")] == [
        True, True, False, False, None]


# ai@7 + @ai-sdk/otel `OpenTelemetry({ runtimeContext: true, usage: true })`, scope `gen_ai`
# (tests/captures/vercel_ai7/tool_call): the agent wrapper, one step, the model call of that step.
AI7_CONTEXT = {"ai.settings.context.sessionId": "sess-vercel7-1", "ai.settings.context.userId": "user-vercel7-1"}
AI7_INVOKE_AGENT = {
    "gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "mock-provider",
    "gen_ai.request.model": "mock-model-1", "gen_ai.agent.name": "weather-agent", **AI7_CONTEXT,
    "gen_ai.response.finish_reasons": '["stop"]', "gen_ai.usage.input_tokens": "140",
    "gen_ai.usage.output_tokens": "29", "gen_ai.usage.cache_read.input_tokens": "64",
    "ai.usage.inputTokenDetails.noCacheTokens": "76", "ai.usage.outputTokenDetails.reasoningTokens": "0",
}
AI7_STEP = {"gen_ai.operation.name": "agent_step", **AI7_CONTEXT, "ai.usage.outputTokenDetails.reasoningTokens": "0"}
AI7_CHAT = {
    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "mock-provider", "gen_ai.request.model": "mock-model-1",
    "gen_ai.response.finish_reasons": '["tool-calls"]', "gen_ai.response.id": "resp-vercel-tool-1",
    "gen_ai.response.model": "mock-model-1-2025-01-01", "gen_ai.usage.input_tokens": "57",
    "gen_ai.usage.output_tokens": "17", "gen_ai.usage.cache_read.input_tokens": "0",
    "gen_ai.usage.cache_creation.input_tokens": "0", "ai.usage.inputTokenDetails.noCacheTokens": "57",
    "ai.usage.outputTokenDetails.textTokens": "17", "ai.usage.outputTokenDetails.reasoningTokens": "0",
}


def test_ai7_runtime_context_names_the_session_and_user():
    """ai@7 has no telemetry metadata: runtimeContext let through by includeRuntimeContext is ai.settings.context.*."""
    assert vercel_ai.extract(view({**AI7_CONTEXT, "ai.settings.context.requestId": "req-1"})) == {
        "thread_id": "sess-vercel7-1", "user_id": "user-vercel7-1"}
    assert vercel_ai.extract(view({"ai.settings.context.threadId": "thread-1"})) == {"thread_id": "thread-1"}


def test_ai7_legacy_spans_read_the_runtime_context_too():
    """LegacyOpenTelemetry writes the same keys (tests/captures/vercel_ai7_legacy); the ai@6 metadata keys still win."""
    fields, matched = merge(view({**GENERATE_TEXT, **AI7_CONTEXT}))
    assert (matched, fields["thread_id"], fields["user_id"]) == (["vercel_ai"], "sess-vercel7-1", "user-vercel7-1")
    fields, _ = merge(view({**DO_GENERATE, **AI7_CONTEXT}))
    assert (fields["thread_id"], fields["user_id"]) == ("sess-vercel-1", "user-vercel-1")


def test_ai7_invoke_agent_and_step_are_roll_ups_and_the_chat_span_counts():
    """§9.6: `invoke_agent` sums both model calls and `step N` its own; only `chat` keeps tokens."""
    batch = normalise_batch(decode_spans(export_request(
        make_span(span=1, name="invoke_agent mock-model-1", attributes=AI7_INVOKE_AGENT),
        make_span(span=2, parent=1, name="step 1", attributes=AI7_STEP),
        make_span(span=3, parent=2, name="chat mock-model-1", attributes=AI7_CHAT), scope="gen_ai"), "t"))
    columns = batch.columns
    assert [(columns["Category"][i], columns["Operation"][i], columns["InputTokens"][i],
             columns["CacheReadTokens"][i], columns["ReasoningTokens"][i], columns["ThreadId"][i],
             columns["UserId"][i], columns["AgentName"][i], columns["Framework"][i], columns["Convention"][i])
            for i in range(3)] == [
        ("AGENT", "invoke_agent", None, None, None, "sess-vercel7-1", "user-vercel7-1", "weather-agent", "vercel_ai",
         ["otel_genai", "vercel_ai"]),
        ("CHAIN", "agent_step", None, None, None, "sess-vercel7-1", "user-vercel7-1", "", "vercel_ai",
         ["otel_genai", "vercel_ai"]),
        ("LLM", "chat", 57, 0, 0, "", "", "", "vercel_ai", ["otel_genai", "vercel_ai"])]
