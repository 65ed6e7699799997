"""What every captured span must land as: the golden tables test_captures.py checks.

One entry per capture scenario, one per span (keyed by span name, `#2` for the second of a
name in start order), listing its non-empty canonical columns; every column not listed must
hold its empty value (`EMPTY`). Values come from the truth:
  * the fake OpenAI server's fixtures (manifest.json "fake_openai_server"): chat 31/9/40 tokens,
    8 cached, 2 reasoning; tool call 57/17/74 with call_weather_1 get_weather; after the tool
    83/12/95, 64 cached; stream 23/7/30; embeddings 5; the 429;
  * captures/_openai_scenarios.py (prompts, tool, temperature 0.2, max_tokens 50),
    captures/gen_openinference_langchain.py and captures/node/capture_vercel.mjs (FIXTURES);
  * the manifest's session and user ids;
and a column stays empty when the library did not report the value (its notes say why).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spanhouse.normalise.fields import CANONICAL, COST_FIELDS

CAPTURES = Path(__file__).parent.parent / "captures"
MANIFEST = json.loads((CAPTURES / "manifest.json").read_text())
FIXTURES = MANIFEST["fake_openai_server"]["fixtures"]

_SKIPPED = {CANONICAL[field][0] for field in COST_FIELDS}  # costs: tested with pricing
# references into message_content: the replay re-inflates them into InputMessages / OutputMessages
# and SpanAttributes, as the timeline does, and compares the text
_SKIPPED |= {"InputMessageHashes", "OutputMessageHashes", "ContentAttributes"}
COLUMNS = (*(column for column, _ in CANONICAL.values() if column not in _SKIPPED), "Convention")
EMPTY: dict[str, Any] = {column: [] if empty == () else empty for column, empty in CANONICAL.values()
                         if column not in _SKIPPED} | {"Convention": [], "InputMessages": [], "OutputMessages": []}
MESSAGE_COLUMNS = ("InputMessages", "OutputMessages")

OPENAI_SOURCES = ("openai_v2", "openai_v2_latest_experimental", "openinference_openai", "openllmetry_openai",
                  "openllmetry_openai_events")
# Sources whose prompts and completions arrive only as OTLP log records (captures/README.md).
LOG_CONTENT_SOURCES = frozenset({"openai_v2", "openllmetry_openai_events"})


class Positive:
    """Matches a positive number (stream timings vary from one capture run to the next)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, int | float) and not isinstance(other, bool) and other > 0

    def __repr__(self) -> str:
        return "Positive()"


class JsonWith:
    """Matches a JSON text holding at least `subset` (objects compared key by key, recursively)."""

    def __init__(self, subset: dict[str, Any]) -> None:
        self.subset = subset

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and _contains(json.loads(other), self.subset)

    def __repr__(self) -> str:
        return f"JsonWith({self.subset!r})"


class TextMessages:
    """Matches canonical messages with these roles, each one text part holding its substring
    (prompts a library writes from its own templates: only the parts from the generator are pinned)."""

    def __init__(self, *expected: tuple[str, str]) -> None:
        self.expected = expected

    def __eq__(self, other: object) -> bool:
        return isinstance(other, list) and len(other) == len(self.expected) and all(
            isinstance(found, dict) and found.get("role") == role and len(found.get("parts", [])) == 1
            and found["parts"][0].get("type") == "text" and part in found["parts"][0].get("content", "")
            for found, (role, part) in zip(other, self.expected, strict=True))

    def __repr__(self) -> str:
        return f"TextMessages{self.expected!r}"


def _contains(value: Any, subset: Any) -> bool:
    if isinstance(subset, dict):
        return isinstance(value, dict) and all(k in value and _contains(value[k], v) for k, v in subset.items())
    return bool(value == subset)


# Canonical messages (OTel GenAI input/output messages schema)
def text(role: str, content: str, finish: str | None = None) -> dict[str, Any]:
    return message(role, {"type": "text", "content": content}, finish=finish)


def message(role: str, *parts: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    built: dict[str, Any] = {"role": role, "parts": list(parts)}
    if finish:
        built["finish_reason"] = finish
    return built


def call(call_id: str, name: str, arguments: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def response(call_id: str | None, value: Any) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "tool_call_response", "response": value}
    if call_id:
        part["id"] = call_id
    return part


# captures/_openai_scenarios.py and the fake server's fixtures
SYSTEM_PROMPT = "You are a terse geography assistant."
CHAT_QUESTION = "What is the capital of France?"
WEATHER_QUESTION = "What is the weather in Paris?"
STREAM_QUESTION = "What colour is the sky?"
EMBED_INPUT = "The quick brown fox"
ERROR_QUESTION = "Say hello."
CHAT_ANSWER = FIXTURES["chat"]["content"]
FINAL_ANSWER = FIXTURES["chat_after_tool"]["content"]
STREAM_ANSWER = FIXTURES["chat_stream"]["content"]
WEATHER_ARGS = json.loads(FIXTURES["chat_tool_call"]["tool_call"]["arguments"])
WEATHER_RESULT = json.dumps({"city": "Paris", "temperature": 18, "unit": "celsius", "condition": "sunny"})
CALL = call(FIXTURES["chat_tool_call"]["tool_call"]["id"], FIXTURES["chat_tool_call"]["tool_call"]["name"],
            WEATHER_ARGS)
ERROR_MESSAGE = "Error code: 429 - " + FIXTURES["error_429"]["body"]["error"]["message"]


def _call(fixture: str, **more: Any) -> dict[str, Any]:
    """A successful chat completion answered by `fixture`, as every OpenAI instrumentation reports it."""
    found = FIXTURES[fixture]
    usage = found["usage"]
    return {"Category": "LLM", "Operation": "chat", "RequestModel": "gpt-4o-mini", "ResponseModel": found["model"],
            "InputTokens": usage["prompt_tokens"], "OutputTokens": usage["completion_tokens"],
            "TotalTokens": usage["total_tokens"], "FinishReasons": [found["finish_reason"]], **more}


CHAT = _call("chat", Temperature=0.2, MaxTokens=50)
TOOL_CALL = _call("chat_tool_call")
AFTER_TOOL = _call("chat_after_tool")
STREAM = _call("chat_stream")
EMBEDDINGS = {"Category": "EMBEDDING", "Operation": "embeddings", "RequestModel": "text-embedding-3-small",
              "ResponseModel": FIXTURES["embeddings"]["model"], "InputTokens": 5, "TotalTokens": 5}
ERROR = {"Category": "LLM", "Operation": "chat", "RequestModel": "gpt-4o-mini", "ErrorType": "RateLimitError",
         "ErrorMessage": ERROR_MESSAGE}


def _ids(fixture: str) -> dict[str, Any]:
    return {"ResponseId": FIXTURES[fixture]["id"]}


def _cached(fixture: str, reasoning: bool = True) -> dict[str, Any]:
    """Cache-read (and reasoning) tokens, for the libraries that report them."""
    usage = FIXTURES[fixture]["usage"]
    found = {"CacheReadTokens": usage["prompt_tokens_details"]["cached_tokens"]}
    if reasoning:
        found["ReasoningTokens"] = usage["completion_tokens_details"]["reasoning_tokens"]
    return found


def _messages(inputs: list[Any], outputs: list[Any]) -> dict[str, Any]:
    return {"InputMessages": inputs, "OutputMessages": outputs}


CHAT_IN = [text("system", SYSTEM_PROMPT), text("user", CHAT_QUESTION)]
TOOL_IN = [text("user", WEATHER_QUESTION)]
AFTER_TOOL_IN = [text("user", WEATHER_QUESTION), message("assistant", CALL),
                 message("tool", response("call_weather_1", WEATHER_RESULT))]
STREAM_IN = [text("user", STREAM_QUESTION)]
ERROR_IN = [text("user", ERROR_QUESTION)]
APP_SPAN: dict[str, Any] = {}  # the generator's own `weather-agent` span: no AI attributes, nothing filled

Scenario = dict[str, dict[str, Any]]
SCENARIOS: dict[tuple[str, str], Scenario] = {}

# opentelemetry-instrumentation-openai-v2 2.4b0, default (v1.30 semconv, content as log records).
# It records no cache/reasoning tokens, no finish reason for a stream, no streaming flag.
V2 = {"Provider": "openai", "Framework": "openai", "Convention": ["otel_genai"]}
SCENARIOS["openai_v2", "chat"] = {
    "chat gpt-4o-mini": {**V2, **CHAT, **_ids("chat"),
                         **_messages(CHAT_IN, [text("assistant", CHAT_ANSWER, "stop")])},
}
SCENARIOS["openai_v2", "tool_call"] = {
    "weather-agent": APP_SPAN,
    "chat gpt-4o-mini": {**V2, **TOOL_CALL, **_ids("chat_tool_call"),
                         **_messages(TOOL_IN, [message("assistant", CALL, finish="tool_calls")])},
    "chat gpt-4o-mini#2": {**V2, **AFTER_TOOL, **_ids("chat_after_tool"),
                           **_messages(AFTER_TOOL_IN, [text("assistant", FINAL_ANSWER, "stop")])},
}
SCENARIOS["openai_v2", "stream"] = {
    "chat gpt-4o-mini": {**V2, **STREAM, **_ids("chat_stream"), "FinishReasons": [],
                         **_messages(STREAM_IN, [text("assistant", STREAM_ANSWER, "stop")])},
}
SCENARIOS["openai_v2", "embeddings"] = {"embeddings text-embedding-3-small": {**V2, **EMBEDDINGS}}
SCENARIOS["openai_v2", "error"] = {"chat gpt-4o-mini": {**V2, **ERROR, **_messages(ERROR_IN, [])}}

# The same with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental: content on the span; chat
# spans come from opentelemetry-util-genai (scope opentelemetry.util.genai.handler, which names no
# framework), embeddings still from the openai_v2 scope. A stream's finish reason is only in its
# output message.
LATEST = {"Provider": "openai", "Convention": ["otel_genai"]}
SCENARIOS["openai_v2_latest_experimental", "chat"] = {
    "chat gpt-4o-mini": {**LATEST, **CHAT, **_ids("chat"),
                         **_messages(CHAT_IN, [text("assistant", CHAT_ANSWER, "stop")])},
}
SCENARIOS["openai_v2_latest_experimental", "tool_call"] = {
    "weather-agent": APP_SPAN,
    "chat gpt-4o-mini": {**LATEST, **TOOL_CALL, **_ids("chat_tool_call"),
                         **_messages(TOOL_IN, [message("assistant", CALL, finish="tool_calls")])},
    "chat gpt-4o-mini#2": {**LATEST, **AFTER_TOOL, **_ids("chat_after_tool"),
                           **_messages(AFTER_TOOL_IN, [text("assistant", FINAL_ANSWER, "stop")])},
}
SCENARIOS["openai_v2_latest_experimental", "stream"] = {
    "chat gpt-4o-mini": {**LATEST, **STREAM, **_ids("chat_stream"),
                         **_messages(STREAM_IN, [text("assistant", STREAM_ANSWER, "stop")])},
}
SCENARIOS["openai_v2_latest_experimental", "embeddings"] = {
    "embeddings text-embedding-3-small": {**LATEST, **EMBEDDINGS, "Framework": "openai"},
}
SCENARIOS["openai_v2_latest_experimental", "error"] = {
    "chat gpt-4o-mini": {**LATEST, **ERROR, **_messages(ERROR_IN, [])},
}

# openinference-instrumentation-openai: session and user on every span, no response id, output
# messages without finish_reason (llm.finish_reason is separate). The tool loop runs under an
# AGENT span and a TOOL span of the generator's own tracer (no framework, no tool call id).
OI = {"Provider": "openai", "ThreadId": "sess-oi-openai-1", "UserId": "user-oi-openai-1", "Framework": "openai",
      "Convention": ["openinference"]}
OI_APP = {"ThreadId": "sess-oi-openai-1", "UserId": "user-oi-openai-1", "Convention": ["openinference"]}
SCENARIOS["openinference_openai", "chat"] = {
    "ChatCompletion": {**OI, **CHAT, **_cached("chat"), **_messages(CHAT_IN, [text("assistant", CHAT_ANSWER)])},
}
SCENARIOS["openinference_openai", "tool_call"] = {
    "weather-agent": {**OI_APP, "Category": "AGENT", "Operation": "invoke_agent", "AgentName": "weather-agent",
                      **_messages([text("user", WEATHER_QUESTION)], [text("assistant", FINAL_ANSWER)])},
    "ChatCompletion": {**OI, **TOOL_CALL, **_cached("chat_tool_call"),
                       **_messages(TOOL_IN, [message("assistant", CALL)])},
    "get_weather": {**OI_APP, "Category": "TOOL", "Operation": "execute_tool", "ToolName": "get_weather",
                    "ToolArguments": json.dumps(WEATHER_ARGS), "ToolResult": WEATHER_RESULT},
    "ChatCompletion#2": {**OI, **AFTER_TOOL, **_cached("chat_after_tool"),
                         **_messages(AFTER_TOOL_IN, [text("assistant", FINAL_ANSWER)])},
}
SCENARIOS["openinference_openai", "stream"] = {
    "ChatCompletion": {**OI, **STREAM, **_cached("chat_stream"), "Streaming": True, "TimeToFirstTokenMs": Positive(),
                       **_messages(STREAM_IN, [text("assistant", STREAM_ANSWER)])},
}
SCENARIOS["openinference_openai", "embeddings"] = {"CreateEmbeddings": {**OI, **EMBEDDINGS}}
SCENARIOS["openinference_openai", "error"] = {
    # no error.type: the exception event's type, fully qualified as the OTel SDK records it
    "ChatCompletion": {**OI, **ERROR, "ErrorType": "openai.RateLimitError", **_messages(ERROR_IN, [])},
}

# OpenLLMetry's opentelemetry-instrumentation-openai 0.62.4 (semconv-ai 0.5: OTel names), content
# as attributes; gen_ai.is_streaming on every call; no reasoning count on a stream.
LLMETRY = {"Provider": "openai", "Framework": "openai", "Streaming": False, "Convention": ["openllmetry", "otel_genai"]}
SCENARIOS["openllmetry_openai", "chat"] = {
    "openai.chat": {**LLMETRY, **CHAT, **_ids("chat"), **_cached("chat"),
                    **_messages(CHAT_IN, [text("assistant", CHAT_ANSWER, "stop")])},
}
SCENARIOS["openllmetry_openai", "tool_call"] = {
    "weather-agent": APP_SPAN,
    "openai.chat": {**LLMETRY, **TOOL_CALL, **_ids("chat_tool_call"), **_cached("chat_tool_call"),
                    **_messages(TOOL_IN, [message("assistant", CALL, finish="tool_calls")])},
    "openai.chat#2": {**LLMETRY, **AFTER_TOOL, **_ids("chat_after_tool"), **_cached("chat_after_tool"),
                      **_messages(AFTER_TOOL_IN, [text("assistant", FINAL_ANSWER, "stop")])},
}
SCENARIOS["openllmetry_openai", "stream"] = {
    "openai.chat": {**LLMETRY, **STREAM, **_ids("chat_stream"), **_cached("chat_stream", reasoning=False),
                    "Streaming": True, **_messages(STREAM_IN, [text("assistant", STREAM_ANSWER, "stop")])},
}
SCENARIOS["openllmetry_openai", "embeddings"] = {
    "openai.embeddings": {**LLMETRY, **EMBEDDINGS, "CacheReadTokens": 0, **_messages([text("user", EMBED_INPUT)], [])},
}
SCENARIOS["openllmetry_openai", "error"] = {"openai.chat": {**LLMETRY, **ERROR, **_messages(ERROR_IN, [])}}

# The same with use_attributes=False: content as log records. Its tool message names no call id,
# and the stream's gen_ai.choice record carries no trace context, so nothing joins it to the span.
SCENARIOS["openllmetry_openai_events", "chat"] = SCENARIOS["openllmetry_openai", "chat"]
SCENARIOS["openllmetry_openai_events", "tool_call"] = {
    **SCENARIOS["openllmetry_openai", "tool_call"],
    "openai.chat#2": {**SCENARIOS["openllmetry_openai", "tool_call"]["openai.chat#2"], "InputMessages": [
        text("user", WEATHER_QUESTION), message("assistant", CALL), message("tool", response(None, WEATHER_RESULT))]},
}
SCENARIOS["openllmetry_openai_events", "stream"] = {
    "openai.chat": {**SCENARIOS["openllmetry_openai", "stream"]["openai.chat"], "OutputMessages": []},
}
SCENARIOS["openllmetry_openai_events", "embeddings"] = SCENARIOS["openllmetry_openai", "embeddings"]
SCENARIOS["openllmetry_openai_events", "error"] = SCENARIOS["openllmetry_openai", "error"]

# openinference-instrumentation-langchain with fake models (gen_openinference_langchain.py).
# llm.model_name is the configured model here (ls_model_name), read as the response model as for
# OpenAI; the tool's ToolMessage names the call id; chain and prompt spans carry no messages.
LC = {"ThreadId": "sess-lc-1", "UserId": "user-lc-1", "Framework": "langchain", "Convention": ["openinference"]}
LC_CONTEXT = ("You are a travel assistant. Context:\nParis is the capital of France.\n"
              "Paris has a temperate oceanic climate.")
LC_MODEL = {"Category": "LLM", "Operation": "chat", "Provider": "fake", "RequestModel": "fake-tool-model-1",
            "ResponseModel": "fake-tool-model-1"}
LC_CALL = call("call_lc_weather_1", "get_weather", {"city": "Paris"})
LC_TOOL_TEXT = "18 degrees Celsius and sunny in Paris"
SCENARIOS["openinference_langchain", "agent_pipeline"] = {
    "weather_agent": {**LC, "Category": "AGENT", "Operation": "invoke_agent", "AgentName": "weather_agent",
                      **_messages([text("user", WEATHER_QUESTION)], [text("assistant", FINAL_ANSWER)])},
    "KnowledgeBaseRetriever": {**LC, "Category": "RETRIEVAL", "Operation": "retrieval",
                               "RetrievalQuery": WEATHER_QUESTION, "DocumentCount": 2},
    "ChatPromptTemplate": {**LC, "Category": "PROMPT"},
    "FakeToolCallingChatModel": {
        **LC, **LC_MODEL, "InputTokens": 42, "OutputTokens": 11, "TotalTokens": 53, "FinishReasons": ["tool_calls"],
        **_messages([text("system", LC_CONTEXT), text("user", WEATHER_QUESTION)], [message("assistant", LC_CALL)])},
    "get_weather": {**LC, "Category": "TOOL", "Operation": "execute_tool", "ToolName": "get_weather",
                    "ToolCallId": "call_lc_weather_1", "ToolArguments": "Paris",
                    "ToolResult": JsonWith({"data": {"content": LC_TOOL_TEXT, "tool_call_id": "call_lc_weather_1"}})},
    "FakeToolCallingChatModel#2": {
        **LC, **LC_MODEL, "InputTokens": 71, "OutputTokens": 13, "TotalTokens": 84, "CacheReadTokens": 16,
        "ReasoningTokens": 3, "FinishReasons": ["stop"],
        **_messages([text("system", LC_CONTEXT), text("user", WEATHER_QUESTION), message("assistant", LC_CALL),
                     message("tool", response("call_lc_weather_1", LC_TOOL_TEXT))],
                    [text("assistant", FINAL_ANSWER)])},
}
LC_LIST_MODEL = {**LC, "Category": "LLM", "Operation": "chat", "Provider": "fakelistchatmodel"}
SCENARIOS["openinference_langchain", "lcel_chain"] = {
    "RunnableSequence": {**LC, "Category": "CHAIN"},
    "ChatPromptTemplate": {**LC, "Category": "PROMPT"},
    "FakeListChatModel": {**LC_LIST_MODEL, **_messages([text("system", "Translate to French."), text("user", "Hello!")],
                                                       [text("assistant", "Bonjour!")])},
    "StrOutputParser": {**LC, "Category": "CHAIN"},
}
LC_ERROR = {"ErrorType": "ValueError", "ErrorMessage": "post-processing failed (capture scenario)"}
SCENARIOS["openinference_langchain", "chain_error"] = {
    "RunnableSequence": {**LC, "Category": "CHAIN", **LC_ERROR},
    "ChatPromptTemplate": {**LC, "Category": "PROMPT"},
    "FakeListChatModel": {**LC_LIST_MODEL, **_messages([text("user", "What is six times seven?")],
                                                       [text("assistant", "42")])},
    "StrOutputParser": {**LC, "Category": "CHAIN"},
    "explode": {**LC, "Category": "CHAIN", **LC_ERROR},
}

# Vercel AI SDK ai@6 with its mock models (node/capture_vercel.mjs FIXTURES). The outer
# ai.generateText / ai.streamText / ai.embed spans are CHAIN roll-ups: their summed usage is not
# stored (the do* spans carry each step's numbers).
VERCEL = {"Provider": "mock-provider", "ThreadId": "sess-vercel-1", "UserId": "user-vercel-1",
          "AgentName": "weather-agent", "Framework": "vercel_ai", "Convention": ["vercel_ai"]}
VERCEL_MODEL = {**VERCEL, "Category": "LLM", "Operation": "chat", "RequestModel": "mock-model-1",
                "ResponseModel": "mock-model-1-2025-01-01", "Convention": ["otel_genai", "vercel_ai"]}
VERCEL_OUTER = {**VERCEL, "Category": "CHAIN", "RequestModel": "mock-model-1"}
VERCEL_CALL = call("call_vercel_weather_1", "get_weather", {"city": "Paris"})
VERCEL_RESULT = {"city": "Paris", "temperature": 18, "unit": "celsius", "condition": "sunny"}
GENERATE_IN = [text("system", SYSTEM_PROMPT), text("user", CHAT_QUESTION)]


def _vercel_usage(inputs: int, cached: int, outputs: int, reasoning: int) -> dict[str, Any]:
    return {"InputTokens": inputs, "OutputTokens": outputs, "TotalTokens": inputs + outputs,
            "CacheReadTokens": cached, "CacheWriteTokens": 0, "ReasoningTokens": reasoning}


SCENARIOS["vercel_ai", "generate_text"] = {
    "ai.generateText": {**VERCEL_OUTER, "Operation": "ai.generateText", "FinishReasons": ["stop"], "Temperature": 0.2,
                        "MaxTokens": 50, "Streaming": False,
                        **_messages(GENERATE_IN, [text("assistant", CHAT_ANSWER, "stop")])},
    "ai.generateText.doGenerate": {
        **VERCEL_MODEL, **_vercel_usage(31, 8, 9, 2), "FinishReasons": ["stop"], "Temperature": 0.2, "MaxTokens": 50,
        "ResponseId": "resp-vercel-chat-1", "Streaming": False,
        **_messages(GENERATE_IN, [text("assistant", CHAT_ANSWER, "stop")])},
}
SCENARIOS["vercel_ai", "tool_call"] = {
    "ai.generateText": {**VERCEL_OUTER, "Operation": "ai.generateText", "FinishReasons": ["stop"], "Streaming": False,
                        **_messages(TOOL_IN, [text("assistant", FINAL_ANSWER, "stop")])},
    "ai.generateText.doGenerate": {
        **VERCEL_MODEL, **_vercel_usage(57, 0, 17, 0), "FinishReasons": ["tool_calls"],
        "ResponseId": "resp-vercel-tool-1", "Streaming": False,
        **_messages(TOOL_IN, [message("assistant", VERCEL_CALL, finish="tool_calls")])},
    "ai.toolCall": {**VERCEL, "Provider": "", "Category": "TOOL", "Operation": "execute_tool",
                    "ToolName": "get_weather", "ToolCallId": "call_vercel_weather_1",
                    "ToolArguments": '{"city":"Paris"}',
                    "ToolResult": json.dumps(VERCEL_RESULT, separators=(",", ":"))},
    "ai.generateText.doGenerate#2": {
        **VERCEL_MODEL, **_vercel_usage(83, 64, 12, 0), "FinishReasons": ["stop"],
        "ResponseId": "resp-vercel-tool-2", "Streaming": False,
        **_messages([text("user", WEATHER_QUESTION), message("assistant", VERCEL_CALL),
                     message("tool", response("call_vercel_weather_1", VERCEL_RESULT))],
                    [text("assistant", FINAL_ANSWER, "stop")])},
}
SCENARIOS["vercel_ai", "stream_text"] = {
    "ai.streamText": {**VERCEL_OUTER, "Operation": "ai.streamText", "FinishReasons": ["stop"], "Streaming": True,
                      **_messages(STREAM_IN, [text("assistant", STREAM_ANSWER, "stop")])},
    "ai.streamText.doStream": {
        **VERCEL_MODEL, **_vercel_usage(23, 0, 7, 0), "FinishReasons": ["stop"], "ResponseId": "resp-vercel-stream-1",
        "Streaming": True, "TimeToFirstTokenMs": Positive(),
        **_messages(STREAM_IN, [text("assistant", STREAM_ANSWER, "stop")])},
}
SCENARIOS["vercel_ai", "embed"] = {
    "ai.embed": {**VERCEL_OUTER, "Operation": "ai.embed", "RequestModel": "mock-embedding-1"},
    "ai.embed.doEmbed": {**VERCEL, "Category": "EMBEDDING", "Operation": "embeddings",
                         "RequestModel": "mock-embedding-1", "InputTokens": 5, "TotalTokens": 5},
}
VERCEL_ERROR = {"ErrorType": "AI_APICallError", "ErrorMessage": "Rate limit reached (mock)", "Streaming": False,
                **_messages(ERROR_IN, [])}
SCENARIOS["vercel_ai", "generate_text_error"] = {
    "ai.generateText": {**VERCEL_OUTER, "Operation": "ai.generateText", **VERCEL_ERROR},
    "ai.generateText.doGenerate": {**VERCEL_MODEL, "ResponseModel": "", **VERCEL_ERROR},
}


# openinference-instrumentation-llama-index over the real LlamaIndex OpenAI clients
# (gen_openinference_llama_index.py). One chat call is two LLM spans: OpenAI.predict (no usage,
# its input.value is predict's kwargs as JSON) around OpenAI.chat (the usage). One embedding call
# is two EMBEDDING spans. OpenAIEmbedding reports no usage. llm.model_name is the configured model
# (reference §9.12), read as the response model, as for LangChain.
LI = {"ThreadId": "sess-li-1", "UserId": "user-li-1", "Framework": "llama_index", "Convention": ["openinference"]}
LI_LLM = {**LI, "Category": "LLM", "Operation": "chat", "Provider": "openai", "RequestModel": "gpt-4o-mini",
          "ResponseModel": "gpt-4o-mini"}
LI_CHAT = {**LI_LLM, **{column: CHAT[column] for column in ("InputTokens", "OutputTokens", "TotalTokens",
                                                            "FinishReasons")}, **_cached("chat")}
LI_EMBEDDING = {**LI, "Category": "EMBEDDING", "Operation": "embeddings", "RequestModel": "text-embedding-3-small",
                "ResponseModel": "text-embedding-3-small"}
LI_DOCUMENTS = ("Paris is the capital of France.", "Paris has a temperate oceanic climate.")
LI_CHAIN = {**LI, "Category": "CHAIN"}
SCENARIOS["openinference_llama_index", "predict"] = {
    "OpenAI.predict": {**LI_LLM, "InputMessages": TextMessages(("user", CHAT_QUESTION)),
                       "OutputMessages": [text("assistant", CHAT_ANSWER)]},
    "OpenAI.chat": {**LI_CHAT, **_messages([text("user", "Answer briefly: " + CHAT_QUESTION)],
                                           [text("assistant", CHAT_ANSWER)])},
}
SCENARIOS["openinference_llama_index", "query_embedding"] = {
    "OpenAIEmbedding.get_query_embedding": LI_EMBEDDING, "OpenAIEmbedding._get_query_embedding": LI_EMBEDDING}
SCENARIOS["openinference_llama_index", "query_engine"] = {
    "SentenceSplitter.__call__": LI_CHAIN, "SentenceSplitter._parse_nodes": LI_CHAIN,
    "SentenceSplitter.split_text_metadata_aware": LI_CHAIN, "SentenceSplitter.split_text_metadata_aware#2": LI_CHAIN,
    "OpenAIEmbedding.get_text_embedding_batch": LI_EMBEDDING,
    "RetrieverQueryEngine.query": LI_CHAIN, "RetrieverQueryEngine._query": LI_CHAIN,
    "VectorIndexRetriever.retrieve": {**LI, "Category": "RETRIEVAL", "Operation": "retrieval",
                                      "RetrievalQuery": CHAT_QUESTION, "DocumentCount": 2},
    "VectorIndexRetriever._retrieve": {**LI, "Category": "RETRIEVAL", "Operation": "retrieval",
                                       "RetrievalQuery": CHAT_QUESTION},
    "OpenAIEmbedding.get_query_embedding": LI_EMBEDDING, "OpenAIEmbedding._get_query_embedding": LI_EMBEDDING,
    "CompactAndRefine.synthesize": LI_CHAIN, "CompactAndRefine.get_response": LI_CHAIN,
    "TokenTextSplitter.split_text": LI_CHAIN, "CompactAndRefine.get_response#2": LI_CHAIN,
    "TokenTextSplitter.split_text#2": LI_CHAIN, "DefaultRefineProgram.__call__": LI_CHAIN,
    "OpenAI.predict": {**LI_LLM, "InputMessages": TextMessages(("user", CHAT_QUESTION)),
                       "OutputMessages": [text("assistant", CHAT_ANSWER)]},
    # LlamaIndex's own QA prompts around the generator's documents and question
    "OpenAI.chat": {**LI_CHAT, "InputMessages": TextMessages(("system", "Q&A system"), ("user", LI_DOCUMENTS[0])),
                    "OutputMessages": [text("assistant", CHAT_ANSWER)]},
}


# traceloop-sdk (gen_traceloop_sdk.py): set_association_properties inside an @workflow names the
# session and user on every span under it; the workflow's name is stamped on each of them too.
TL = {"ThreadId": "sess-traceloop-1", "UserId": "user-traceloop-1", "WorkflowName": "answer_question"}
TL_DECORATED = {**TL, "Category": "CHAIN", "Framework": "traceloop", "Convention": ["openllmetry"]}
SCENARIOS["traceloop_sdk", "workflow_chat"] = {
    "answer_question.workflow": TL_DECORATED,
    "ask_model.task": TL_DECORATED,
    "openai.chat": {**LLMETRY, **TL, **_call("chat"), **_ids("chat"), **_cached("chat"),
                    **_messages([text("user", CHAT_QUESTION)], [text("assistant", CHAT_ANSWER, "stop")])},
}


def model_calls_of(scenario: str) -> list[tuple[Any, ...]]:
    """The fake-server calls of an OpenAI scenario as (Category, Operation, Provider, models, tokens)."""
    entry = next(e for e in MANIFEST["captures"] if (e["source"], e["scenario"], e["signal"]) ==
                 ("openai_v2", scenario, "traces"))
    calls = []
    for made in entry["fake_server_calls"]:
        embedding = made["path"] == "/v1/embeddings"
        category, operation = ("EMBEDDING", "embeddings") if embedding else ("LLM", "chat")
        if made["status"] != 200:
            calls.append((category, operation, "openai", made["request_model"], "", None, None, None))
            continue
        answer = FIXTURES[made["fixture"]]
        usage = answer["usage"]
        calls.append((category, operation, "openai", made["request_model"], answer["model"], usage["prompt_tokens"],
                      usage.get("completion_tokens"), usage["total_tokens"]))
    return calls


# node/capture_vercel.mjs FIXTURES: (input, output) tokens of each mock model call (node7/capture_vercel7.mjs
# for ai@7 uses the same)
_VERCEL_USAGE = {"generate_text": [(31, 9)], "tool_call": [(57, 17), (83, 12)], "stream_text": [(23, 7)],
                 "embed": [(5, 0)], "generate_text_error": []}


def trace_usage(key: tuple[str, str]) -> dict[str, int]:
    """Tokens the scenario's model calls used in all (each call once), from the generators' fixtures."""
    source, scenario = key
    entry = next(e for e in MANIFEST["captures"] if (e["source"], e["scenario"], e["signal"]) ==
                 (source, scenario, "traces"))
    if source.startswith("vercel_ai"):
        pairs = _VERCEL_USAGE[scenario]
    elif source in ("openinference_llama_index", "traceloop_sdk"):  # LlamaIndex's embeddings report no usage
        pairs = [(FIXTURES[made["fixture"]]["usage"]["prompt_tokens"],
                  FIXTURES[made["fixture"]]["usage"]["completion_tokens"])
                 for made in entry["fake_server_calls"] if made["path"] == "/v1/chat/completions"]
    elif source == "openinference_langchain":
        pairs = [(u["input_tokens"], u["output_tokens"])
                 for u in entry.get("langchain_usage_metadata", {}).values()]
    else:
        pairs = [(c[5] or 0, c[6] or 0) for c in model_calls_of(scenario)]
    inputs, outputs = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    return {"InputTokens": inputs, "OutputTokens": outputs, "TotalTokens": inputs + outputs}


def trace_agent(key: tuple[str, str]) -> str:
    """The agent a scenario's trace belongs to (the earliest span naming one)."""
    if key == ("vercel_ai7", "embed"):
        return ""  # ai@7's OpenTelemetry integration names no agent on embed spans
    if key[0].startswith("vercel_ai"):
        return "weather-agent"  # the telemetry functionId
    return {("openinference_openai", "tool_call"): "weather-agent",
            ("openinference_langchain", "agent_pipeline"): "weather_agent"}.get(key, "")
