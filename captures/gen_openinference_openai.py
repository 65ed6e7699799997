"""Capture openinference-instrumentation-openai (Arize OpenInference conventions).

Output: tests/captures/openinference_openai/. Default TraceConfig (everything visible,
OPENINFERENCE_ENABLE_GENAI_SEMCONV unset). Every scenario runs inside OpenInference's documented
``using_session`` / ``using_user`` context managers; the tool loop runs under an AGENT span and
the tool under a TOOL span made with the OITracer helpers from openinference-instrumentation.

Usage: python captures/gen_openinference_openai.py
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from _harness import Capture, versions
from _openai_scenarios import WEATHER_QUESTION, get_weather, make_client, run_openai_scenarios
from openinference.instrumentation import OITracer, TraceConfig, using_session, using_user
from openinference.instrumentation.openai import OpenAIInstrumentor
from opentelemetry import trace

SOURCE = "openinference_openai"
SESSION_ID = "sess-oi-openai-1"
USER_ID = "user-oi-openai-1"


def main() -> None:
    cap = Capture(
        SOURCE,
        libraries=versions(
            "openinference-instrumentation-openai",
            "openinference-instrumentation",
            "openinference-semantic-conventions",
            "openai",
            "opentelemetry-sdk",
            "opentelemetry-exporter-otlp-proto-http",
        ),
        service_name="capture-openinference-openai",
        notes=[
            f"Each scenario runs inside using_session({SESSION_ID!r}) and using_user({USER_ID!r}).",
            "Instrumented with openinference.instrumentation.openai.OpenAIInstrumentor()"
            ".instrument(tracer_provider=...); default TraceConfig.",
            "llm.provider is absent: OpenInference infers it from the client's base_url host "
            "(api.openai.com -> openai), and the fake server is 127.0.0.1; llm.system=openai is set.",
        ],
    )
    OpenAIInstrumentor().instrument(tracer_provider=cap.tracer_provider)
    oi_tracer = OITracer(trace.get_tracer("spanhouse.captures"), config=TraceConfig())

    @contextmanager
    def context(_scenario: str) -> Iterator[None]:
        with using_session(SESSION_ID), using_user(USER_ID):
            yield

    @contextmanager
    def agent_span(_scenario: str) -> Iterator[Any]:
        with oi_tracer.start_as_current_span("weather-agent", openinference_span_kind="agent") as span:
            span.set_input(WEATHER_QUESTION)
            yield span

    @oi_tracer.tool(name="get_weather", description="Get the current weather for a city.")
    def traced_get_weather(city: str, unit: str = "celsius") -> str:
        return get_weather(city, unit)

    def run_tool(name: str, args: dict[str, Any]) -> str:
        assert name == "get_weather"
        return traced_get_weather(**args)

    client = make_client(cap)
    try:
        run_openai_scenarios(
            cap,
            client,
            context=context,
            agent_span=agent_span,
            run_tool=run_tool,
            session_id=SESSION_ID,
            user_id=USER_ID,
            agent_span_note="Both LLM calls and the tool run under an OpenInference AGENT span "
            "'weather-agent' (OITracer.start_as_current_span(openinference_span_kind='agent'), "
            "input.value = the question, output.value = the final answer); the tool runs as a "
            "TOOL span made by @OITracer.tool(name='get_weather').",
        )
    finally:
        cap.finish()


if __name__ == "__main__":
    main()
