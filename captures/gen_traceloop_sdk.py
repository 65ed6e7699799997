"""Capture traceloop-sdk (OpenLLMetry's SDK): association properties and workflow/task decorators.

Output: tests/captures/traceloop_sdk/. `Traceloop.init(instruments={OPENAI})` instruments the real
`openai` client against the fake server. `Traceloop.set_association_properties` names the
session and the user inside a `@workflow`, whose `@task` makes the chat call. This is how an
OpenLLMetry app names its conversation (plain instrumentation never sets association properties:
reference §9.16).

Traceloop reuses the harness's TracerProvider. It is given a processor that exports nothing: its
`on_start` stamps the association properties and the workflow name on every span, and the
harness's own exporter sends each span once. Telemetry and metrics are off, so nothing leaves
127.0.0.1.

Runs in its own venv (`.venv-captures-traceloop`, from `requirements-traceloop.txt`, installed
with `--no-deps`). traceloop-sdk depends on ~45 instrumentation packages whose pins do not resolve
together on the registry. Only the OpenAI instrumentation is used, so only what the SDK imports
is installed.

Scenarios:
* workflow_chat: @workflow "answer_question" -> set_association_properties(session, user) ->
  @task "ask_model" -> one chat completion.

Usage: .venv-captures-traceloop/bin/python captures/gen_traceloop_sdk.py
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from _harness import Capture, versions
from openai import OpenAI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

SOURCE = "traceloop_sdk"
SESSION_ID = "sess-traceloop-1"
USER_ID = "user-traceloop-1"
QUESTION = "What is the capital of France?"
ENV = {"TRACELOOP_TRACE_CONTENT": "true", "TRACELOOP_TELEMETRY": "false", "TRACELOOP_METRICS_ENABLED": "false",
       "TRACELOOP_LOGGING_ENABLED": "false"}


class _Nowhere(SpanExporter):
    """Traceloop's processor needs an exporter; the harness's exporter already sends every span."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def main() -> None:
    os.environ.update(ENV)
    from traceloop.sdk import Traceloop  # reads the environment at import
    from traceloop.sdk.decorators import task, workflow
    from traceloop.sdk.instruments import Instruments

    cap = Capture(
        SOURCE,
        libraries=versions("traceloop-sdk", "opentelemetry-instrumentation-openai", "openai", "opentelemetry-sdk",
                           "opentelemetry-exporter-otlp-proto-http"),
        service_name="capture-traceloop-sdk",
        env=ENV,
        notes=[
            "Traceloop.init(app_name='capture-traceloop-sdk', instruments={Instruments.OPENAI}, "
            "telemetry_enabled=False, processor=SimpleSpanProcessor(<exports nothing>)): Traceloop stamps "
            "its attributes in on_start; the harness exports.",
            f"set_association_properties({{'session_id': {SESSION_ID!r}, 'user_id': {USER_ID!r}}}) inside "
            "the workflow, before the task.",
        ],
    )
    Traceloop.init(app_name="capture-traceloop-sdk", api_endpoint=cap.sink.url, telemetry_enabled=False,
                   processor=SimpleSpanProcessor(_Nowhere()), instruments={Instruments.OPENAI})
    client = OpenAI(api_key="sk-spanhouse-fake", base_url=cap.openai_base_url, max_retries=0)

    @task(name="ask_model")
    def ask_model(question: str) -> str:
        answer = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
        return answer.choices[0].message.content or ""

    @workflow(name="answer_question")
    def answer_question(question: str) -> str:
        Traceloop.set_association_properties({"session_id": SESSION_ID, "user_id": USER_ID})
        return ask_model(question)

    try:
        with cap.scenario("workflow_chat", "@workflow answer_question: set_association_properties(session_id, "
                          "user_id), then @task ask_model makes one chat completion.",
                          session_id=SESSION_ID, user_id=USER_ID):
            answer_question(QUESTION)
    finally:
        cap.finish()


if __name__ == "__main__":
    main()
