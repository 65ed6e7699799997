"""Pydantic AI (Logfire format) extras -> canonical fields.

Fixtures follow pydantic-ai-slim `pydantic_ai/models/instrumented.py` and `_instrumentation.py`
(reference §6a): chat spans with `operation.cost`, agent spans with `gen_ai.aggregated_usage.*`.
"""

from __future__ import annotations

from spanhouse.decode.traces import decode_spans
from spanhouse.normalise.conventions import pydantic_ai, view
from spanhouse.normalise.spans import merge, normalise_batch
from tests.factories import export_request, make_span

CHAT = {
    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.system": "openai",
    "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.usage.input_tokens": 42, "gen_ai.usage.output_tokens": 17, "gen_ai.usage.details.reasoning_tokens": 3,
    "gen_ai.usage.details.cache_read_tokens": 10, "operation.cost": 0.00042,
    "gen_ai.conversation.id": "0195c4a2-7e0b-7000-8000-000000000001",
    "gen_ai.response.finish_reasons": ["tool_call"],
    "gen_ai.output.messages": '[{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "w", '
                              '"arguments": "{\\"city\\": \\"Paris\\"}"}], "finish_reason": "tool_call"}]',
}
AGENT = {
    "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather", "agent_name": "weather",
    "model_name": "gpt-4o", "gen_ai.agent.call.id": "run-1", "gen_ai.aggregated_usage.input_tokens": 84,
    "gen_ai.aggregated_usage.output_tokens": 34, "final_result": "Sunny.",
    "pydantic_ai.all_messages": '[{"role": "user", "parts": [{"type": "text", "content": "Weather?"}]}, '
                                '{"role": "assistant", "parts": [{"type": "text", "content": "Sunny."}]}]',
}


def test_a_chat_span_reports_cost_and_usage_details():
    fields, matched = merge(view({key: str(value) if not isinstance(value, list) else '["tool_call"]'
                                  for key, value in CHAT.items()}))
    assert matched == ["otel_genai", "pydantic_ai"]
    assert {key: fields[key] for key in ("total_cost", "cost_source", "reasoning_tokens", "cache_read_tokens",
                                         "finish_reasons", "output_messages")} == {
        "total_cost": 0.00042, "cost_source": "span:operation.cost", "reasoning_tokens": 3, "cache_read_tokens": 10,
        "finish_reasons": ("tool_calls",),
        # §9.3: a JSON-string argument is decoded like the object form of the other emitters
        "output_messages": [{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "w",
                                                             "arguments": {"city": "Paris"}}],
                             "finish_reason": "tool_calls"}],
    }


def test_the_agent_span_is_a_roll_up_and_splits_its_conversation():
    assert pydantic_ai.extract(view({key: str(value) for key, value in AGENT.items()})) == {
        "agent_id": "run-1", "agent_name": "weather", "response_model": "gpt-4o", "rollup": True,
        "input_messages": [{"role": "user", "parts": [{"type": "text", "content": "Weather?"}]}],
        "output_messages": [{"role": "assistant", "parts": [{"type": "text", "content": "Sunny."}]}],
    }


def test_aggregated_usage_is_never_counted():
    batch = normalise_batch(decode_spans(export_request(
        make_span(span=1, name="invoke_agent weather", attributes=AGENT),
        make_span(span=2, parent=1, name="chat gpt-4o", attributes=CHAT), scope="pydantic-ai"), "t"))
    columns = batch.columns
    assert [(columns["Category"][i], columns["InputTokens"][i], columns["TotalCost"][i], columns["AgentId"][i],
             columns["Framework"][i]) for i in range(2)] == [
        ("AGENT", None, None, "run-1", "pydantic_ai"), ("LLM", 42, 0.00042, "", "pydantic_ai")]
