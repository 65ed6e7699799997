"""A varied, repeatable AI workload for rollup and cookbook tests: several tenants, services,
agents, models, days, threads and users, errors, tool loops, and traces whose root (the span
naming the thread) is exported in a later request than its children, as BatchSpanProcessor
does for long agent turns."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tests.factories import BASE_NS, export_request, make_span

TENANTS = ("acme", "globex", "initech")
SERVICES = ("support-bot", "research-agent")
AGENTS = ("triage", "researcher", "writer")
MODELS = (("openai", "gpt-4o", "gpt-4o-2024-08-06"), ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
          ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"), ("acme-labs", "house-model-1", ""))
TOOLS = ("search_web", "get_weather", "lookup_order")
DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class Export:
    tenant: str
    request: ExportTraceServiceRequest
    late: bool = False  # a root span whose children were exported earlier: send it after the rest


def _status(rng: random.Random, error_rate: float) -> dict[str, Any]:
    if rng.random() < error_rate:
        return {"status": Status(code=Status.STATUS_CODE_ERROR, message="boom")}
    return {"status": Status(code=Status.STATUS_CODE_OK)} if rng.random() < 0.5 else {}


def workload(seed: int = 7, traces: int = 400, days: int = 4, *, start_ns: int = BASE_NS, day_ns: int = DAY_NS,
             tenants: tuple[str, ...] = TENANTS) -> Iterator[Export]:
    """Export requests carrying `traces` agent turns (a few thousand spans); send the `late` ones last.

    Args:
        seed: seeds every random choice; the same arguments give the same requests.
        traces: agent turns to generate.
        days: turns start on one of this many consecutive days, at any time but its last 10 minutes.
        start_ns: start of the first day (default `tests.factories.BASE_NS`, a fixed past time);
            pass a time near now for queries relative to now().
        day_ns: length of a "day"; shorten it (one hour, say) to pack the turns into recent hours.
        tenants: tenants to draw from. Trace and span ids restart at 1 in every call, so two
            workloads stored in one database need distinct tenants (spans are keyed per tenant).
    """
    rng = random.Random(seed)
    next_span = iter(range(1, 10**9))
    threads = [f"thread-{n}" for n in range(60)]
    for trace in range(1, traces + 1):
        tenant = rng.choice(tenants)
        service = rng.choice(SERVICES)
        agent = rng.choice(AGENTS)
        start = start_ns + rng.randrange(days) * day_ns + rng.randrange(day_ns - 600 * 10**9)
        root_id = next(next_span)
        children: list[Span] = []
        at = start + rng.randrange(10**6, 10**8)
        for _ in range(rng.randint(1, 6)):
            provider, model, response_model = rng.choice(MODELS)
            duration = rng.randrange(50 * 10**6, 8 * 10**9)
            attributes: dict[str, Any] = {
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": provider, "gen_ai.request.model": model,
                "gen_ai.usage.input_tokens": rng.randrange(10, 4000),
                "gen_ai.usage.output_tokens": rng.randrange(1, 800),
            }
            if response_model:
                attributes["gen_ai.response.model"] = response_model
            if rng.random() < 0.3:
                attributes["gen_ai.usage.cache_read.input_tokens"] = rng.randrange(0, 10)
            if rng.random() < 0.2:
                attributes["gen_ai.agent.name"] = agent
            children.append(make_span(trace, next(next_span), root_id, name=f"chat {model}", start_ns=at,
                                      duration_ns=duration, kind=Span.SPAN_KIND_CLIENT, attributes=attributes,
                                      **_status(rng, 0.08)))
            at += duration
            loop = 8 if rng.random() < 0.05 else rng.randint(0, 2)  # now and then an agent stuck in a tool loop
            tool = rng.choice(TOOLS)
            for _ in range(loop):
                duration = rng.randrange(10**6, 2 * 10**9)
                children.append(make_span(trace, next(next_span), root_id, name=f"execute_tool {tool}", start_ns=at,
                                          duration_ns=duration, attributes={
                                              "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool},
                                          **_status(rng, 0.15)))
                at += duration
        if rng.random() < 0.3:
            duration = rng.randrange(10**7, 10**9)
            children.append(make_span(trace, next(next_span), root_id, name="retrieve docs", start_ns=at,
                                      duration_ns=duration, attributes={
                                          "gen_ai.operation.name": "retrieval",
                                          "gen_ai.retrieval.query.text": "refund policy",
                                          "gen_ai.retrieval.documents": '[{"id": "a"}, {"id": "b"}]'}))
            at += duration
        if rng.random() < 0.15:
            children.append(make_span(trace, next(next_span), root_id, name="embeddings", start_ns=at,
                                      duration_ns=30 * 10**6, attributes={
                                          "gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "openai",
                                          "gen_ai.request.model": "text-embedding-3-small",
                                          "gen_ai.usage.input_tokens": rng.randrange(5, 200)}))
        root_attributes: dict[str, Any] = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent}
        if rng.random() < 0.85:  # some turns belong to no conversation
            root_attributes["gen_ai.conversation.id"] = rng.choice(threads)
            root_attributes["user.id"] = f"user-{rng.randrange(25)}"
        root = make_span(trace, root_id, None, name=f"invoke_agent {agent}", start_ns=start,
                         duration_ns=at - start + 10**6, kind=Span.SPAN_KIND_SERVER, attributes=root_attributes,
                         **_status(rng, 0.05))
        if rng.random() < 0.4:  # the root, naming the thread, arrives after its children
            yield Export(tenant, export_request(*children, service=service))
            yield Export(tenant, export_request(root, service=service), late=True)
        else:
            yield Export(tenant, export_request(root, *children, service=service))
