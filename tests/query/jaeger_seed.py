"""The data the Jaeger endpoint tests store, and what the endpoints should answer for it: a
hand-made trace with every field Jaeger shows, another tenant's spans that no answer may contain,
and the spans as sent, for computing search answers independently of ClickHouse."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from spanhouse.app import INSERT_COLUMNS, normalisation, open_store
from spanhouse.receive.ingest import Ingest
from spanhouse.receive.pools import ThreadEncodePool
from spanhouse.settings import Settings
from spanhouse.store.native import TableLayout
from spanhouse.store.writer import BatchWriter
from tests.conftest import RunningServer
from tests.factories import hex_id, kv, make_span
from tests.workload import workload

MS = 1_000_000
S = 1_000 * MS
MINUTE = 60 * S
HOUR = 60 * MINUTE
RICH = 0xA11CE  # the hand-made trace; the intruder tenant stores a trace under the same id
SECRET = 0x5EC12E7  # a trace only the intruder tenant has
OTHER_TRACE = 0xBEEF  # a trace the hand-made one links to
MESSAGES = orjson.dumps([
    {"role": "system", "parts": [{"type": "text", "content": "You sell shoes. " * 40}]},
    {"role": "user", "parts": [{"type": "text", "content": "Which size fits me? " * 30}]},
]).decode()
KINDS = {Span.SPAN_KIND_UNSPECIFIED: "", Span.SPAN_KIND_INTERNAL: "internal", Span.SPAN_KIND_SERVER: "server",
         Span.SPAN_KIND_CLIENT: "client", Span.SPAN_KIND_PRODUCER: "producer", Span.SPAN_KIND_CONSUMER: "consumer"}


def group(resource: dict[str, Any], scope: tuple[str, str], *spans: Span,
          scope_attributes: dict[str, Any] | None = None) -> ResourceSpans:
    return ResourceSpans(
        resource=Resource(attributes=[kv(k, v) for k, v in resource.items()]),
        scope_spans=[ScopeSpans(scope=InstrumentationScope(
            name=scope[0], version=scope[1], attributes=[kv(k, v) for k, v in (scope_attributes or {}).items()]),
            spans=list(spans))])


def event(time_ns: int, name: str, **attributes: Any) -> Span.Event:
    return Span.Event(time_unix_nano=time_ns, name=name, attributes=[kv(k, v) for k, v in attributes.items()])


def link(trace: int, span: int, **attributes: Any) -> Span.Link:
    return Span.Link(trace_id=trace.to_bytes(16, "big"), span_id=span.to_bytes(8, "big"),
                     attributes=[kv(k, v) for k, v in attributes.items()])


WEB_1 = {"service.name": "shop-api", "host.name": "web-1", "process.pid": 4242}


def rich_trace(t0: int) -> ExportTraceServiceRequest:
    """Five services' worth of Jaeger features in one trace: typed tags, an error with events,
    links, trace state, three processes of one service name, prompt text stored by hash."""
    root = make_span(RICH, 1, name="GET /checkout", start_ns=t0, duration_ns=900 * MS, kind=Span.SPAN_KIND_SERVER,
                     flags=0x101, status=Status(code=Status.STATUS_CODE_OK), attributes={
                         "http.method": "GET", "http.status_code": 200, "ratio": 0.25, "cached": True,
                         "payload": b"\x00\x01", "labels": ["a", "b"], "big": 2**60})
    chat = make_span(RICH, 2, 1, name="chat gpt-4o", start_ns=t0 + 100 * MS, duration_ns=300 * MS,
                     kind=Span.SPAN_KIND_CLIENT, status=Status(code=Status.STATUS_CODE_ERROR, message="rate limited"),
                     attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                                 "gen_ai.usage.input_tokens": 120, "gen_ai.input.messages": MESSAGES},
                     events=[event(t0 + 350 * MS + 999, "exception", **{"exception.type": "RateLimitError",
                                                                         "exception.message": "slow down"}),
                             event(t0 + 360 * MS, "retry"),
                             event(t0 + 370 * MS, "named", event="custom-name")])
    lookup = make_span(RICH, 3, 1, name="lookup stock", start_ns=t0 + 450 * MS, duration_ns=200 * MS,
                       kind=Span.SPAN_KIND_INTERNAL, trace_state="vendor=1", dropped_attributes_count=2,
                       links=[link(OTHER_TRACE, 9, reason="batch"),
                              link(RICH, 1, **{"opentracing.ref_type": "child_of"}),
                              link(OTHER_TRACE, 10, **{"opentracing.ref_type": "child_of"})])
    reserve = make_span(RICH, 4, 3, name="reserve", start_ns=t0 + 500 * MS, duration_ns=100 * MS,
                        kind=Span.SPAN_KIND_PRODUCER, attributes={"order.items": 3})
    render = make_span(RICH, 5, 1, name="render", start_ns=t0 + 700 * MS, duration_ns=150 * MS)
    route = make_span(RICH, 6, 1, name="route", start_ns=t0 + 800 * MS, duration_ns=50 * MS,
                      kind=Span.SPAN_KIND_SERVER)
    return ExportTraceServiceRequest(resource_spans=[
        group(WEB_1, ("shop.http", "2.1"), root, lookup, scope_attributes={"scope.kind": "http"}),
        group(WEB_1, ("shop.genai", "0.3"), chat),
        group({"service.name": "inventory"}, ("inv", ""), reserve),
        group({"service.name": "shop-api", "host.name": "web-2"}, ("shop.http", "2.1"), render),
        group({"service.name": "edge/router"}, ("edge", "1"), route),
    ])


def intruder_requests(t0: int) -> list[ExportTraceServiceRequest]:
    """Tenant `intruder`: its own trace under the hand-made trace's id, and spans that every search
    of the tests would match if tenants were mixed."""
    secret = {"gen_ai.tool.name": "search_web", "secret": "yes", "gen_ai.operation.name": "execute_tool"}
    failed = Status(code=Status.STATUS_CODE_ERROR, message="boom")
    return [ExportTraceServiceRequest(resource_spans=[
        group({"service.name": "secret-svc"}, ("x", "1"),
              make_span(RICH, 1, name="secret op", start_ns=t0, duration_ns=3 * S, attributes=secret, status=failed),
              make_span(SECRET, 1, name="secret op", start_ns=t0, duration_ns=3 * S, attributes=secret)),
        group({"service.name": "support-bot"}, ("x", "1"),
              make_span(SECRET, 2, 1, name="execute_tool search_web", start_ns=t0 + S, duration_ns=3 * S,
                        attributes=secret, status=failed, kind=Span.SPAN_KIND_CLIENT)),
    ])]


@dataclass(frozen=True)
class Sent:
    trace_id: str
    span_id: str
    service: str
    name: str
    kind: str
    start_ns: int
    duration_ns: int
    error: bool
    attributes: dict[str, Any]


def sent(requests: list[ExportTraceServiceRequest]) -> list[Sent]:
    found = []
    for request in requests:
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {a.key: json_format.MessageToDict(a.value) for a in span.attributes}
                    found.append(Sent(span.trace_id.hex(), span.span_id.hex(), resource["service.name"], span.name,
                                      KINDS[span.kind], span.start_time_unix_nano,
                                      span.end_time_unix_nano - span.start_time_unix_nano,
                                      span.status.code == Status.STATUS_CODE_ERROR, attributes))
    return found


@dataclass(frozen=True)
class Seeded:
    api: str
    t0: int  # the hand-made trace's start
    start_ns: int  # a time range covering every span of tenant default
    end_ns: int
    spans: list[Sent]  # tenant default's

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.api + path, params=params, timeout=60)

    def json(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()


def store_in_process(settings: Settings, tenant: str, requests: list[ExportTraceServiceRequest]) -> None:
    store = open_store(settings)
    try:
        layout = TableLayout.read(store, "otel_traces", INSERT_COLUMNS)
        with BatchWriter(store, layout, flush_interval_s=0.005) as writer:
            ingest = Ingest({"traces": writer}, ThreadEncodePool({"traces": layout}, normalisation(
                Settings(content_dedup=False))), write_timeout_s=30)

            async def send() -> None:
                for request in requests:
                    await ingest.export("traces", request.SerializeToString(), "protobuf", tenant)

            asyncio.run(send())
    finally:
        store.close()


@contextmanager
def seed(chdb_path: Path) -> Iterator[Seeded]:
    """A running server holding the data of this module, for the tests of one test module."""
    settings = Settings(clickhouse_dsn=f"chdb://{chdb_path}", clickhouse_database=f"jaeger_{time.time_ns() % 10**12}",
                        otlp_grpc_port=0, otlp_http_port=0, api_port=0, flush_interval_ms=5, decode_processes=0,
                        write_timeout_s=20, retention_raw_days=0, retention_minute_days=0, retention_hourly_days=0,
                        retention_daily_days=0)
    now = time.time_ns()
    t0 = now - 20 * MINUTE
    # turns starting 55 to 5 minutes ago (one "day" of an hour, less its last 10 minutes)
    exports = list(workload(seed=3, traces=40, days=1, start_ns=now - 55 * MINUTE, day_ns=HOUR,
                            tenants=("default",)))
    requests = [rich_trace(t0)] + [e.request for e in exports if not e.late] + [e.request for e in exports if e.late]
    with RunningServer(settings) as server:
        for request in requests:
            httpx.post(server.http_endpoint + "/v1/traces", content=request.SerializeToString(),
                       headers={"Content-Type": "application/x-protobuf"}, timeout=60).raise_for_status()
        store_in_process(settings, "intruder", intruder_requests(t0))
        spans = sent(requests)
        yield Seeded(server.api, t0, min(s.start_ns for s in spans), max(s.start_ns for s in spans) + 1, spans)


def micros(ns: int) -> int:
    return ns // 1_000


def trace_ids(doc: dict[str, Any]) -> list[str]:
    return [trace["traceID"] for trace in doc["data"]]


def v3_trace_ids(doc: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(span["traceId"] for resource in doc["result"]["resourceSpans"]
                              for scope in resource["scopeSpans"] for span in scope["spans"]))


def string_tag(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "type": "string", "value": value}


_s = string_tag


def expected_rich_trace(t0: int) -> dict[str, Any]:
    trace = hex_id(RICH)

    def span(number: int, name: str, start: int, duration: int, process: str, tags: list[dict[str, Any]],
             references: list[tuple[str, int, int]] = (), logs: list[dict[str, Any]] = (), flags: int = 0):
        return {"traceID": trace, "spanID": hex_id(number, 8), "flags": flags, "operationName": name,
                "references": [{"refType": ref, "traceID": hex_id(t), "spanID": hex_id(s, 8)}
                               for ref, t, s in references],
                "startTime": micros(t0 + start), "duration": micros(duration), "tags": tags, "logs": list(logs),
                "processID": process, "warnings": None}

    return {
        "traceID": trace,
        "spans": [
            span(1, "GET /checkout", 0, 900 * MS, "p1", flags=1, tags=[
                {"key": "big", "type": "int64", "value": str(2**60)}, {"key": "cached", "type": "bool", "value": True},
                {"key": "http.method", "type": "string", "value": "GET"},
                {"key": "http.status_code", "type": "int64", "value": 200},
                _s("labels", '["a","b"]'), _s("otel.scope.name", "shop.http"), _s("otel.scope.version", "2.1"),
                _s("otel.status_code", "OK"), {"key": "payload", "type": "binary", "value": "AAE="},
                {"key": "ratio", "type": "float64", "value": 0.25}, _s("span.kind", "server")]),
            span(2, "chat gpt-4o", 100 * MS, 300 * MS, "p1", references=[("CHILD_OF", RICH, 1)], tags=[
                {"key": "error", "type": "bool", "value": True}, _s("gen_ai.input.messages", MESSAGES),
                _s("gen_ai.operation.name", "chat"), _s("gen_ai.request.model", "gpt-4o"),
                {"key": "gen_ai.usage.input_tokens", "type": "int64", "value": 120},
                _s("otel.scope.name", "shop.genai"), _s("otel.scope.version", "0.3"),
                _s("otel.status_code", "ERROR"), _s("otel.status_description", "rate limited"),
                _s("span.kind", "client")], logs=[
                {"timestamp": micros(t0 + 350 * MS + 999), "fields": [
                    _s("event", "exception"), _s("exception.message", "slow down"),
                    _s("exception.type", "RateLimitError")]},
                {"timestamp": micros(t0 + 360 * MS), "fields": [_s("event", "retry")]},
                {"timestamp": micros(t0 + 370 * MS), "fields": [_s("event", "custom-name")]}]),
            span(3, "lookup stock", 450 * MS, 200 * MS, "p1",
                 references=[("CHILD_OF", RICH, 1), ("FOLLOWS_FROM", OTHER_TRACE, 9), ("CHILD_OF", OTHER_TRACE, 10)],
                 tags=[{"key": "otel.dropped_attributes_count", "type": "int64", "value": 2},
                       _s("otel.scope.name", "shop.http"), _s("otel.scope.version", "2.1"),
                       _s("span.kind", "internal"), _s("w3c.tracestate", "vendor=1")]),
            span(4, "reserve", 500 * MS, 100 * MS, "p2", references=[("CHILD_OF", RICH, 3)], tags=[
                {"key": "order.items", "type": "int64", "value": 3}, _s("otel.scope.name", "inv"),
                _s("span.kind", "producer")]),
            span(5, "render", 700 * MS, 150 * MS, "p3", references=[("CHILD_OF", RICH, 1)],
                 tags=[_s("otel.scope.name", "shop.http"), _s("otel.scope.version", "2.1")]),
            span(6, "route", 800 * MS, 50 * MS, "p4", references=[("CHILD_OF", RICH, 1)], tags=[
                _s("otel.scope.name", "edge"), _s("otel.scope.version", "1"), _s("span.kind", "server")]),
        ],
        "processes": {
            "p1": {"serviceName": "shop-api", "tags": [
                _s("host.name", "web-1"), {"key": "process.pid", "type": "int64", "value": 4242}]},
            "p2": {"serviceName": "inventory", "tags": []},
            "p3": {"serviceName": "shop-api", "tags": [_s("host.name", "web-2")]},
            "p4": {"serviceName": "edge/router", "tags": []},
        },
        "warnings": None,
    }
