"""Pydantic AI (the format Logfire displays): `gen_ai.*` plus its own extras.

Source: pydantic-ai-slim 2.x `pydantic_ai/models/instrumented.py`, `pydantic_ai/_instrumentation.py`
(reference §6a). The OTel names are read by genai.py; this module reads what Pydantic AI adds:
`operation.cost` (USD, from genai-prices), `gen_ai.usage.details.*`, the agent span's
`gen_ai.aggregated_usage.*` (a roll-up "to prevent double-counting": its tokens are never
stored, and the span is marked a roll-up), `pydantic_ai.all_messages` and the bare `agent_name`
/ `model_name` attributes. `gen_ai.conversation.id` is a fresh UUID per run unless the app gives
one (§9.16): nothing in one span tells the two apart, so it is stored as reported.
"""

from __future__ import annotations

from spanhouse.normalise import messages, values
from spanhouse.normalise.fields import Fields
from spanhouse.normalise.table import Row, SpanView, Table

NAME = "pydantic_ai"

COST = "operation.cost"
AGGREGATED_INPUT = "gen_ai.aggregated_usage.input_tokens"
AGGREGATED_OUTPUT = "gen_ai.aggregated_usage.output_tokens"
ALL_MESSAGES = "pydantic_ai.all_messages"
FINAL_RESULT = "final_result"

TABLE = Table((
    Row(COST, "total_cost", values.amount, "USD; cost_source = span:operation.cost"),
    Row("gen_ai.usage.details.cache_read_tokens", "cache_read_tokens", values.count),
    Row("gen_ai.usage.details.cache_write_tokens", "cache_write_tokens", values.count),
    Row("gen_ai.usage.details.reasoning_tokens", "reasoning_tokens", values.count),
    Row(AGGREGATED_INPUT, "", None, "agent roll-up: never stored, marks the span a roll-up"),
    Row(AGGREGATED_OUTPUT, "", None, "agent roll-up"),
    Row("gen_ai.aggregated_usage.*", "", None, "agent roll-up"),
    Row("gen_ai.agent.call.id", "agent_id", values.text, "per-run id; gen_ai.agent.id wins"),
    Row("agent_name", "agent_name", values.text, "agent span", marker=False),
    Row("model_name", "response_model", values.text, "agent span", marker=False),
    Row(ALL_MESSAGES, "input_messages", None, "JSON, OTel parts; agent span: the conversation, the trailing "
        "assistant messages are the output"),
    Row(FINAL_RESULT, "output_messages", None, "agent span, when there is no all_messages", marker=False),
))


def extract(span: SpanView) -> Fields | None:
    """Canonical fields from Pydantic AI's extra attributes, or None when the span has none."""
    if TABLE.markers.isdisjoint(span.keys):
        return None
    attrs = span.attrs
    fields = TABLE.read(span)
    if "total_cost" in fields:
        fields["cost_source"] = "span:" + COST
    if AGGREGATED_INPUT in span.keys or AGGREGATED_OUTPUT in span.keys:
        fields["rollup"] = True
    if span.content and ALL_MESSAGES in span.keys:
        conversation = messages.coerce(values.json_or_text(attrs[ALL_MESSAGES]), "user")
        split = len(conversation)
        while split and conversation[split - 1]["role"] == "assistant":
            split -= 1
        if conversation[:split]:
            fields["input_messages"] = conversation[:split]
        if conversation[split:]:
            fields["output_messages"] = conversation[split:]
    elif span.content and attrs.get(FINAL_RESULT):
        fields["output_messages"] = [messages.text_message("assistant", attrs[FINAL_RESULT])]
    return fields
