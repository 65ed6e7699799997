"""Tokens counted once when one model call is wrapped in two model-call spans.

Some instrumentations nest a model-call span in another that reports the same usage: LlamaIndex
(`OpenAI.predict` / `OpenAI.chat`, the embedding `get_query_embedding` / `_get_query_embedding`
pairs), Vercel ai@7's `embeddings` > `embeddings`, or two instrumentations of one client.
Per-trace and per-thread totals must equal the sum over the innermost calls.

Why at ingest: `trace_rollup` and the daily/hourly/minute metrics are summed by materialized views
from each row as it is inserted, and rows are never rewritten. A query-time rule would have to be
repeated in every rollup and could not undo what the views already added. So the outer span's
usage is marked as a roll-up before the insert: its token and cost columns are NULL, CostSource is
`rollup:children`, and its raw attributes stay in SpanAttributes.

The rule: a *model call* is a span of category LLM or EMBEDDING that carries token usage. A model
call with a model-call child (same trace, the child's ParentSpanId is its SpanId) is a roll-up. Only
model-call children count. In ai@7's legacy layout the `ai.toolCall` span (TOOL) hangs under the
`doGenerate` model call, which must keep its usage. AGENT and CHAIN spans never count (`spans.derive`
already nulls their usage).

Where it is applied:
  * within one request, by `roll_up_nested`, called at the end of `spans.normalise_batch`;
  * across requests, in the server process (`store/nesting.py`). Children usually end, and so are
    exported, before their parents, so it remembers the parents of recent model calls for the dedup
    window. A later request that holds one of those parents as a model call is encoded again with
    that span rolled up (`roll_up`), as dedup re-encodes a request without its copies.
Limit: a parent stored *before* its child arrives keeps its usage. Stored rows are not rewritten,
and the rollups have already counted it, so the call is counted twice. This happens only when a
parent is exported ahead of its child (separate processes or exporters for the two spans).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spanhouse.normalise.fields import CANONICAL, COST_FIELDS, TOKEN_FIELDS, Fields

MODEL_CATEGORIES = frozenset({"LLM", "EMBEDDING"})
ROLLED_UP = "rollup:children"  # CostSource of a model call whose usage is counted on its children

_USAGE_COLUMNS = tuple(CANONICAL[field][0] for field in (*TOKEN_FIELDS, *COST_FIELDS) if field != "cost_source")
_COST_SOURCE = CANONICAL["cost_source"][0]
_CATEGORY = CANONICAL["category"][0]
_TOTAL_TOKENS = CANONICAL["total_tokens"][0]


def carries_usage(fields: Fields) -> bool:
    """Whether normalised `fields` are a model call that reports tokens (a candidate roll-up)."""
    return fields.get("category") in MODEL_CATEGORIES and fields.get("total_tokens") is not None


def roll_up(columns: dict[str, list[Any]], index: int) -> None:
    """Mark the model call at row `index` as a roll-up: NULL tokens and cost, CostSource `rollup:children`."""
    if columns[_CATEGORY][index] not in MODEL_CATEGORIES:
        return
    for column in _USAGE_COLUMNS:
        columns[column][index] = None
    columns[_COST_SOURCE][index] = ROLLED_UP


def roll_up_nested(columns: dict[str, list[Any]], calls: Sequence[int]) -> None:
    """Roll up every model call among the rows `calls` that is the parent of another one of them.

    Args:
        columns: a normalised batch's columns.
        calls: row indices of the model calls that carry usage (`carries_usage`).
    """
    if len(calls) < 2:
        return
    traces, spans, parents = columns["TraceId"], columns["SpanId"], columns["ParentSpanId"]
    # the usual batch has no nesting at all: span ids alone tell, without building pairs
    if {parents[index] for index in calls}.isdisjoint([spans[index] for index in calls]):
        return
    parent_ids = {(traces[index], parents[index]) for index in calls if parents[index]}
    for index in calls:
        if (traces[index], spans[index]) in parent_ids:
            roll_up(columns, index)


def model_calls(columns: dict[str, list[Any]]) -> tuple[list[int], list[int]]:
    """Row indices of the model calls: (those still carrying usage, all of them incl. roll-ups)."""
    categories, totals, sources = columns[_CATEGORY], columns[_TOTAL_TOKENS], columns[_COST_SOURCE]
    models = MODEL_CATEGORIES
    calls = [index for index, category in enumerate(categories) if category in models]
    carrying = [index for index in calls if totals[index] is not None]
    return carrying, [index for index in calls if totals[index] is not None or sources[index] == ROLLED_UP]
