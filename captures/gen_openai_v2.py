"""Capture opentelemetry-instrumentation-openai-v2 (the official OTel GenAI instrumentation).

Two variants, each a separate process because the library reads its env vars at instrument time:

* ``default``  -> tests/captures/openai_v2/
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true (what the library README documents
      for the legacy/v1.30 path).
* ``latest_experimental`` -> tests/captures/openai_v2_latest_experimental/
      OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental and
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_and_event (content on the span as
      gen_ai.input/output.messages and in a gen_ai.client.inference.operation.details log event).

Usage: python captures/gen_openai_v2.py [default|latest_experimental]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "default": (
        "openai_v2",
        {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"},
    ),
    "latest_experimental": (
        "openai_v2_latest_experimental",
        {
            "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_and_event",
        },
    ),
}


def main(variant: str) -> None:
    source, env = VARIANTS[variant]
    os.environ.update(env)  # before the instrumentation is imported / instrumented
    from _harness import Capture, versions
    from _openai_scenarios import make_client, run_openai_scenarios
    from opentelemetry import trace
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    cap = Capture(
        source,
        libraries=versions(
            "opentelemetry-instrumentation-openai-v2",
            "opentelemetry-util-genai",
            "opentelemetry-instrumentation",
            "opentelemetry-semantic-conventions",
            "openai",
            "opentelemetry-sdk",
            "opentelemetry-exporter-otlp-proto-http",
        ),
        service_name=f"capture-{source.replace('_', '-')}",
        env=env,
        notes=[
            "No session/user mechanism exists in opentelemetry-instrumentation-openai-v2; none set.",
            "Instrumented with OpenAIInstrumentor().instrument(tracer_provider=..., logger_provider=...); "
            "no meter provider (metrics not captured).",
            "server.address / server.port are absent: openai 3.x exposes client.base_url as httpx2.URL, "
            "which the instrumentation's isinstance(base_url, httpx.URL) check does not recognise.",
            "opentelemetry-util-genai is held at 0.4b0: with 1.0b0/1.1b0 is_experimental_mode() always "
            "returns True (the default v1.30 path and CAPTURE_MESSAGE_CONTENT=true stop working), and "
            "1.2b0+ removed the `instruments` module openai-v2 2.4b0 imports (ImportError).",
        ],
    )
    OpenAIInstrumentor().instrument(tracer_provider=cap.tracer_provider, logger_provider=cap.logger_provider)
    tracer = trace.get_tracer("spanhouse.captures")

    @contextmanager
    def agent_span(_scenario: str) -> Iterator[Any]:
        with tracer.start_as_current_span("weather-agent") as span:
            yield span

    client = make_client(cap)
    try:
        run_openai_scenarios(
            cap,
            client,
            agent_span=agent_span,
            agent_span_note="Both calls run under a plain application span 'weather-agent' "
            "(INTERNAL, no attributes, tracer 'spanhouse.captures').",
        )
    finally:
        cap.finish()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "default")
