"""Add the canonical AI columns to a decoded batch.

For each span, every convention in `REGISTRY` is asked for its fields; the first (highest
priority) convention to supply a field wins it, so explicit values beat derived ones, which
are filled in last (total tokens, a category from tool or token attributes). A span no
convention recognises keeps the empty values and is otherwise stored untouched.
"""

from __future__ import annotations

from spanhouse.decode.traces import SpanBatch
from spanhouse.normalise.conventions import REGISTRY, Convention
from spanhouse.normalise.fields import CANONICAL, CONVENTION_COLUMN, Fields


def merge(attrs: dict[str, str], conventions: tuple[Convention, ...] = REGISTRY) -> tuple[Fields, list[str]]:
    """Canonical fields for one span's attributes, and the names of the conventions that matched."""
    merged: Fields = {}
    matched: list[str] = []
    for convention in conventions:
        fields = convention.extract(attrs)
        if fields is None:
            continue
        matched.append(convention.name)
        for key, value in fields.items():
            merged.setdefault(key, value)
    if matched:
        _derive(merged)
    return merged, matched


def _derive(fields: Fields) -> None:
    if "total_tokens" not in fields:
        inputs, outputs = fields.get("input_tokens"), fields.get("output_tokens")
        if inputs is not None or outputs is not None:
            fields["total_tokens"] = (inputs or 0) + (outputs or 0)
    if "category" not in fields:
        if "tool_name" in fields or "tool_call_id" in fields:
            fields["category"] = "TOOL"
        elif "total_tokens" in fields and ("request_model" in fields or "response_model" in fields):
            fields["category"] = "LLM"


def normalise_batch(batch: SpanBatch, conventions: tuple[Convention, ...] = REGISTRY) -> SpanBatch:
    """Append the canonical columns (see `fields.CANONICAL`) to `batch`, one value per span."""
    outputs = [(field, batch.columns.setdefault(column, []), empty) for field, (column, empty) in CANONICAL.items()]
    matched_column = batch.columns.setdefault(CONVENTION_COLUMN, [])
    for attrs in batch.columns["SpanAttributes"]:
        fields, matched = merge(attrs, conventions)
        if matched:
            get = fields.get
            for field, column, empty in outputs:
                column.append(get(field, empty))
        else:
            for _, column, empty in outputs:
                column.append(empty)
        matched_column.append(matched)
    return batch
