"""Nested model calls: the outer span of two model-call spans for one call is a roll-up (nesting.py)."""

from __future__ import annotations

from opentelemetry.proto.trace.v1.trace_pb2 import Span

from spanhouse.decode.traces import decode_spans
from spanhouse.normalise.nesting import ROLLED_UP, model_calls, roll_up
from spanhouse.normalise.pricing import PriceTable
from spanhouse.normalise.spans import normalise_batch
from tests.factories import export_request, llm_span, make_span

USAGE = ("InputTokens", "OutputTokens", "TotalTokens", "CacheReadTokens", "ReasoningTokens", "TotalCost",
         "CostSource")


def normalised(*spans: Span, prices: bool = False):
    return normalise_batch(decode_spans(export_request(*spans), "t"), prices=PriceTable.load() if prices else None)


def usage(batch, index: int) -> tuple[object, ...]:
    return tuple(batch.columns[column][index] for column in USAGE)


def embedding_span(span: int, parent: int | None, trace: int = 1) -> Span:
    # Vercel ai@7's OTel integration: `embeddings` > `embeddings`, both with the usage
    return make_span(trace, span, parent, name="embeddings text-embedding-3-small", attributes={
        "gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "text-embedding-3-small", "gen_ai.usage.input_tokens": 8})


def test_an_llm_span_with_an_llm_child_carrying_tokens_is_a_roll_up_and_the_child_keeps_its_usage():
    batch = normalised(llm_span(span=2, parent=1), llm_span(span=3, parent=2), prices=True)
    outer, inner = usage(batch, 0), usage(batch, 1)
    assert outer == (None, None, None, None, None, None, ROLLED_UP)
    assert inner[:3] == (120, 30, 150) and inner[5] is not None and inner[6].startswith("price:")
    assert batch.columns["Category"] == ["LLM", "LLM"]
    # the raw attributes of the roll-up stay
    assert batch.columns["SpanAttributes"][0]["gen_ai.usage.input_tokens"] == "120"


def test_the_child_may_come_first_in_the_request():
    batch = normalised(llm_span(span=3, parent=2), llm_span(span=2, parent=1))
    assert [batch.columns["TotalTokens"][i] for i in (0, 1)] == [150, None]
    assert batch.columns["CostSource"][1] == ROLLED_UP


def test_nested_embeddings_count_once():
    batch = normalised(embedding_span(2, 1), embedding_span(3, 2))
    assert batch.columns["Category"] == ["EMBEDDING", "EMBEDDING"]
    assert batch.columns["InputTokens"] == [None, 8]


def test_three_levels_keep_only_the_innermost():
    batch = normalised(llm_span(span=2, parent=1), llm_span(span=3, parent=2), llm_span(span=4, parent=3))
    assert batch.columns["TotalTokens"] == [None, None, 150]
    assert batch.columns["CostSource"] == [ROLLED_UP, ROLLED_UP, ""]


def test_only_model_call_children_count():
    # ai@7 legacy layout: the ai.toolCall span hangs under the doGenerate model call
    tool = make_span(span=3, parent=2, name="ai.toolCall", attributes={
        "ai.operationId": "ai.toolCall", "ai.toolCall.name": "weather", "ai.toolCall.id": "call_1"})
    batch = normalised(llm_span(span=2, parent=1), tool)
    assert batch.columns["Category"] == ["LLM", "TOOL"]
    assert usage(batch, 0)[:3] == (120, 30, 150)


def test_a_parent_without_tokens_and_a_child_without_tokens_change_nothing():
    # LlamaIndex `OpenAI.predict` (LLM, no usage) > `OpenAI.chat` (LLM, usage)
    predict = make_span(span=2, parent=1, name="OpenAI.predict", attributes={
        "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o"})
    batch = normalised(predict, llm_span(span=3, parent=2))
    assert batch.columns["TotalTokens"] == [None, 150]
    assert batch.columns["CostSource"] == ["", ""]
    batch = normalised(llm_span(span=2, parent=1), make_span(span=3, parent=2, name="OpenAI.chat", attributes={
        "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o"}))
    assert batch.columns["TotalTokens"] == [150, None]


def test_agent_and_chain_roll_ups_are_left_to_their_own_rule():
    agent = make_span(span=2, parent=1, name="invoke_agent", attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "a", "gen_ai.usage.input_tokens": 120})
    batch = normalised(agent, llm_span(span=3, parent=2))
    assert batch.columns["Category"] == ["AGENT", "LLM"]
    assert batch.columns["TotalTokens"] == [None, 150]
    assert batch.columns["CostSource"] == ["", ""]


def test_the_parent_must_be_in_the_same_trace():
    batch = normalised(llm_span(trace=1, span=2, parent=1), llm_span(trace=7, span=3, parent=2))
    assert batch.columns["TotalTokens"] == [150, 150]


def test_model_calls_lists_the_calls_carrying_usage_and_all_calls_and_roll_up_skips_other_spans():
    batch = normalised(llm_span(span=2, parent=1), llm_span(span=3, parent=2),
                       make_span(span=4, parent=1, attributes={"gen_ai.tool.name": "t"}))
    assert model_calls(batch.columns) == ([1], [0, 1])
    roll_up(batch.columns, 2)
    assert batch.columns["CostSource"][2] == ""
    roll_up(batch.columns, 1)
    assert model_calls(batch.columns) == ([], [0, 1])
