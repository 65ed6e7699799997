"""Through the real receiver: a model call wrapped in two model-call spans counts once in the
trace rollup, the daily metrics and the trace timeline, whichever request each span came in."""

from __future__ import annotations

import httpx
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from spanhouse.normalise.nesting import ROLLED_UP
from tests.factories import export_request, hex_id, llm_span, make_span

PROTOBUF = {"Content-Type": "application/x-protobuf"}
TRACE = 42


def turn() -> tuple[Span, Span, Span]:
    """An agent turn: agent > LLM wrapper (usage 120/30) > LLM call (the same usage)."""
    agent = make_span(TRACE, 1, name="invoke_agent", attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "helper", "gen_ai.conversation.id": "th-1"})
    wrapper = llm_span(TRACE, 2, parent=1)
    call = llm_span(TRACE, 3, parent=2)
    return agent, wrapper, call


def send(server, *spans: Span) -> None:
    response = httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
                          headers=PROTOBUF, timeout=30)
    assert response.status_code == 200


def totals(server, query) -> list[tuple[int, int, int]]:
    rollup = query("SELECT sum(input_token_sum), sum(output_token_sum), sum(total_token_sum) FROM trace_rollup")
    daily = query("SELECT sum(input_tokens), sum(output_tokens), sum(total_tokens) FROM daily_metrics")
    doc = httpx.get(f"{server.api}/api/v1/traces/{hex_id(TRACE)}", timeout=30).json()["totals"]
    return [*rollup, *daily, (doc["input_tokens"], doc["output_tokens"], doc["total_tokens"])]


def cost_sources(query) -> list[tuple[str, str]]:
    return query("SELECT SpanId, CostSource FROM otel_traces ORDER BY SpanId")


def costs(server, query) -> list[float]:
    """The trace's cost in trace_rollup, daily_metrics and the timeline, and the price of the one call."""
    [(rollup, daily, call)] = query("SELECT (SELECT sum(cost_sum) FROM trace_rollup), "
                                    "(SELECT sum(total_cost) FROM daily_metrics), "
                                    "(SELECT sum(TotalCost) FROM otel_traces WHERE CostSource != '')")
    doc = httpx.get(f"{server.api}/api/v1/traces/{hex_id(TRACE)}", timeout=30).json()["totals"]
    return [round(value, 9) for value in (rollup, daily, doc["cost_usd"], call)]


def test_wrapper_and_call_in_one_request_count_once(server, query):
    send(server, *turn())
    assert totals(server, query) == [(120, 30, 150)] * 3
    assert cost_sources(query) == [(hex_id(1, 8), ""), (hex_id(2, 8), ROLLED_UP), (hex_id(3, 8), "price:gpt-4o")]
    assert costs(server, query) == [0.0006] * 4


def test_the_call_exported_before_its_wrapper_counts_once(server, query):
    agent, wrapper, call = turn()
    send(server, call)  # children end first, so an SDK often exports them in an earlier batch
    send(server, agent, wrapper)
    assert totals(server, query) == [(120, 30, 150)] * 3
    assert cost_sources(query)[1] == (hex_id(2, 8), ROLLED_UP)
    assert costs(server, query) == [0.0006] * 4


def test_the_wrapper_is_rolled_up_after_a_restart_too(server_factory, query):
    agent, wrapper, call = turn()
    first = server_factory()
    send(first, call)
    first.__exit__(None, None, None)
    second = server_factory()
    send(second, agent, wrapper)
    assert totals(second, query) == [(120, 30, 150)] * 3


def test_a_wrapper_stored_before_its_call_is_counted_twice_the_documented_limit(server, query):
    agent, wrapper, call = turn()
    send(server, agent, wrapper)
    send(server, call)
    assert totals(server, query) == [(240, 60, 300)] * 3


def test_a_tool_under_a_model_call_in_a_later_request_leaves_the_call_its_usage(server, query):
    tool = make_span(TRACE, 4, parent=2, name="ai.toolCall", attributes={
        "ai.operationId": "ai.toolCall", "ai.toolCall.name": "weather", "ai.toolCall.id": "call_1"})
    agent, wrapper, _ = turn()
    send(server, tool)
    send(server, agent, wrapper)
    assert totals(server, query) == [(120, 30, 150)] * 3
