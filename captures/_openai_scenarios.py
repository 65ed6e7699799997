"""The five OpenAI-client scenarios shared by the three OpenAI instrumentations.

Every generator runs the same calls against the fake server so the payloads are comparable; the
hooks let each ecosystem add what is natural there (session/user context, a parent span, a tool
span).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import openai
from _harness import Capture
from openai import OpenAI

SYSTEM_PROMPT = "You are a terse geography assistant."
CHAT_QUESTION = "What is the capital of France?"
WEATHER_QUESTION = "What is the weather in Paris?"
STREAM_QUESTION = "What colour is the sky?"
EMBED_INPUT = "The quick brown fox"
ERROR_QUESTION = "Say hello."

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
WEATHER_RESULT = {"city": "Paris", "temperature": 18, "unit": "celsius", "condition": "sunny"}


def get_weather(city: str, unit: str = "celsius") -> str:
    return json.dumps({**WEATHER_RESULT, "city": city, "unit": unit})


def make_client(cap: Capture) -> OpenAI:
    # max_retries=0 so the 429 scenario produces exactly one HTTP call / one span.
    return OpenAI(api_key="sk-spanhouse-fake", base_url=cap.openai_base_url, max_retries=0)


Ctx = Callable[[str], AbstractContextManager[Any]]


def run_openai_scenarios(
    cap: Capture,
    client: OpenAI,
    *,
    context: Ctx = lambda scenario: nullcontext(),
    agent_span: Ctx = lambda scenario: nullcontext(),
    run_tool: Callable[[str, dict[str, Any]], str] | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
    agent_span_note: str | None = None,
) -> None:
    ids = {"session_id": session_id, "user_id": user_id}

    with (
        cap.scenario(
            "chat",
            "Non-streaming chat completion (system + user message), temperature=0.2, max_tokens=50.",
            **ids,
        ),
        context("chat"),
    ):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": CHAT_QUESTION},
            ],
            temperature=0.2,
            max_tokens=50,
        )

    with (
        cap.scenario(
            "tool_call",
            "Two chat completions of a tool loop: call 1 offers tool get_weather and gets back tool call "
            "call_weather_1 (finish_reason tool_calls); the tool runs locally; call 2 sends the assistant "
            "tool-call message plus the role=tool result and gets the final answer."
            + (f" {agent_span_note}" if agent_span_note else ""),
            **ids,
        ),
        context("tool_call"),
        agent_span("tool_call") as agent,
    ):
        messages: list[dict[str, Any]] = [{"role": "user", "content": WEATHER_QUESTION}]
        first = client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL], tool_choice="auto"
        )
        call = first.choices[0].message.tool_calls[0]
        args = json.loads(call.function.arguments)
        result = run_tool(call.function.name, args) if run_tool else get_weather(**args)
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.function.name, "arguments": call.function.arguments},
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
        final = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL])
        if agent is not None and hasattr(agent, "set_output"):  # OpenInference span helper
            agent.set_output(final.choices[0].message.content)

    with (
        cap.scenario(
            "stream",
            "Streaming chat completion with stream_options.include_usage=true; the stream is read to the end.",
            **ids,
        ),
        context("stream"),
    ):
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": STREAM_QUESTION}],
            stream=True,
            stream_options={"include_usage": True},
        )
        text = "".join((c.choices[0].delta.content or "") for c in stream if c.choices and c.choices[0].delta)
        assert text == "The sky is blue today.", text

    with (
        cap.scenario(
            "embeddings",
            f"One embeddings call, input {EMBED_INPUT!r}, model text-embedding-3-small (client default "
            "encoding_format, which the openai client sends as base64).",
            **ids,
        ),
        context("embeddings"),
    ):
        client.embeddings.create(model="text-embedding-3-small", input=EMBED_INPUT)

    with (
        cap.scenario(
            "error",
            "Chat completion answered with HTTP 429 rate_limit_exceeded; client max_retries=0 so there "
            "is exactly one attempt and openai.RateLimitError is raised.",
            expect_error=openai.RateLimitError,
            **ids,
        ),
        context("error"),
    ):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": ERROR_QUESTION}],
            extra_headers={"X-Fake-Error": "429"},
        )
