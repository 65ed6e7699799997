"""`spanhouse demo`: realistic AI agent traces sent through the official OpenTelemetry SDK exporter.

Each trace is one turn of a support conversation: an agent span, an LLM call that asks for a
tool, a knowledge-base retrieval, the tool call, and a final LLM answer, with token usage and
OpenTelemetry GenAI attributes. Some turns fail the way production agents do (a rate-limited
model call, a tool that times out). Times are set explicitly, so the demo needs no sleeping.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

MODELS = (("openai", "gpt-4o", "gpt-4o-2024-08-06"), ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
          ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"))
TOOLS = ("get_order_status", "refund_order", "search_catalog", "update_address")
QUESTIONS = ("Where is my order #{n}?", "Can I get a refund for order #{n}?", "Do you sell size {n} boots?",
             "Please change my delivery address for order #{n}.")


@dataclass(frozen=True, slots=True)
class DemoResult:
    trace_ids: list[str]
    threads: list[str]


def make_exporter(endpoint: str, protocol: str, api_key: str = "") -> SpanExporter:
    """The official OTLP exporter; `api_key` goes in `Authorization: Bearer` when given."""
    headers = {"authorization": f"Bearer {api_key}"} if api_key else None
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        return GrpcExporter(endpoint=endpoint, insecure=True, headers=headers)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

    return HttpExporter(endpoint=endpoint.rstrip("/") + "/v1/traces", headers=headers)


def send_demo(exporter: SpanExporter, traces: int = 30, seed: int | None = None) -> DemoResult:
    """Send `traces` agent turns (about 5 spans each) and flush; return their trace ids."""
    rng = random.Random(seed)
    provider = TracerProvider(resource=Resource.create(
        {"service.name": "support-agent", "service.version": "1.4.2", "deployment.environment.name": "demo"}
    ))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("spanhouse.demo", "1.0")
    now = time.time_ns()
    threads = [f"thread-{rng.getrandbits(32):08x}" for _ in range(max(1, traces // 3))]
    trace_ids = []
    for turn in range(traces):
        start = now - (traces - turn) * 20_000_000_000 - rng.randint(0, 5_000_000_000)
        trace_ids.append(_turn(tracer, rng, start, rng.choice(threads), f"user-{rng.randint(1, 9)}"))
    provider.force_flush()
    provider.shutdown()
    return DemoResult(trace_ids, threads)


def _ms(rng: random.Random, low: int, high: int) -> int:
    return rng.randint(low, high) * 1_000_000


def _turn(tracer: Tracer, rng: random.Random, start: int, thread: str, user: str) -> str:
    provider, model, response_model = rng.choice(MODELS)
    tool = rng.choice(TOOLS)
    question = rng.choice(QUESTIONS).format(n=rng.randint(1000, 9999))
    agent = tracer.start_span("invoke_agent support_agent", kind=SpanKind.INTERNAL, start_time=start, attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support_agent",
        "gen_ai.agent.id": "agent-support-v2", "gen_ai.conversation.id": thread, "user.id": user,
    })
    trace_id = format(agent.get_span_context().trace_id, "032x")
    ctx = trace_api.set_span_in_context(agent)
    clock = start + _ms(rng, 2, 10)

    def llm(finish: str, prompt_tokens: int, completion_tokens: int, fail: bool = False) -> int:
        nonlocal clock
        span = tracer.start_span(f"chat {model}", context=ctx, kind=SpanKind.CLIENT, start_time=clock, attributes={
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": provider, "gen_ai.request.model": model,
            "gen_ai.request.temperature": 0.2, "gen_ai.request.max_tokens": 1024,
            "gen_ai.conversation.id": thread, "server.address": f"api.{provider}.com",
        })
        duration = _ms(rng, 400, 2500)
        if fail:
            span.set_attribute("error.type", "RateLimitError")
            span.record_exception(RuntimeError("429 Too Many Requests: rate limit reached"), timestamp=clock + duration)
            span.set_status(Status(StatusCode.ERROR, "429 Too Many Requests: rate limit reached"))
        else:
            span.set_attributes({
                "gen_ai.response.model": response_model, "gen_ai.response.id": f"resp_{rng.getrandbits(48):012x}",
                "gen_ai.usage.input_tokens": prompt_tokens, "gen_ai.usage.output_tokens": completion_tokens,
                "gen_ai.response.finish_reasons": [finish],
            })
        span.end(end_time=clock + duration)
        clock += duration + _ms(rng, 1, 20)
        return duration

    failure = rng.random()
    llm("tool_calls", rng.randint(300, 1500), rng.randint(20, 80), fail=failure < 0.05)
    if failure >= 0.05:
        retrieval = tracer.start_span("retrieval knowledge_base", context=ctx, kind=SpanKind.CLIENT, start_time=clock,
                                      attributes={"gen_ai.operation.name": "retrieval",
                                                  "gen_ai.data_source.id": "knowledge_base",
                                                  "gen_ai.retrieval.query.text": question})
        clock += _ms(rng, 30, 200)
        retrieval.end(end_time=clock)
        call_id = f"call_{rng.getrandbits(64):016x}"
        tool_span = tracer.start_span(f"execute_tool {tool}", context=ctx, kind=SpanKind.INTERNAL, start_time=clock,
                                      attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool,
                                                  "gen_ai.tool.call.id": call_id, "gen_ai.tool.type": "function"})
        clock += _ms(rng, 50, 900)
        if failure < 0.12:
            tool_span.set_attribute("error.type", "TimeoutError")
            tool_span.record_exception(TimeoutError(f"{tool} timed out after 5s"), timestamp=clock)
            tool_span.set_status(Status(StatusCode.ERROR, f"{tool} timed out after 5s"))
        tool_span.end(end_time=clock)
        llm("stop", rng.randint(1500, 4000), rng.randint(60, 400))
    if failure < 0.05:
        agent.set_status(Status(StatusCode.ERROR, "model call failed"))
    agent.end(end_time=clock + _ms(rng, 1, 5))
    return trace_id
