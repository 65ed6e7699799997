"""Factories for OTLP messages, so tests state only what matters to them."""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

BASE_NS = 1_763_800_000_000_000_000  # 2025-11-22T08:26:40Z


def kv(key: str, value: Any) -> KeyValue:
    any_value = AnyValue()
    if isinstance(value, bool):
        any_value.bool_value = value
    elif isinstance(value, int):
        any_value.int_value = value
    elif isinstance(value, float):
        any_value.double_value = value
    elif isinstance(value, bytes):
        any_value.bytes_value = value
    elif isinstance(value, list):
        any_value.array_value.values.extend(kv("_", item).value for item in value)
    elif isinstance(value, dict):
        any_value.kvlist_value.values.extend(kv(k, v) for k, v in value.items())
    elif value is not None:
        any_value.string_value = str(value)
    return KeyValue(key=key, value=any_value)


def make_span(
    trace: int = 1,
    span: int = 1,
    parent: int | None = None,
    name: str = "span",
    start_ns: int = BASE_NS,
    duration_ns: int = 1_000_000,
    attributes: dict[str, Any] | None = None,
    **fields: Any,
) -> Span:
    """A span with ids made from small integers (trace 1 -> 000...001)."""
    return Span(
        trace_id=trace.to_bytes(16, "big"),
        span_id=span.to_bytes(8, "big"),
        parent_span_id=parent.to_bytes(8, "big") if parent else b"",
        name=name,
        start_time_unix_nano=start_ns,
        end_time_unix_nano=start_ns + duration_ns,
        attributes=[kv(k, v) for k, v in (attributes or {}).items()],
        **fields,
    )


def llm_span(trace: int = 1, span: int = 2, parent: int | None = 1, **overrides: Any) -> Span:
    attributes = {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 30, "gen_ai.response.finish_reasons": ["stop"],
    }
    attributes.update(overrides.pop("attributes", {}))
    return make_span(trace, span, parent, name="chat gpt-4o", kind=Span.SPAN_KIND_CLIENT,
                     attributes=attributes, **overrides)


def export_request(*spans: Span, service: str = "agent-svc", scope: str = "tests") -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        resource=Resource(attributes=[kv("service.name", service)]),
        scope_spans=[ScopeSpans(scope=InstrumentationScope(name=scope, version="1.0"), spans=list(spans))],
    )])


def hex_id(number: int, size: int = 16) -> str:
    return number.to_bytes(size, "big").hex()

