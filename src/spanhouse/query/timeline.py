"""Span rows of one trace -> the timeline document served at `GET /api/v1/traces/{id}`.

Pure: takes the rows `sql/trace_spans.sql` returns. The document lists every span once, in
depth-first order (children by start time) so a client can draw a waterfall top to bottom;
each span carries its depth, parent and children. Spans whose parent never arrived, and spans
caught in a parent cycle (malformed input), are shown as roots and flagged `orphan`.
A span id seen twice (an exporter retry) is shown once.

Each span also gets its self time and its place on the critical path (`critical_path.py`
defines both), and an error type and message when it failed; the trace gets `totals` over its
spans (the same sums as `trace_rollup`) and `error_spans`, the failed spans in timeline order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from spanhouse.decode.attributes import typed_map, typed_value
from spanhouse.normalise.content_store import inflate_attribute, referenced_hashes
from spanhouse.normalise.events import messages_from_event
from spanhouse.query.critical_path import critical_path, self_time_ns
from spanhouse.query.reader import Row
from spanhouse.query.responses import amount, count

NS_PER_MS = 1_000_000
MAX_ERROR_SPANS = 100


def rfc3339_ns(ns: int) -> str:
    seconds, fraction = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction:09d}Z"


def _ms(ns: int) -> float:
    return round(ns / NS_PER_MS, 6)


def _messages(text: str) -> list[Any]:
    if not text:
        return []
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return [{"role": "unknown", "parts": [{"type": "text", "content": text}]}]
    return value if isinstance(value, list) else [value]


def _ai(row: Row) -> dict[str, Any] | None:
    if not row["Category"] and not row["Convention"]:
        return None
    return {
        "category": row["Category"],
        "operation": row["Operation"],
        "provider": row["Provider"],
        "request_model": row["RequestModel"],
        "response_model": row["ResponseModel"],
        "tokens": {
            "input": row["InputTokens"],
            "output": row["OutputTokens"],
            "total": row["TotalTokens"],
            "cache_read": row["CacheReadTokens"],
            "cache_write": row["CacheWriteTokens"],
            "reasoning": row["ReasoningTokens"],
        },
        "cost_usd": {"input": row["InputCost"], "output": row["OutputCost"], "total": row["TotalCost"],
                     "source": row["CostSource"]},
        # A span that does not name its thread, user or agent inherits the trace's.
        "thread_id": row["ThreadId"] or row["TraceThreadId"],
        "user_id": row["UserId"] or row["TraceUserId"],
        "agent": {"name": row["AgentName"] or row["TraceAgentName"], "id": row["AgentId"]},
        "tool": {"name": row["ToolName"], "call_id": row["ToolCallId"], "arguments": row["ToolArguments"],
                 "result": row["ToolResult"]},
        "retrieval": {"query": row["RetrievalQuery"], "document_count": row["DocumentCount"]},
        "finish_reasons": list(row["FinishReasons"]),
        "error_type": row["ErrorType"],
        "error_message": row["ErrorMessage"],
        "request": {"temperature": row["Temperature"], "max_tokens": row["MaxTokens"], "streaming": row["Streaming"]},
        "response_id": row["ResponseId"],
        "framework": row["Framework"],
        "time_to_first_token_ms": row["TimeToFirstTokenMs"],
        "messages": {"input": _messages(row["InputMessages"]), "output": _messages(row["OutputMessages"]),
                     "source": "span" if row["InputMessages"] or row["OutputMessages"] else None},
        "conventions": list(row["Convention"]),
    }


def _error_detail(row: Row) -> tuple[str | None, str | None]:
    """(type, message) of a failed span: the AI error fields, else the status message and the
    first `exception` event (OTel's record of a raised exception)."""
    if row["StatusCode"] != "Error":
        return None, None
    exception: dict[str, str] = next(
        (attrs for name, attrs in zip(row["EventNames"], row["EventAttributes"], strict=True) if name == "exception"),
        {})
    kind = row.get("ErrorType") or exception.get("exception.type") or None
    message = row.get("ErrorMessage") or row["StatusMessage"] or exception.get("exception.message") or None
    return kind, message


def _span(row: Row, trace_start: int) -> dict[str, Any]:
    start = row["StartNs"]
    error_type, error_message = _error_detail(row)
    return {
        "span_id": row["SpanId"],
        "parent_span_id": row["ParentSpanId"] or None,
        "name": row["SpanName"],
        "kind": row["SpanKind"],
        "service": row["ServiceName"],
        "scope": {"name": row["ScopeName"], "version": row["ScopeVersion"]},
        "start_time": rfc3339_ns(start),
        "start_offset_ms": _ms(start - trace_start),
        "duration_ms": _ms(row["Duration"]),
        "status": {"code": row["StatusCode"], "message": row["StatusMessage"]},
        "error": row["StatusCode"] == "Error",
        "error_type": error_type,
        "error_message": error_message,
        "trace_state": row["TraceState"],
        "ai": _ai(row),
        "attributes": typed_map(row["SpanAttributes"], row["SpanAttributeTypes"]),
        "resource": typed_map(row["ResourceAttributes"], row["ResourceAttributeTypes"]),
        "events": [
            {"time": rfc3339_ns(t), "offset_ms": _ms(t - trace_start), "name": name, "attributes": attrs}
            for t, name, attrs in zip(row["EventTimesNs"], row["EventNames"], row["EventAttributes"], strict=True)
        ],
        "links": [
            {"trace_id": trace_id, "span_id": span_id, "attributes": attrs}
            for trace_id, span_id, attrs in zip(
                row["LinkTraceIds"], row["LinkSpanIds"], row["LinkAttributes"], strict=True
            )
        ],
    }


def build_timeline(trace_id: str, rows: Iterable[Row], truncated: bool = False) -> dict[str, Any] | None:
    """The timeline document, or None when there are no rows."""
    unique: dict[str, Row] = {}
    for row in rows:
        unique.setdefault(row["SpanId"], row)
    if not unique:
        return None
    ordered = sorted(unique.values(), key=lambda r: (r["StartNs"], r["SpanId"]))
    trace_start = ordered[0]["StartNs"]
    trace_end = max(r["StartNs"] + r["Duration"] for r in ordered)
    spans = {r["SpanId"]: _span(r, trace_start) for r in ordered}
    children: dict[str, list[str]] = {span_id: [] for span_id in spans}
    roots: list[str] = []
    for span_id, span in spans.items():
        parent = span["parent_span_id"]
        if parent and parent in spans and parent != span_id:
            children[parent].append(span_id)
        else:
            span["orphan"] = bool(parent)
            roots.append(span_id)

    flat: list[dict[str, Any]] = []
    seen: set[str] = set()

    def walk(start: str) -> None:
        # Iterative depth-first walk: a trace can be deeper than Python's recursion limit.
        stack = [(start, 0)]
        while stack:
            span_id, depth = stack.pop()
            if span_id in seen:
                continue
            seen.add(span_id)
            span = spans[span_id]
            span.setdefault("orphan", False)
            span["depth"] = depth
            span["children"] = children[span_id]
            flat.append(span)
            stack.extend((child, depth + 1) for child in reversed(children[span_id]))

    for root in roots:
        walk(root)
    for span_id in spans:  # only spans on a parent cycle are still unvisited
        if span_id not in seen:
            spans[span_id]["orphan"] = True
            roots.append(span_id)
            walk(span_id)

    intervals = {r["SpanId"]: (r["StartNs"], r["StartNs"] + r["Duration"]) for r in ordered}
    # The tree as walked: a span listed under a parent that is not its tree parent (the edge that
    # closed a parent cycle) is not that parent's child here.
    root_set = set(roots)
    tree = {span_id: [c for c in children[span_id] if c not in root_set] for span_id in spans}
    path = critical_path(intervals, tree, roots, [s["span_id"] for s in flat])
    for span in flat:
        span_id = span["span_id"]
        span["self_time_ms"] = _ms(self_time_ns(intervals[span_id], [intervals[c] for c in tree[span_id]]))
        span["critical_path"] = span_id in path.attributed_ns
        span["critical_path_ms"] = _ms(path.attributed_ns.get(span_id, 0))

    errors = [s for s in flat if s["error"]]
    first = ordered[0]
    return {
        "trace_id": trace_id,
        "thread_id": first["TraceThreadId"] or None,
        "user_id": first["TraceUserId"] or None,
        "agent_name": first["TraceAgentName"] or None,
        "start_time": rfc3339_ns(trace_start),
        "duration_ms": _ms(trace_end - trace_start),
        "span_count": len(flat),
        "error_count": len(errors),
        "services": sorted({s["service"] for s in flat}),
        "root_span_ids": roots,
        "orphan_count": sum(1 for s in flat if s["orphan"]),
        "truncated": truncated,
        "totals": totals(ordered, trace_end - trace_start),
        "critical_path_gaps_ms": _ms(path.gaps_ns),
        "error_spans": [{"span_id": s["span_id"], "name": s["name"], "service": s["service"],
                         "type": s["error_type"], "message": s["error_message"]} for s in errors[:MAX_ERROR_SPANS]],
        "spans": flat,
    }


def totals(rows: Iterable[Row], wall_time_ns: int) -> dict[str, Any]:
    """Per-trace totals, summed as trace_rollup sums them (unreported tokens and unknown costs as 0)."""
    counts = {"LLM": 0, "TOOL": 0, "RETRIEVAL": 0, "EMBEDDING": 0}
    spans = errors = input_tokens = output_tokens = total_tokens = 0
    cost = 0.0
    for row in rows:
        spans += 1
        if row["Category"] in counts:
            counts[row["Category"]] += 1
        errors += row["StatusCode"] == "Error"
        input_tokens += row["InputTokens"] or 0
        output_tokens += row["OutputTokens"] or 0
        total_tokens += row["TotalTokens"] or 0
        cost += row["TotalCost"] or 0.0
    return {
        "spans": spans, "llm_calls": counts["LLM"], "tool_calls": counts["TOOL"],
        "retrieval_calls": counts["RETRIEVAL"], "embedding_calls": counts["EMBEDDING"],
        "input_tokens": count(input_tokens), "output_tokens": count(output_tokens),
        "total_tokens": count(total_tokens), "cost_usd": amount(cost), "errors": errors,
        "wall_time_ms": _ms(wall_time_ns),
    }


def resolve_trace_context(rows: Iterable[Row]) -> tuple[str, str, str]:
    """(thread, user, outer agent) of a trace, from the rows of all its spans, as trace_rollup resolves them.

    The greatest ThreadId and UserId any span names (empty ones sort first; ClickHouse compares
    strings bytewise and UTF-8 keeps code point order, so Python's max agrees), and the agent of
    the earliest-starting span that names one (ties to the least name); '' for what none names.
    Every span of a trace may carry them, whichever arrived first, so only all its rows decide.
    """
    thread = user = ""
    first_agent: tuple[int, str] | None = None
    for row in rows:
        thread = max(thread, row["ThreadId"])
        user = max(user, row["UserId"])
        if row["AgentName"] and (first_agent is None or (row["StartNs"], row["AgentName"]) < first_agent):
            first_agent = (row["StartNs"], row["AgentName"])
    return thread, user, first_agent[1] if first_agent else ""


def rollup_totals(row: Row) -> dict[str, Any]:
    """`totals` from a trace_rollup row (sql/trace_totals.sql): for a trace too long to list whole."""
    return {
        "spans": row["span_count"], "llm_calls": row["llm_calls"], "tool_calls": row["tool_calls"],
        "retrieval_calls": row["retrieval_calls"], "embedding_calls": row["embedding_calls"],
        "input_tokens": count(row["input_tokens"]), "output_tokens": count(row["output_tokens"]),
        "total_tokens": count(row["total_tokens"]), "cost_usd": amount(row["cost_usd"]), "errors": row["error_count"],
        "wall_time_ms": _ms(row["end_ns"] - row["start_ns"]),
    }


# Model calls, whose prompts GenAI instrumentations may send as log records (OpenLLMetry's
# use_attributes=False sends an embedding's input as gen_ai.user.message too).
_MODEL_CALLS = frozenset({"LLM", "EMBEDDING"})


def lacks_messages(row: Row) -> bool:
    """Whether a span row is a model call with no messages of its own, inline or by hash (they
    may be in otel_logs). Decided on the rows as read, so the log events can be asked for while
    the hashed text is still being fetched."""
    return (row["Category"] in _MODEL_CALLS and not row["InputMessages"] and not row["OutputMessages"]
            and not row["InputMessageHashes"] and not row["OutputMessageHashes"])


def attach_log_messages(doc: dict[str, Any], events: Iterable[Row]) -> None:
    """Give AI spans without messages of their own the messages of their GenAI log events.

    Content may arrive as OTLP log records instead of span attributes (the OTel GenAI
    instrumentations' default); spans and logs are stored apart, so they meet here, at read time,
    whichever arrived first. `events` are `sql/trace_genai_events.sql` rows in time order.
    """
    by_span: dict[str, list[Row]] = {}
    for event in events:
        by_span.setdefault(event["SpanId"], []).append(event)
    for span in doc["spans"]:
        ai, rows = span["ai"], by_span.get(span["span_id"])
        if not ai or not rows or ai["messages"]["source"] is not None:
            continue
        inputs: list[Any] = []
        outputs: list[Any] = []
        for row in rows:
            body = typed_value(row["Body"], row["BodyType"] or None) if row["Body"] else None
            found_in, found_out = messages_from_event(
                row["Name"], typed_map(row["LogAttributes"], row["LogAttributeTypes"]), body)
            inputs += found_in
            outputs += found_out
        if inputs or outputs:
            ai["messages"] = {"input": inputs, "output": outputs, "source": "logs"}


def content_hashes(rows: Iterable[Row]) -> list[int]:
    """Every message_content hash the rows reference (messages and moved content attributes)."""
    found: set[int] = set()
    for row in rows:
        found.update(row["InputMessageHashes"], row["OutputMessageHashes"])
        for reference in row["ContentAttributes"].values():
            found.update(referenced_hashes(reference))
    return sorted(found)


def inflate_content(rows: Iterable[Row], texts: dict[int, str]) -> None:
    """Put the text the rows reference by hash back where it came from, in place.

    Messages become the InputMessages / OutputMessages JSON text, moved attributes rejoin
    SpanAttributes; a hash whose text is gone (expired by retention) reads as a message marked
    `missing` and leaves its attribute out.
    """
    for row in rows:
        for hashes, column in (("InputMessageHashes", "InputMessages"), ("OutputMessageHashes", "OutputMessages")):
            if row[hashes]:
                row[column] = "[" + ",".join(texts.get(key) or _missing(key) for key in row[hashes]) + "]"
        if row["ContentAttributes"]:
            attributes = dict(row["SpanAttributes"])
            for key, reference in row["ContentAttributes"].items():
                value = inflate_attribute(list(reference), texts)
                if value is not None:
                    attributes[key] = value
            row["SpanAttributes"] = attributes


def _missing(key: int) -> str:
    return orjson.dumps({"missing": True, "hash": f"{key:032x}"}).decode()
