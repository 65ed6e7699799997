"""ExportTraceServiceRequest -> column lists for `otel_traces`, one walk over the request.

Columns are built directly (a list per column, appended span by span) so that no per-span
object is created: this walk is the hottest code in spanhouse. Spans that break the OTLP
rules a trace store relies on (ids of the wrong length or all zero, no start time, a start or
end the store cannot keep) are counted and described instead of stored; the rest of the request
is unaffected. A link's ids may be empty or all zero (the API records links to an invalid
context when they carry attributes or a trace state), but ids of another length reject the span
that holds the link, as its own ids would: dropping the link alone would lose it without a word.

The description of what was rejected (`SpanBatch.error_message`) is bounded whatever was sent: a
name is quoted up to `QUOTE_CHARS` characters (`quote`), at most `_MAX_PROBLEMS` problems are
listed and the rest counted, and each problem is cut at `_MAX_PROBLEM_CHARS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from google.protobuf.message import DecodeError as ProtobufDecodeError
from google.protobuf.message import Message
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from spanhouse.decode.attributes import flatten, values_only
from spanhouse.errors import DecodeError

# Spellings of the OpenTelemetry Collector's ClickHouse exporter (ptrace's String()).
SPAN_KINDS = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
STATUS_CODES = ("Unset", "Ok", "Error")

# DateTime64(9) holds nanoseconds in an Int64: up to 2262-04-11.
MAX_TIMESTAMP_NS = 2**63 - 1
# The tables' TTL, partition and rollup expressions take toDateTime() of a span's start and end
# (a log record's time), a 32-bit count of seconds: a later time wraps to 1970 and the row is
# expired at once. So a span or record is only stored up to the last second DateTime holds.
MAX_DATETIME_NS = 2**32 * 10**9 - 1
MAX_DATETIME = "2106-02-07T06:28:15Z"
_MAX_PROBLEMS = 10
# A problem quotes one or two names of at most QUOTE_CHARS; this only bounds what else might be quoted.
_MAX_PROBLEM_CHARS = 500
QUOTE_CHARS = 100
MessageT = TypeVar("MessageT", bound=Message)

OTLP_COLUMNS: tuple[str, ...] = (
    "Tenant",
    "Timestamp",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "TraceFlags",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "ResourceAttributeTypes",
    "ResourceSchemaUrl",
    "ResourceDroppedAttributesCount",
    "ScopeName",
    "ScopeVersion",
    "ScopeAttributes",
    "ScopeSchemaUrl",
    "ScopeDroppedAttributesCount",
    "SpanAttributes",
    "SpanAttributeTypes",
    "DroppedAttributesCount",
    "Duration",
    "StatusCode",
    "StatusMessage",
    "Events.Timestamp",
    "Events.Name",
    "Events.Attributes",
    "Events.DroppedAttributesCount",
    "DroppedEventsCount",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
    "Links.Flags",
    "Links.DroppedAttributesCount",
    "DroppedLinksCount",
)


@dataclass(slots=True)
class SpanBatch:
    """Columns of the spans of one request, plus what was rejected from it."""

    columns: dict[str, list[Any]]
    unit: str = "span"  # what a row is, for messages: "span" or "log record"
    count: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    # prompt and completion text moved out of the rows by the normaliser: hash -> text
    # (rows for message_content; normalise/content_store.py)
    content: dict[int, str] = field(default_factory=dict)

    def reject(self, problem: str) -> None:
        self.rejected += 1
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(problem if len(problem) <= _MAX_PROBLEM_CHARS
                                 else problem[:_MAX_PROBLEM_CHARS] + "…")

    def error_message(self) -> str:
        if not self.rejected:
            return ""
        more = self.rejected - len(self.problems)
        suffix = f"; and {more} more" if more > 0 else ""
        return f"{self.rejected} {self.unit}(s) rejected: " + "; ".join(self.problems) + suffix


def quote(value: object) -> str:
    """`value` as a message quotes it, cut to QUOTE_CHARS characters: a span name may be megabytes."""
    if isinstance(value, str) and len(value) > QUOTE_CHARS:
        return repr(value[:QUOTE_CHARS])[:-1] + "…"  # the open quote stays; the ellipsis says it goes on
    text = repr(value)
    return text if len(text) <= QUOTE_CHARS + 2 else text[:QUOTE_CHARS + 1] + "…"


def empty_batch(names: tuple[str, ...] = OTLP_COLUMNS, unit: str = "span") -> SpanBatch:
    return SpanBatch(columns={name: [] for name in names}, unit=unit)


def parse_message(body: bytes, message: MessageT) -> MessageT:
    """`message` parsed from `body`; DecodeError naming the message type when it is not one."""
    try:
        message.ParseFromString(body)
    except ProtobufDecodeError as exc:
        raise DecodeError(f"request body is not a protobuf {type(message).__name__}: {exc}") from exc
    return message


def parse_protobuf(body: bytes) -> ExportTraceServiceRequest:
    return parse_message(body, ExportTraceServiceRequest())


def _span_problem(span: Any) -> str | None:
    if len(span.trace_id) != 16 or not any(span.trace_id):
        return f"trace_id must be 16 bytes and not all zero, got {len(span.trace_id)} bytes"
    if len(span.span_id) != 8 or not any(span.span_id):
        return f"span_id must be 8 bytes and not all zero, got {len(span.span_id)} bytes"
    if len(span.parent_span_id) not in (0, 8):
        return f"parent_span_id must be empty or 8 bytes, got {len(span.parent_span_id)} bytes"
    if span.start_time_unix_nano == 0:
        return "start_time_unix_nano is missing"
    if span.start_time_unix_nano > MAX_DATETIME_NS:
        return f"start_time_unix_nano {span.start_time_unix_nano} is after {MAX_DATETIME}, the latest time stored"
    if span.end_time_unix_nano > MAX_DATETIME_NS:
        return f"end_time_unix_nano {span.end_time_unix_nano} is after {MAX_DATETIME}, the latest time stored"
    for event in span.events:
        if event.time_unix_nano > MAX_TIMESTAMP_NS:
            return f"event {quote(event.name)} timestamp is past the year 2262"
    for index, link in enumerate(span.links):
        if len(link.trace_id) not in (0, 16):
            return f"link {index} trace_id must be empty or 16 bytes, got {len(link.trace_id)} bytes"
        if len(link.span_id) not in (0, 8):
            return f"link {index} span_id must be empty or 8 bytes, got {len(link.span_id)} bytes"
    return None


def decode_spans(request: ExportTraceServiceRequest, tenant: str, batch: SpanBatch | None = None) -> SpanBatch:
    """Append every valid span of `request` to `batch` (a new one when None) and return it."""
    batch = batch or empty_batch()
    c = batch.columns
    (
        tenant_c, ts_c, trace_c, span_c, parent_c, state_c, flags_c, name_c, kind_c, service_c,
        rattr_c, rtype_c, rschema_c, rdrop_c, sname_c, sver_c, sattr_c, sschema_c, sdrop_c,
        attr_c, atype_c, drop_c, dur_c, status_c, smsg_c,
        ev_ts_c, ev_name_c, ev_attr_c, ev_drop_c, ev_dropped_c,
        ln_trace_c, ln_span_c, ln_state_c, ln_attr_c, ln_flags_c, ln_drop_c, ln_dropped_c,
    ) = (c[name] for name in OTLP_COLUMNS)
    count = 0
    for resource_spans in request.resource_spans:
        resource = resource_spans.resource
        res_values, res_types = flatten(resource.attributes)
        service = res_values.get("service.name", "")
        res_schema = resource_spans.schema_url
        res_dropped = resource.dropped_attributes_count
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            scope_values = values_only(scope.attributes)
            scope_name, scope_version = scope.name, scope.version
            scope_schema = scope_spans.schema_url
            scope_dropped = scope.dropped_attributes_count
            for span in scope_spans.spans:
                problem = _span_problem(span)
                if problem is not None:
                    batch.reject(f"span {quote(span.name)}: {problem}")
                    continue
                count += 1
                start = span.start_time_unix_nano
                end = span.end_time_unix_nano
                values, types = flatten(span.attributes)
                status = span.status
                tenant_c.append(tenant)
                ts_c.append(start)
                trace_c.append(span.trace_id.hex())
                span_c.append(span.span_id.hex())
                parent = span.parent_span_id
                parent_c.append(parent.hex() if any(parent) else "")
                state_c.append(span.trace_state)
                flags_c.append(span.flags)
                name_c.append(span.name)
                kind_c.append(SPAN_KINDS[span.kind] if 0 <= span.kind < 6 else "Unspecified")
                service_c.append(service)
                rattr_c.append(res_values)
                rtype_c.append(res_types)
                rschema_c.append(res_schema)
                rdrop_c.append(res_dropped)
                sname_c.append(scope_name)
                sver_c.append(scope_version)
                sattr_c.append(scope_values)
                sschema_c.append(scope_schema)
                sdrop_c.append(scope_dropped)
                attr_c.append(values)
                atype_c.append(types)
                drop_c.append(span.dropped_attributes_count)
                dur_c.append(end - start if end > start else 0)
                status_c.append(STATUS_CODES[status.code] if 0 <= status.code < 3 else "Unset")
                smsg_c.append(status.message)
                events = span.events
                if events:
                    ev_ts_c.append([e.time_unix_nano for e in events])
                    ev_name_c.append([e.name for e in events])
                    ev_attr_c.append([values_only(e.attributes) for e in events])
                    ev_drop_c.append([e.dropped_attributes_count for e in events])
                else:
                    ev_ts_c.append([])
                    ev_name_c.append([])
                    ev_attr_c.append([])
                    ev_drop_c.append([])
                ev_dropped_c.append(span.dropped_events_count)
                links = span.links
                if links:
                    ln_trace_c.append([link.trace_id.hex() for link in links])
                    ln_span_c.append([link.span_id.hex() for link in links])
                    ln_state_c.append([link.trace_state for link in links])
                    ln_attr_c.append([values_only(link.attributes) for link in links])
                    ln_flags_c.append([link.flags for link in links])
                    ln_drop_c.append([link.dropped_attributes_count for link in links])
                else:
                    ln_trace_c.append([])
                    ln_span_c.append([])
                    ln_state_c.append([])
                    ln_attr_c.append([])
                    ln_flags_c.append([])
                    ln_drop_c.append([])
                ln_dropped_c.append(span.dropped_links_count)
    batch.count += count
    return batch
