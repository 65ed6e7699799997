"""Golden tables for the Vercel AI SDK ai@7 captures (captures/node7/capture_vercel7.mjs), in the form of golden.py.

Both sources run the same five scenarios with the same mock-model FIXTURES as ai@6, so the model
calls' numbers are those of golden.py's Vercel tables; session and user travel as ai@7's
`runtimeContext` (`ai.settings.context.*`), and the function id names the agent.

* `vercel_ai7`: `@ai-sdk/otel` `OpenTelemetry` (GenAI semconv). Every generateText / streamText
  is wrapped in `invoke_agent <model>` with the step's summed usage, and each step in an
  `agent_step` span (`step N`): both are roll-ups (AGENT / CHAIN), NULL tokens. `embed` nests
  `embeddings` > `embeddings`; only the inner one reports usage. The model-call and tool spans
  carry no runtime context and no agent name: the trace gets them from its `invoke_agent` span
  (trace_context). Reasoning tokens come only from the `usage: true` option's `ai.usage.*` details
  (no GenAI semconv name), which also land on the roll-ups, where they are not stored.
* `vercel_ai7_legacy`: `LegacyOpenTelemetry`, the ai@6 `ai.*` layout: the same canonical columns as
  ai@6 span for span (ai.toolCall now hangs under the first doGenerate, which keeps its usage),
  except that the outer ai.generateText also reports the steps' tool calls.
"""

from __future__ import annotations

from typing import Any

from tests.receive.golden import (
    CHAT_ANSWER,
    CHAT_QUESTION,
    ERROR_IN,
    FINAL_ANSWER,
    SCENARIOS,
    STREAM_ANSWER,
    STREAM_IN,
    SYSTEM_PROMPT,
    TOOL_IN,
    VERCEL_CALL,
    VERCEL_RESULT,
    WEATHER_QUESTION,
    Positive,
    Scenario,
    message,
    response,
    text,
)

SESSION, USER = "sess-vercel7-1", "user-vercel7-1"
CONTEXT = {"ThreadId": SESSION, "UserId": USER}

VERCEL7_SCENARIOS: dict[tuple[str, str], Scenario] = {}

# ---- vercel_ai7: the OpenTelemetry integration
OTEL = {"Provider": "mock-provider", "Framework": "vercel_ai", "Convention": ["otel_genai"]}
# spans that carry ai.settings.context.* (the operation and step spans)
OTEL_CONTEXT = {**CONTEXT, "Framework": "vercel_ai", "Convention": ["otel_genai", "vercel_ai"]}
AGENT = {**OTEL_CONTEXT, "Category": "AGENT", "Operation": "invoke_agent", "Provider": "mock-provider",
         "RequestModel": "mock-model-1", "AgentName": "weather-agent"}
STEP = {**OTEL_CONTEXT, "Category": "CHAIN", "Operation": "agent_step"}
# `usage: true` adds ai.usage.*TokenDetails (reasoning tokens) to the model calls: read by vercel_ai
CHAT = {**OTEL, "Category": "LLM", "Operation": "chat", "RequestModel": "mock-model-1",
        "ResponseModel": "mock-model-1-2025-01-01", "Convention": ["otel_genai", "vercel_ai"]}
GENERATE_IN = [text("system", SYSTEM_PROMPT), text("user", CHAT_QUESTION)]
# the final text with the tool calls of all steps: how both ai@7 integrations report a generateText
FINAL_WITH_CALL = [message("assistant", {"type": "text", "content": FINAL_ANSWER}, VERCEL_CALL, finish="stop")]
AFTER_TOOL_IN = [text("user", WEATHER_QUESTION), message("assistant", VERCEL_CALL),
                 message("tool", response("call_vercel_weather_1", VERCEL_RESULT))]


def _usage(inputs: int, cached: int, outputs: int, reasoning: int = 0) -> dict[str, Any]:
    return {"InputTokens": inputs, "OutputTokens": outputs, "TotalTokens": inputs + outputs,
            "CacheReadTokens": cached, "CacheWriteTokens": 0, "ReasoningTokens": reasoning}


def _messages(inputs: list[Any], outputs: list[Any]) -> dict[str, Any]:
    return {"InputMessages": inputs, "OutputMessages": outputs}


VERCEL7_SCENARIOS["vercel_ai7", "generate_text"] = {
    "invoke_agent mock-model-1": {**AGENT, "FinishReasons": ["stop"], "Temperature": 0.2, "MaxTokens": 50,
                                  **_messages(GENERATE_IN, [text("assistant", CHAT_ANSWER, "stop")])},
    "step 1": STEP,
    "chat mock-model-1": {**CHAT, **_usage(31, 8, 9, 2), "FinishReasons": ["stop"], "Temperature": 0.2,
                          "MaxTokens": 50, "ResponseId": "resp-vercel-chat-1",
                          **_messages(GENERATE_IN, [text("assistant", CHAT_ANSWER, "stop")])},
}
VERCEL7_SCENARIOS["vercel_ai7", "tool_call"] = {
    # the agent's output message holds the final text and every step's tool calls and results
    "invoke_agent mock-model-1": {**AGENT, "FinishReasons": ["stop"], **_messages(TOOL_IN, [FINAL_WITH_CALL[0] | {
        "parts": [*FINAL_WITH_CALL[0]["parts"], response("call_vercel_weather_1", VERCEL_RESULT)]}])},
    "step 1": STEP,
    "chat mock-model-1": {**CHAT, **_usage(57, 0, 17), "FinishReasons": ["tool_calls"],
                          "ResponseId": "resp-vercel-tool-1",
                          **_messages(TOOL_IN, [message("assistant", VERCEL_CALL, finish="tool_calls")])},
    "execute_tool get_weather": {"Framework": "vercel_ai", "Convention": ["otel_genai"], "Category": "TOOL",
                                 "Operation": "execute_tool", "ToolName": "get_weather",
                                 "ToolCallId": "call_vercel_weather_1", "ToolArguments": '{"city":"Paris"}',
                                 "ToolResult": '{"city":"Paris","temperature":18,"unit":"celsius",'
                                               '"condition":"sunny"}'},
    "step 2": STEP,
    "chat mock-model-1#2": {**CHAT, **_usage(83, 64, 12), "FinishReasons": ["stop"],
                            "ResponseId": "resp-vercel-tool-2",
                            **_messages(AFTER_TOOL_IN, [text("assistant", FINAL_ANSWER, "stop")])},
}
VERCEL7_SCENARIOS["vercel_ai7", "stream_text"] = {
    "invoke_agent mock-model-1": {**AGENT, "FinishReasons": ["stop"],
                                  **_messages(STREAM_IN, [text("assistant", STREAM_ANSWER, "stop")])},
    "step 1": STEP,
    "chat mock-model-1": {**CHAT, **_usage(23, 0, 7), "FinishReasons": ["stop"], "ResponseId": "resp-vercel-stream-1",
                          "TimeToFirstTokenMs": Positive(),
                          **_messages(STREAM_IN, [text("assistant", STREAM_ANSWER, "stop")])},
}
EMBEDDING = {**OTEL_CONTEXT, "Category": "EMBEDDING", "Operation": "embeddings", "Provider": "mock-provider",
             "RequestModel": "mock-embedding-1"}
VERCEL7_SCENARIOS["vercel_ai7", "embed"] = {
    # the operation span, then the model call inside it: the only one with usage
    "embeddings mock-embedding-1": EMBEDDING,
    "embeddings mock-embedding-1#2": {**EMBEDDING, "InputTokens": 5, "TotalTokens": 5},
}
ERROR = {"ErrorType": "AI_APICallError", "ErrorMessage": "Rate limit reached (mock)"}
VERCEL7_SCENARIOS["vercel_ai7", "generate_text_error"] = {
    "invoke_agent mock-model-1": {**AGENT, **ERROR, **_messages(ERROR_IN, [])},
    "step 1": {**STEP, **ERROR},
    "chat mock-model-1": {**CHAT, "ResponseModel": "", "Convention": ["otel_genai"], **ERROR,
                          **_messages(ERROR_IN, [])},
}


# ---- vercel_ai7_legacy: LegacyOpenTelemetry, column for column what ai@6 gave, with ai@7's ids
def _legacy(scenario: Scenario) -> Scenario:
    return {name: {**fields, **CONTEXT} if fields.get("ThreadId") else fields for name, fields in scenario.items()}


for _scenario in ("generate_text", "tool_call", "stream_text", "embed", "generate_text_error"):
    VERCEL7_SCENARIOS["vercel_ai7_legacy", _scenario] = _legacy(SCENARIOS["vercel_ai", _scenario])
# one difference: ai@7's outer ai.generateText lists every step's tool calls in ai.response.toolCalls
VERCEL7_SCENARIOS["vercel_ai7_legacy", "tool_call"]["ai.generateText"] = {
    **VERCEL7_SCENARIOS["vercel_ai7_legacy", "tool_call"]["ai.generateText"], "OutputMessages": FINAL_WITH_CALL}

