"""Capture OpenLLMetry's OpenAI instrumentation (PyPI ``opentelemetry-instrumentation-openai``, Traceloop).

TRACELOOP_TRACE_CONTENT=true. Two variants (separate processes):

* ``default`` -> tests/captures/openllmetry_openai/: ``OpenAIInstrumentor()`` defaults
  (``use_attributes=True``: prompts/completions go on the span as gen_ai.input/output.messages).
* ``events`` -> tests/captures/openllmetry_openai_events/: ``OpenAIInstrumentor(use_attributes=False)``,
  the library's opt-in events path (content as OTel log records).

OpenLLMetry's documented session/user mechanism
(``Traceloop.set_association_properties``) lives in ``traceloop-sdk``, not in this instrumentation
package, so none is set here. The tool loop runs under a plain application span 'weather-agent'.

Usage: python captures/gen_openllmetry_openai.py [default|events]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

VARIANTS = {"default": ("openllmetry_openai", True), "events": ("openllmetry_openai_events", False)}
ENV = {"TRACELOOP_TRACE_CONTENT": "true"}


def main(variant: str) -> None:
    source, use_attributes = VARIANTS[variant]
    os.environ.update(ENV)  # before the instrumentation is imported / instrumented
    from _harness import Capture, versions
    from _openai_scenarios import make_client, run_openai_scenarios
    from opentelemetry import trace
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    cap = Capture(
        source,
        libraries=versions(
            "opentelemetry-instrumentation-openai",
            "opentelemetry-semantic-conventions-ai",
            "opentelemetry-instrumentation",
            "openai",
            "opentelemetry-sdk",
            "opentelemetry-exporter-otlp-proto-http",
        ),
        service_name=f"capture-{source.replace('_', '-')}",
        env=ENV,
        notes=[
            "No session/user set: OpenLLMetry's documented way (Traceloop.set_association_properties) "
            "is part of traceloop-sdk, which is not used here (instrumentation package only).",
            f"Instrumented with OpenAIInstrumentor(use_attributes={use_attributes})"
            ".instrument(tracer_provider=..., logger_provider=...); no meter provider "
            "(metrics not captured).",
        ],
    )
    OpenAIInstrumentor(use_attributes=use_attributes).instrument(
        tracer_provider=cap.tracer_provider, logger_provider=cap.logger_provider
    )
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
