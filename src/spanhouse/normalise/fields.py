"""The canonical AI record: field names, their `otel_traces` columns and their empty values.

Conventions return a `Fields` dict keyed by the names below; the merge in `spans.py` turns
them into columns. The column names are an interface for analysts (see the schema COMMENTs in
`store/schema/0001_otel_traces.sql` and `0004_otel_traces_ai_columns.sql`). Columns are
inserted in this order, followed by `Convention`.
"""

from __future__ import annotations

import sys
from typing import Any

Fields = dict[str, Any]

# field -> (column, value stored when no convention supplies it)
CANONICAL: dict[str, tuple[str, Any]] = {
    "category": ("Category", ""),
    "operation": ("Operation", ""),
    "provider": ("Provider", ""),
    "request_model": ("RequestModel", ""),
    "response_model": ("ResponseModel", ""),
    "input_tokens": ("InputTokens", None),
    "output_tokens": ("OutputTokens", None),
    "total_tokens": ("TotalTokens", None),
    "cache_read_tokens": ("CacheReadTokens", None),
    "cache_write_tokens": ("CacheWriteTokens", None),
    "reasoning_tokens": ("ReasoningTokens", None),
    "input_cost": ("InputCost", None),
    "output_cost": ("OutputCost", None),
    "total_cost": ("TotalCost", None),
    "thread_id": ("ThreadId", ""),
    "user_id": ("UserId", ""),
    "agent_name": ("AgentName", ""),
    "agent_id": ("AgentId", ""),
    "tool_name": ("ToolName", ""),
    "tool_call_id": ("ToolCallId", ""),
    "finish_reasons": ("FinishReasons", ()),
    "error_type": ("ErrorType", ""),
    "temperature": ("Temperature", None),
    "max_tokens": ("MaxTokens", None),
    # added by 0004_otel_traces_ai_columns.sql
    "retrieval_query": ("RetrievalQuery", ""),
    "document_count": ("DocumentCount", None),
    "response_id": ("ResponseId", ""),
    "framework": ("Framework", ""),
    "streaming": ("Streaming", None),
    "time_to_first_token_ms": ("TimeToFirstTokenMs", None),
    "error_message": ("ErrorMessage", ""),
    "cost_source": ("CostSource", ""),
    "tool_arguments": ("ToolArguments", ""),
    "tool_result": ("ToolResult", ""),
    "input_messages": ("InputMessages", ""),
    "output_messages": ("OutputMessages", ""),
    # added by 0025_otel_traces_content_hashes.sql (content_store.py)
    "input_message_hashes": ("InputMessageHashes", []),
    "output_message_hashes": ("OutputMessageHashes", []),
    "content_attributes": ("ContentAttributes", {}),
    # added by 0041_otel_traces_workflow_tags.sql
    "workflow_name": ("WorkflowName", ""),
    "tags": ("Tags", ()),
}

# Numeric fields -> the (lowest, highest) value their column's ClickHouse type holds
# (store/schema/0001_otel_traces.sql, 0004_otel_traces_ai_columns.sql): a value beyond it is left
# out, so the column is NULL, rather than failing the insert of the whole request; the raw
# attribute in SpanAttributes still holds what was sent. Float64 holds infinities, but a cost or
# a temperature that overflowed is no measurement: only finite values are kept.
_UINT32 = (0, 2**32 - 1)
_UINT64 = (0, 2**64 - 1)
_FLOAT64 = (-sys.float_info.max, sys.float_info.max)
NUMERIC_RANGES: dict[str, tuple[float, float]] = {
    "input_tokens": _UINT64,
    "output_tokens": _UINT64,
    "total_tokens": _UINT64,
    "cache_read_tokens": _UINT64,
    "cache_write_tokens": _UINT64,
    "reasoning_tokens": _UINT64,
    "input_cost": _FLOAT64,
    "output_cost": _FLOAT64,
    "total_cost": _FLOAT64,
    "temperature": _FLOAT64,
    "max_tokens": _UINT64,
    "document_count": _UINT32,
    "time_to_first_token_ms": _FLOAT64,
}

CONVENTION_COLUMN = "Convention"
CANONICAL_COLUMNS: tuple[str, ...] = (*(column for column, _ in CANONICAL.values()), CONVENTION_COLUMN)

CATEGORIES = frozenset(
    {"LLM", "EMBEDDING", "TOOL", "RETRIEVAL", "RERANKER", "AGENT", "CHAIN", "PROMPT", "MEMORY", "GUARDRAIL",
     "EVALUATOR"}
)

TOKEN_FIELDS = ("input_tokens", "output_tokens", "total_tokens", "cache_read_tokens", "cache_write_tokens",
                "reasoning_tokens")
COST_FIELDS = ("input_cost", "output_cost", "total_cost", "cost_source")

# Fields holding prompt or completion content: redacted, truncated to the policy's size, and
# left empty when content capture is off (see content.py).
MESSAGE_FIELDS = ("input_messages", "output_messages")
TEXT_CONTENT_FIELDS = ("retrieval_query", "tool_arguments", "tool_result")
CONTENT_FIELDS = frozenset((*MESSAGE_FIELDS, *TEXT_CONTENT_FIELDS))

# Fields a convention may return that are not columns: instructions to the merge in spans.py.
ROLLUP = "rollup"  # True: this span's usage sums its children's (tokens and cost are not stored)
