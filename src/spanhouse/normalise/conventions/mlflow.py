"""MLflow Tracing native attributes (`mlflow.*`): every value JSON-encoded, even scalars.

Sources: mlflow-tracing 3.x `mlflow/tracing/constant.py`, `mlflow/entities/span.py`
(reference §6c, §9.2): `mlflow.spanType = "\\"TOOL\\""`, `model = "\\"gpt-4o-mini\\""`.
Token usage and cost are JSON objects. Inputs/outputs are the traced function's arguments and
return value: chat messages (OpenAI format) on LLM/CHAT_MODEL spans, a query and a list of
documents on RETRIEVER spans, anything on TOOL spans. In `MLFLOW_ENABLE_OTEL_GENAI_SEMCONV` mode
MLflow emits `gen_ai.*` instead, with the response model in `gen_ai.request.model` (§9.12);
one span does not reveal that mode, so genai.py reads it as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spanhouse.normalise import messages, providers, values
from spanhouse.normalise.fields import Fields
from spanhouse.normalise.table import Row, SpanView, Table

NAME = "mlflow"

SPAN_TYPE = "mlflow.spanType"
INPUTS = "mlflow.spanInputs"
OUTPUTS = "mlflow.spanOutputs"
FUNCTION_NAME = "mlflow.spanFunctionName"
TOKEN_USAGE = "mlflow.chat.tokenUsage"
COST = "mlflow.llm.cost"

TYPE_CATEGORY = {"LLM": "LLM", "CHAT_MODEL": "LLM", "EMBEDDING": "EMBEDDING", "RETRIEVER": "RETRIEVAL",
                 "RERANKER": "RERANKER", "TOOL": "TOOL", "AGENT": "AGENT", "CHAIN": "CHAIN", "WORKFLOW": "CHAIN",
                 "TASK": "CHAIN", "PARSER": "CHAIN", "MEMORY": "MEMORY", "GUARDRAIL": "GUARDRAIL",
                 "EVALUATOR": "EVALUATOR"}
CATEGORY_OPERATION = {"LLM": "chat", "EMBEDDING": "embeddings", "RETRIEVAL": "retrieval", "TOOL": "execute_tool",
                      "AGENT": "invoke_agent"}
USAGE_KEYS = (("input_tokens", ("input_tokens",)), ("output_tokens", ("output_tokens",)),
              ("total_tokens", ("total_tokens",)), ("cache_read_tokens", ("cache_read_input_tokens",)),
              ("cache_write_tokens", ("cache_creation_input_tokens",)), ("reasoning_tokens", ("reasoning_tokens",)))
COST_KEYS = (("input_cost", ("input_cost",)), ("output_cost", ("output_cost",)),
             ("total_cost", ("total_cost",)))

TABLE = Table((
    Row(SPAN_TYPE, "category", None, "JSON string: LLM/CHAT_MODEL -> LLM, RETRIEVER -> RETRIEVAL, "
        "CHAIN/WORKFLOW/TASK/PARSER -> CHAIN, ..."),
    Row("mlflow.llm.model", "response_model", values.unjson_text),
    Row("model", "request_model", values.unjson_text, "request kwarg copied by autolog", marker=False),
    Row("mlflow.llm.provider", "provider", lambda raw: providers.provider(values.unjson_text(raw)), "JSON string"),
    Row(TOKEN_USAGE, "input_tokens", None, "JSON {input_tokens, output_tokens, total_tokens, "
        "cache_read_input_tokens, cache_creation_input_tokens}"),
    Row(COST, "total_cost", None, "JSON {input_cost, output_cost, total_cost} USD"),
    Row("mlflow.trace.session", "thread_id", values.unjson_text, "trace metadata", marker=False),
    Row("mlflow.trace.user", "user_id", values.unjson_text, "trace metadata", marker=False),
    Row(FUNCTION_NAME, "tool_name", None, "TOOL spans"),
    Row("mlflow.traceRequestId", "", None, "marks the span"),
    Row(INPUTS, "input_messages", None, "JSON; LLM: messages; TOOL: tool_arguments; RETRIEVER: query"),
    Row(OUTPUTS, "output_messages", None, "JSON; LLM: choices[].message; TOOL: tool_result; "
        "RETRIEVER: document_count"),
))


def extract(span: SpanView) -> Fields | None:
    """Canonical fields from MLflow's native attributes, or None when the span has none."""
    if TABLE.markers.isdisjoint(span.keys):
        return None
    attrs = span.attrs
    keys = span.keys
    fields = TABLE.read(span)
    category = TYPE_CATEGORY.get((values.unjson_text(attrs.get(SPAN_TYPE)) or "").upper())
    if category:
        fields["category"] = category
        if category in CATEGORY_OPERATION:
            fields["operation"] = CATEGORY_OPERATION[category]
        if category == "TOOL":
            name = values.unjson_text(attrs.get(FUNCTION_NAME)) or span.name
            if name:
                fields["tool_name"] = name
        elif category == "AGENT" and span.name:
            fields["agent_name"] = span.name
    if TOKEN_USAGE in keys:
        values.numbers_from(values.mapping(attrs[TOKEN_USAGE]), USAGE_KEYS, values.count, fields)
    if COST in keys:
        values.numbers_from(values.mapping(attrs[COST]), COST_KEYS, values.amount, fields)
        if "total_cost" in fields or "input_cost" in fields:
            fields["cost_source"] = "span:" + COST
    if category == "RETRIEVAL" and OUTPUTS in keys:
        documents = _decoded(attrs[OUTPUTS])
        if isinstance(documents, list):
            fields["document_count"] = len(documents)
    if span.content:
        _content(attrs, category, fields)
    return fields


def _decoded(raw: str | None) -> Any:
    decoded = values.loads(raw)
    return values.loads(decoded) if isinstance(decoded, str) and decoded.startswith(("[", "{")) else decoded


def _content(attrs: Mapping[str, str], category: str | None, fields: Fields) -> None:
    raw_inputs, raw_outputs = attrs.get(INPUTS), attrs.get(OUTPUTS)
    if category == "TOOL":
        if raw_inputs:
            fields["tool_arguments"] = raw_inputs
        if raw_outputs:
            fields["tool_result"] = raw_outputs
        return
    inputs, outputs = _decoded(raw_inputs), _decoded(raw_outputs)
    if category == "RETRIEVAL":
        query = inputs.get("query") if isinstance(inputs, Mapping) else inputs
        if isinstance(query, str) and query:
            fields["retrieval_query"] = query
        return
    if category in ("LLM", "AGENT", "CHAIN", None):
        found_in = messages.coerce(inputs, "user") if isinstance(inputs, Mapping | list) else []
        found_out = messages.coerce(outputs, "assistant") if isinstance(outputs, Mapping | list | str) else []
        if found_in:
            fields["input_messages"] = found_in
        if found_out:
            fields["output_messages"] = found_out
