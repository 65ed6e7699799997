"""The canonical AI record: field names, their `otel_traces` columns and their empty values.

Conventions return a `Fields` dict keyed by the names below; the merge in `spans.py` turns
them into columns. The column names are an interface for analysts (see the schema COMMENTs).
"""

from __future__ import annotations

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
}

CONVENTION_COLUMN = "Convention"
CANONICAL_COLUMNS: tuple[str, ...] = (*(column for column, _ in CANONICAL.values()), CONVENTION_COLUMN)

CATEGORIES = frozenset(
    {"LLM", "EMBEDDING", "TOOL", "RETRIEVAL", "RERANKER", "AGENT", "CHAIN", "PROMPT", "MEMORY", "GUARDRAIL",
     "EVALUATOR"}
)
