"""Add the canonical AI columns to a decoded batch.

Per span, in one pass:
  1. The span's attribute keys are intersected once with every key the conventions' tables
     read (a C-level set operation; cached per sequence of attribute keys, which the spans of one
     instrumentation repeat); a span with none of them, or none of a convention's marker keys,
     is not an AI span: it gets the empty values and is stored untouched.
  2. Content policy, before anything is read: with capture on, the content attributes (every
     convention's exact content keys, the matched conventions' content prefixes) and the
     attributes of GenAI content events are redacted in place; with capture off, every
     convention's content attributes are removed after extraction (content.py). Spans that no
     convention matches are not touched.
  3. Every matched convention in `REGISTRY` order is asked for its fields; the first (highest
     priority) convention to supply a field wins it, so explicit values beat derived ones,
     which are filled in last (`derive`).
  4. Derived fields (`derive`): total tokens = input + output when not reported; a category
     from tool or token attributes when no convention gave one; roll-ups; framework; errors.
  5. A number its column's type cannot hold (a document count past UInt32, an overflowed cost)
     is left out, so that column is NULL (`fields.NUMERIC_RANGES`); the raw attribute keeps it.
Roll-up rule: token and cost columns count only the span's own model call. A span whose usage
sums its children's (category AGENT or CHAIN, e.g. Vercel `ai.generateText` and ai@7 / OTel util
`invoke_agent`; a convention's explicit roll-up marker such as Pydantic AI's
`gen_ai.aggregated_usage.*`; a `fetch_response` operation, which re-reads an earlier response)
gets NULL tokens and cost; its raw attributes stay in SpanAttributes. A model-call span whose
child in the same request is a model call with usage (LlamaIndex, ai@7 `embeddings` > `embeddings`)
is rolled up after the pass (nesting.py, which also says how requests apart are handled).
Thread, user and agent resolution across the spans of a trace is likewise trace-level, not here.
Errors: on an AI span that failed (status Error, an `error.type`, or Langfuse level ERROR),
ErrorMessage is the last `exception` event's `exception.message`, else the status message
(OpenInference puts a whole traceback there), and ErrorType falls back to that event's
`exception.type`. TimeToFirstTokenMs falls back to the first-chunk span event's offset from the
span start (OpenInference `First Token Stream Event`, Vercel `ai.stream.firstChunk`). Non-AI spans keep their status and
events only in the OTLP columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spanhouse.decode.traces import SpanBatch
from spanhouse.normalise import providers
from spanhouse.normalise.content import DEFAULT_POLICY, ContentPolicy, clip
from spanhouse.normalise.content_store import move_attributes
from spanhouse.normalise.conventions import KNOWN, REGISTRY, Convention, known_keys
from spanhouse.normalise.costs import price_call
from spanhouse.normalise.fields import (
    CANONICAL,
    CONTENT_FIELDS,
    CONVENTION_COLUMN,
    COST_FIELDS,
    NUMERIC_RANGES,
    ROLLUP,
    TOKEN_FIELDS,
    Fields,
)
from spanhouse.normalise.nesting import MODEL_CATEGORIES, roll_up_nested
from spanhouse.normalise.pricing import PriceTable
from spanhouse.normalise.span_content import redact_span, remove_content, render_fields
from spanhouse.normalise.table import Event, SpanView

ROLLUP_CATEGORIES = frozenset({"AGENT", "CHAIN"})
EXCEPTION_EVENT = "exception"
# span events marking the first streamed chunk: OpenInference, Vercel AI SDK
FIRST_TOKEN_EVENTS = frozenset({"First Token Stream Event", "ai.stream.firstChunk"})

_MAX_CACHED = 4096
_UNSEEN: Any = object()
_NOT_ROLLED_UP = (*TOKEN_FIELDS, *COST_FIELDS)


class _Plan:
    """What a key set implies, cached: the matched conventions and their content keys/prefixes."""

    __slots__ = ("content_keys", "content_prefixes", "conventions", "keys")

    def __init__(self, keys: frozenset[str], conventions: Sequence[Convention]) -> None:
        self.keys = keys
        self.conventions = tuple(c for c in conventions if not c.table.markers.isdisjoint(keys))
        # exact content keys of every convention (free: `keys` is already known), prefix families
        # only of the matched ones (scanning for them costs a pass over the attributes)
        self.content_keys = tuple(keys & frozenset().union(*(c.table.content_keys for c in conventions)))
        self.content_prefixes = tuple(dict.fromkeys(p for c in self.conventions for p in c.table.content_prefixes))


class _Registry:
    """Per conventions tuple: the keys they read and the plans of the key sets seen so far."""

    __slots__ = ("content_prefixes", "conventions", "known", "plans", "shapes")

    def __init__(self, conventions: tuple[Convention, ...]) -> None:
        self.conventions = conventions
        self.known = KNOWN if conventions is REGISTRY else known_keys(conventions)
        self.content_prefixes = tuple(dict.fromkeys(p for c in conventions for p in c.table.content_prefixes))
        self.plans: dict[frozenset[str], _Plan] = {}
        # the plan (None: not an AI span) of each attribute key sequence seen: the spans of one
        # instrumentation repeat theirs, and a tuple of keys is cheaper than their intersection
        self.shapes: dict[tuple[str, ...], _Plan | None] = {}

    def shape(self, attrs: dict[str, str], shape: tuple[str, ...]) -> _Plan | None:
        keys = self.known.intersection(attrs)
        plan = self.plan(keys) if keys else None
        if plan is not None and not plan.conventions:
            plan = None
        if len(self.shapes) >= _MAX_CACHED:
            self.shapes.clear()
        self.shapes[shape] = plan
        return plan

    def plan(self, keys: frozenset[str]) -> _Plan:
        plan = self.plans.get(keys)
        if plan is None:
            if len(self.plans) >= _MAX_CACHED:
                self.plans.clear()
            plan = self.plans[keys] = _Plan(keys, self.conventions)
        return plan


_registries: dict[int, _Registry] = {}


def _registry(conventions: tuple[Convention, ...]) -> _Registry:
    registry = _registries.get(id(conventions))
    if registry is None or registry.conventions is not conventions:
        registry = _registries[id(conventions)] = _Registry(conventions)
    return registry


def _content_keys(attrs: dict[str, str], plan: _Plan) -> list[str]:
    if not plan.content_prefixes:
        return list(plan.content_keys)
    return [*plan.content_keys, *(key for key in attrs if key.startswith(plan.content_prefixes))]


def merge(span: SpanView, conventions: tuple[Convention, ...] = REGISTRY) -> tuple[Fields, list[str]]:
    """Canonical fields for one span (before `derive`), and the names of the conventions that matched."""
    return _merge(span, _registry(conventions).plan(span.keys).conventions)


def _merge(span: SpanView, conventions: tuple[Convention, ...]) -> tuple[Fields, list[str]]:
    if len(conventions) == 1:
        fields = conventions[0].extract(span)
        return (fields, [conventions[0].name]) if fields is not None else ({}, [])
    merged: Fields | None = None
    matched: list[str] = []
    for convention in conventions:
        fields = convention.extract(span)
        if fields is None:
            continue
        matched.append(convention.name)
        if merged is None:
            merged = fields
        else:
            for key, value in fields.items():
                merged.setdefault(key, value)
    return merged or {}, matched


def derive(fields: Fields, span: SpanView, status: str = "Unset", status_message: str = "") -> None:
    """Fill the derived fields of a matched span in place (see the module doc)."""
    rollup = fields.pop(ROLLUP, False)
    if "total_tokens" not in fields:
        inputs, outputs = fields.get("input_tokens"), fields.get("output_tokens")
        if inputs is not None or outputs is not None:
            fields["total_tokens"] = (inputs or 0) + (outputs or 0)
    category = fields.get("category")
    if not category:
        if "tool_name" in fields or "tool_call_id" in fields:
            fields["category"] = "TOOL"
        elif "total_tokens" in fields and ("request_model" in fields or "response_model" in fields):
            fields["category"] = "LLM"
    if rollup or category in ROLLUP_CATEGORIES or fields.get("operation") == "fetch_response":
        for field in _NOT_ROLLED_UP:
            fields.pop(field, None)
    if span.scope:
        framework = providers.framework_of_scope(span.scope)
        if framework:
            fields["framework"] = framework
    if span.events and "time_to_first_token_ms" not in fields:
        for (name, _), time_ns in zip(span.events, span.event_times, strict=False):
            if name in FIRST_TOKEN_EVENTS and time_ns >= span.start_ns:
                fields["time_to_first_token_ms"] = (time_ns - span.start_ns) / 1e6
                break
    if status == "Error" or "error_type" in fields or "error_message" in fields:
        _error(fields, span.events, status_message)


def _error(fields: Fields, events: Sequence[Event], status_message: str) -> None:
    # the exception message is the most precise: status messages may hold a whole traceback
    message = fields.get("error_message") or ""
    for name, attrs in reversed(events):
        if name == EXCEPTION_EVENT:
            message = message or attrs.get("exception.message", "")
            if "error_type" not in fields and attrs.get("exception.type"):
                fields["error_type"] = attrs["exception.type"]
            break
    message = message or status_message
    if message:
        fields["error_message"] = message
    else:
        fields.pop("error_message", None)


def normalise_batch(
    batch: SpanBatch, policy: ContentPolicy = DEFAULT_POLICY, conventions: tuple[Convention, ...] = REGISTRY,
    prices: PriceTable | None = None,
) -> SpanBatch:
    """Append the canonical columns (see `fields.CANONICAL`) to `batch`, one value per span.

    Spans already normalised by an earlier call on the same batch are skipped. Content
    attributes in SpanAttributes / SpanAttributeTypes / Events.Attributes are redacted or removed
    in place, as `policy` says.

    Args:
        batch: a decoded batch (`decode.traces.decode_spans`).
        policy: content capture, size cap and redaction (default: capture, 16 KiB, default patterns).
        conventions: the conventions to apply, highest priority first.
        prices: price table for spans that report tokens but no cost (`costs.py`); None: no pricing.
    """
    columns = batch.columns
    matched_column = columns.setdefault(CONVENTION_COLUMN, [])
    attrs_column = columns["SpanAttributes"]
    start = len(matched_column)
    # every column starts with the empty value for every new span; AI spans overwrite theirs
    targets: dict[str, list[Any]] = {}
    for field, (column, empty) in CANONICAL.items():
        targets[field] = values = columns.setdefault(column, [])
        values.extend([empty] * (len(attrs_column) - len(values)))
    registry = _registry(conventions)
    shapes, new_shape = registry.shapes, registry.shape
    types_column = columns["SpanAttributeTypes"]
    names, scopes = columns["SpanName"], columns["ScopeName"]
    statuses, status_messages = columns["StatusCode"], columns["StatusMessage"]
    event_names, event_attrs = columns["Events.Name"], columns["Events.Attributes"]
    event_times, starts = columns["Events.Timestamp"], columns["Timestamp"]
    capture, redact, max_bytes = policy.capture, bool(policy.redact), policy.max_bytes
    blobs = batch.content if policy.deduplicate else None
    span = SpanView({}, frozenset(), content=capture)
    target = targets.get
    content_fields = CONTENT_FIELDS
    calls: list[int] = []  # model calls carrying usage, for roll_up_nested
    model_categories = MODEL_CATEGORIES
    numeric_ranges = tuple(NUMERIC_RANGES.items())
    for index in range(start, len(attrs_column)):
        attrs = attrs_column[index]
        shape = tuple(attrs)
        plan = shapes.get(shape, _UNSEEN)
        if plan is _UNSEEN:
            plan = new_shape(attrs, shape)
        if plan is None:
            matched_column.append([])
            continue
        # plan.keys is the first equal key set seen: the tables' caches then match it by identity
        span.attrs, span.keys, span.name, span.scope = attrs, plan.keys, names[index], scopes[index]
        span.start_ns = starts[index]
        here = event_names[index]
        if here:
            span.events = tuple(zip(here, event_attrs[index], strict=False))
            span.event_times = event_times[index]
        else:
            span.events = ()
        if capture and redact and (plan.content_keys or plan.content_prefixes or here):
            redact_span(attrs, plan.content_keys, plan.content_prefixes, span.events, policy)
        fields, matched = _merge(span, plan.conventions)
        matched_column.append(matched)
        if not matched:
            continue
        derive(fields, span, statuses[index], status_messages[index])
        if prices is not None:
            price_call(fields, prices)
        for field, (lowest, highest) in numeric_ranges:
            value = fields.get(field)
            if value is not None and not lowest <= value <= highest:  # NaN too
                del fields[field]
        if fields.get("total_tokens") is not None and fields.get("category") in model_categories:
            calls.append(index)  # nesting.carries_usage, inline
        if capture:
            sent: dict[str, list[int]] = {}
            if not content_fields.isdisjoint(fields):
                render_fields(fields, max_bytes, blobs, sent)
            if blobs is not None and (plan.content_keys or plan.content_prefixes):
                moved = move_attributes(attrs, _content_keys(attrs, plan), blobs, sent)
                if moved:
                    fields["content_attributes"] = moved
        else:
            for field in CONTENT_FIELDS:
                fields.pop(field, None)
            remove_content(attrs, types_column[index], plan.content_keys, registry.content_prefixes, span.events)
        if "error_message" in fields:
            fields["error_message"] = policy.redact_text(clip(fields["error_message"], max_bytes))
        try:
            for field, value in fields.items():
                targets[field][index] = value
        except KeyError:  # a field that is no column (none today): write the others
            for field, value in fields.items():
                output = target(field)
                if output is not None:
                    output[index] = value
    roll_up_nested(columns, calls)
    return batch
