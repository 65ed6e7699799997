"""`spanhouse demo`: realistic AI agent traces sent through the official OpenTelemetry SDK exporter.

Each trace is one turn of a support conversation: an agent span, an LLM call that asks for a
tool, a knowledge-base retrieval, the tool call, and a final LLM answer, with token usage,
OpenTelemetry GenAI attributes and the messages (each model call sees the conversation so far, as
a chat application sends it). Each conversation belongs to one user. Some turns fail the way
production agents do (a rate-limited model call, a tool that times out), and one question carries
an e-mail address, which the default content policy masks. Times are set explicitly, so the demo
needs no sleeping.

The demo checks what it sent arrived: the SDK exporter only logs a failed export, and a demo that
reports success while nothing was stored sends a newcomer to a 404.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from spanhouse.errors import SpanhouseError

MODELS = (("openai", "gpt-4o", "gpt-4o-2024-08-06"), ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
          ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"))
TOOLS = ("get_order_status", "refund_order", "search_catalog", "update_address")
QUESTIONS = ("Where is my order #{n}?", "Can I get a refund for order #{n}?", "Do you sell size {n} boots?",
             "Please change my delivery address for order #{n}.",
             "Order #{n} never arrived, please write to me at jane.doe@example.com")
SYSTEM_PROMPT = "You are the support agent of an online shop. Use the tools to look orders up; be brief."
ANSWERS = ("Your order #{n} left our warehouse yesterday and should arrive within two days.",
           "I have started the refund for order #{n}; you will see it within five business days.",
           "Yes, size {n} is in stock in black and brown.",
           "Done: order #{n} will go to your new address.",
           "I am sorry about order #{n}. I have opened a claim with the carrier and will e-mail you.")
OTLP_LOGGERS = "opentelemetry.exporter"  # where the SDK exporters report a failed export


@dataclass(frozen=True, slots=True)
class DemoResult:
    trace_ids: list[str]
    threads: list[str]


@dataclass(slots=True)
class _Conversation:
    user: str
    messages: list[dict[str, object]] = field(default_factory=list)  # the history every model call is sent


class DemoNotDelivered(SpanhouseError):
    """Spans of the demo did not reach spanhouse."""


def otlp_http_traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for `endpoint`, given as the base URL or already as `.../v1/traces`."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/traces") else base + "/v1/traces"


def make_exporter(endpoint: str, protocol: str, api_key: str = "") -> SpanExporter:
    """The official OTLP exporter; `api_key` goes in `Authorization: Bearer` when given."""
    headers = {"authorization": f"Bearer {api_key}"} if api_key else None
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        return GrpcExporter(endpoint=endpoint, insecure=True, headers=headers)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

    return HttpExporter(endpoint=otlp_http_traces_url(endpoint), headers=headers)


def check_listening(endpoint: str, timeout_s: float = 2.0) -> None:
    """Fail at once, naming the address, when nothing accepts connections at `endpoint`.

    Without this the exporter retries for its whole timeout and then only logs the failure.
    """
    parsed = urlparse(endpoint if "://" in endpoint else f"tcp://{endpoint}")
    host, port = parsed.hostname or "127.0.0.1", parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise DemoNotDelivered(f"nothing answers at {host}:{port} ({exc.strerror or exc}): is spanhouse running? "
                               "Start it with `make run` (or `spanhouse serve`) and try again.") from exc


class _Delivery(SpanExporter):
    """The exporter, counting the spans it could not deliver and keeping the SDK's reason."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner
        self.failed = 0
        self.reasons = _Reasons()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = self.inner.export(spans)
        if result is not SpanExportResult.SUCCESS:
            self.failed += len(spans)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)


class _Reasons(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        self.last = record.getMessage()


def send_demo(exporter: SpanExporter, traces: int = 30, seed: int | None = None) -> DemoResult:
    """Send `traces` agent turns (about 5 spans each) and flush; return their trace ids.

    Raises:
        DemoNotDelivered: the exporter failed to deliver some spans (the SDK's last complaint is in the message).
    """
    if traces < 1:
        raise ValueError(f"traces must be at least 1, got {traces}")
    rng = random.Random(seed)
    delivery = _Delivery(exporter)
    provider = TracerProvider(resource=Resource.create(
        {"service.name": "support-agent", "service.version": "1.4.2", "deployment.environment.name": "demo"}
    ))
    provider.add_span_processor(BatchSpanProcessor(delivery))
    tracer = provider.get_tracer("spanhouse.demo", "1.0")
    now = time.time_ns()
    threads = [f"thread-{rng.getrandbits(32):08x}" for _ in range(max(1, traces // 3))]
    conversations = {thread: _Conversation(f"user-{rng.randint(1, 9)}") for thread in threads}
    trace_ids = []
    otlp_logger = logging.getLogger(OTLP_LOGGERS)
    otlp_logger.addHandler(delivery.reasons)
    try:
        for turn in range(traces):
            start = now - (traces - turn) * 20_000_000_000 - rng.randint(0, 5_000_000_000)
            thread = rng.choice(threads)
            trace_ids.append(_turn(tracer, rng, start, thread, conversations[thread]))
        provider.force_flush()
        provider.shutdown()
    finally:
        otlp_logger.removeHandler(delivery.reasons)
    if delivery.failed:
        reason = f" (the exporter said: {delivery.reasons.last})" if delivery.reasons.last else ""
        raise DemoNotDelivered(f"{delivery.failed} of the demo's spans were not delivered{reason}")
    return DemoResult(trace_ids, threads)


def _ms(rng: random.Random, low: int, high: int) -> int:
    return rng.randint(low, high) * 1_000_000


def _text(role: str, content: str) -> dict[str, object]:
    return {"role": role, "parts": [{"type": "text", "content": content}]}


def _turn(tracer: Tracer, rng: random.Random, start: int, thread: str, conversation: _Conversation) -> str:
    provider, model, response_model = rng.choice(MODELS)
    tool = rng.choice(TOOLS)
    topic = rng.randrange(len(QUESTIONS))
    number = rng.randint(1000, 9999)
    question = QUESTIONS[topic].format(n=number)
    conversation.messages.append(_text("user", question))
    agent = tracer.start_span("invoke_agent support_agent", kind=SpanKind.INTERNAL, start_time=start, attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support_agent",
        "gen_ai.agent.id": "agent-support-v2", "gen_ai.conversation.id": thread, "user.id": conversation.user,
    })
    trace_id = format(agent.get_span_context().trace_id, "032x")
    ctx = trace_api.set_span_in_context(agent)
    clock = start + _ms(rng, 2, 10)

    call_id = f"call_{rng.getrandbits(64):016x}"

    def llm(finish: str, prompt_tokens: int, completion_tokens: int, fail: bool = False) -> int:
        nonlocal clock
        span = tracer.start_span(f"chat {model}", context=ctx, kind=SpanKind.CLIENT, start_time=clock, attributes={
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": provider, "gen_ai.request.model": model,
            "gen_ai.request.temperature": 0.2, "gen_ai.request.max_tokens": 1024,
            "gen_ai.conversation.id": thread, "server.address": f"api.{provider}.com",
            "gen_ai.system_instructions": json.dumps([{"type": "text", "content": SYSTEM_PROMPT}]),
            "gen_ai.input.messages": json.dumps(conversation.messages),
        })
        duration = _ms(rng, 400, 2500)
        if fail:
            span.set_attribute("error.type", "RateLimitError")
            span.record_exception(RuntimeError("429 Too Many Requests: rate limit reached"), timestamp=clock + duration)
            span.set_status(Status(StatusCode.ERROR, "429 Too Many Requests: rate limit reached"))
        else:
            if finish == "tool_calls":
                reply: dict[str, object] = {"role": "assistant", "parts": [
                    {"type": "tool_call", "id": call_id, "name": tool, "arguments": {"order_id": str(number)}}]}
            else:
                reply = _text("assistant", ANSWERS[topic].format(n=number))
            conversation.messages.append(reply)
            span.set_attributes({
                "gen_ai.response.model": response_model, "gen_ai.response.id": f"resp_{rng.getrandbits(48):012x}",
                "gen_ai.usage.input_tokens": prompt_tokens, "gen_ai.usage.output_tokens": completion_tokens,
                "gen_ai.response.finish_reasons": [finish],
                "gen_ai.output.messages": json.dumps([{**reply, "finish_reason": finish}]),
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
        tool_span = tracer.start_span(f"execute_tool {tool}", context=ctx, kind=SpanKind.INTERNAL, start_time=clock,
                                      attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool,
                                                  "gen_ai.tool.call.id": call_id, "gen_ai.tool.type": "function",
                                                  "gen_ai.tool.call.arguments": json.dumps({"order_id": str(number)})})
        clock += _ms(rng, 50, 900)
        if failure < 0.12:
            tool_span.set_attribute("error.type", "TimeoutError")
            tool_span.record_exception(TimeoutError(f"{tool} timed out after 5s"), timestamp=clock)
            tool_span.set_status(Status(StatusCode.ERROR, f"{tool} timed out after 5s"))
            result = f"error: {tool} timed out after 5s"
        else:
            result = json.dumps({"order_id": str(number), "status": "ok"})
            tool_span.set_attribute("gen_ai.tool.call.result", result)
        tool_span.end(end_time=clock)
        conversation.messages.append(
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": call_id, "response": result}]})
        llm("stop", rng.randint(1500, 4000), rng.randint(60, 400))
    if failure < 0.05:
        agent.set_status(Status(StatusCode.ERROR, "model call failed"))
    agent.end(end_time=clock + _ms(rng, 1, 5))
    return trace_id
