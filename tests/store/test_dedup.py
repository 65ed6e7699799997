"""A span is stored once per (tenant, trace id, span id) within the dedup window: retried
requests, copies inside one request, concurrent copies and copies sent after a restart."""

from __future__ import annotations

import concurrent.futures
import random
from concurrent.futures import Future

import httpx
import numpy as np
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from spanhouse.store.dedup import RecentSpans, SpanDedup, first_occurrences, span_keys
from tests.factories import export_request, hex_id, llm_span, make_span

PROTOBUF = {"Content-Type": "application/x-protobuf"}
COUNTS = """
SELECT (SELECT count() FROM otel_traces), (SELECT sum(spans) FROM daily_metrics),
       (SELECT sum(spans) FROM hourly_metrics), (SELECT sum(spans) FROM minute_metrics),
       (SELECT sum(span_count) FROM trace_rollup), (SELECT sum(spans) FROM thread_activity)
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def agent_turn_spans() -> list:
    """Spans of one agent turn, ended, as an SDK holds them before export."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "dedup-test"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span("invoke_agent", attributes={"gen_ai.operation.name": "invoke_agent",
                                                                  "gen_ai.conversation.id": "thread-1"}):
        for _ in range(3):
            with tracer.start_as_current_span("chat", attributes={"gen_ai.operation.name": "chat",
                                                                  "gen_ai.request.model": "gpt-4o",
                                                                  "gen_ai.usage.input_tokens": 10}):
                pass
    provider.shutdown()
    return list(memory.get_finished_spans())


# -- keys -------------------------------------------------------------------------------------

def test_keys_differ_for_ids_that_a_plain_xor_would_confuse():
    keys = span_keys([hex_id(1), hex_id(2), hex_id(1 << 64)], [hex_id(2, 8), hex_id(1, 8), hex_id(1, 8)])
    assert len(set(keys.tolist())) == 3


def test_the_first_copy_of_each_span_in_a_request_is_kept():
    keys = span_keys([hex_id(1)] * 4, [hex_id(n, 8) for n in (5, 6, 5, 5)])
    assert first_occurrences(keys).tolist() == [True, True, False, False]


def test_reloading_after_a_restart_computes_in_sql_the_keys_python_computes(server, query, settings):
    rng = random.Random(3)
    ids = [(rng.getrandbits(128), rng.getrandbits(64) or 1) for _ in range(200)]
    spans = [make_span(trace, span) for trace, span in ids]
    assert httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
                      headers=PROTOBUF).status_code == 200
    server.settled()

    dedup = SpanDedup(900)
    from spanhouse.store.client import connect
    assert dedup.load(connect(settings.clickhouse_dsn, settings.clickhouse_database)) == 200
    python_keys = span_keys([hex_id(t) for t, _ in ids], [hex_id(s, 8) for _, s in ids])
    assert dedup.check(settings.default_tenant, python_keys).copies.all()
    assert not dedup.check("another-tenant", python_keys).copies.any()


# -- the recent-keys index --------------------------------------------------------------------

def test_recent_spans_are_per_tenant_and_forgotten_after_the_window():
    clock = Clock()
    recent = RecentSpans(window_s=160, clock=clock)
    first = np.array([1, 2, 3], dtype=np.uint64)
    recent.add("acme", first)
    clock.now += 100
    recent.add("acme", np.array([4], dtype=np.uint64))

    probe = np.array([1, 4, 9], dtype=np.uint64)
    assert recent.contains("acme", probe).tolist() == [True, True, False]
    assert recent.contains("globex", probe).tolist() == [False, False, False]
    clock.now += 100  # 200 s after the first keys, 100 s after the last
    assert recent.contains("acme", probe).tolist() == [False, True, False]
    clock.now += 200
    assert recent.contains("acme", probe).tolist() == [False, False, False]
    assert len(recent) == 0


def test_many_keys_are_folded_into_sorted_arrays_and_still_found():
    recent = RecentSpans(window_s=900, clock=Clock())
    keys = np.random.default_rng(1).integers(0, 2**63, size=200_000, dtype=np.uint64)
    for chunk in np.array_split(keys, 400):
        recent.add("acme", chunk)
    assert recent.contains("acme", keys).all()
    others = np.random.default_rng(2).integers(0, 2**63, size=10_000, dtype=np.uint64)
    assert not recent.contains("acme", np.setdiff1d(others, keys)).any()


def test_keys_added_again_are_kept_once():
    recent = RecentSpans(window_s=900, clock=Clock())
    keys = np.random.default_rng(3).integers(0, 2**63, size=150_000, dtype=np.uint64)
    for _ in range(2):  # the parents of model calls are remembered once per call
        for chunk in np.array_split(keys, 30):
            recent.add("acme", chunk)
    recent.add("acme", np.zeros(0, dtype=np.uint64))
    assert len(recent) <= len(keys) + 65_536  # the newest, not folded yet, may repeat a folded key once
    assert recent.contains("acme", keys).all()


def test_a_copy_waits_for_the_write_in_flight_and_a_failed_write_releases_its_spans():
    dedup = SpanDedup(900, clock=Clock())
    keys = np.array([10, 11], dtype=np.uint64)
    write: Future[None] = Future()
    dedup.claim("acme", keys, write)

    check = dedup.check("acme", np.array([11, 12], dtype=np.uint64))
    assert check.copies.tolist() == [True, False] and check.pending == {write}

    write.set_exception(OSError("store down"))
    assert not dedup.check("acme", keys).copies.any()  # a retry of a failed write is stored
    assert dedup.in_flight == 0

    retry: Future[None] = Future()
    dedup.claim("acme", keys, retry)
    retry.set_result(None)
    assert dedup.check("acme", keys).copies.all() and dedup.check("acme", keys).pending == frozenset()


# -- end to end -------------------------------------------------------------------------------

def test_the_same_batch_exported_again_and_again_counts_once_everywhere(server, query):
    spans = agent_turn_spans()
    http = HttpExporter(endpoint=server.http_endpoint + "/v1/traces")
    grpc = GrpcExporter(endpoint=server.grpc_endpoint, insecure=True)
    for exporter in (http, http, grpc, http):
        assert exporter.export(spans) == SpanExportResult.SUCCESS
    http.shutdown()
    grpc.shutdown()

    assert query(COUNTS) == [(4, 4, 4, 4, 4, 4)]


def test_copies_inside_one_request_and_in_concurrent_requests_are_stored_once(server, query):
    body = export_request(*[llm_span(trace=7, span=n) for n in (2, 3, 2, 4, 3)]).SerializeToString()

    def post() -> int:
        return httpx.post(server.http_endpoint + "/v1/traces", content=body, headers=PROTOBUF).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert list(pool.map(lambda _: post(), range(16))) == [200] * 16

    assert query("SELECT SpanId FROM otel_traces ORDER BY SpanId") == [(hex_id(n, 8),) for n in (2, 3, 4)]
    assert query(COUNTS) == [(3, 3, 3, 3, 3, 0)]


def test_a_copy_sent_after_a_restart_within_the_window_is_not_stored_again(server_factory, query):
    body = export_request(*[llm_span(trace=9, span=n) for n in (2, 3)]).SerializeToString()
    first = server_factory()
    assert httpx.post(first.http_endpoint + "/v1/traces", content=body, headers=PROTOBUF).status_code == 200
    first.__exit__(None, None, None)

    second = server_factory()
    assert httpx.post(second.http_endpoint + "/v1/traces", content=body, headers=PROTOBUF).status_code == 200
    assert query("SELECT count() FROM otel_traces") == [(2,)]


def test_dedup_window_zero_stores_every_copy_sent_in_separate_requests(server_factory, query):
    server = server_factory(dedup_window_s=0)
    body = export_request(llm_span(trace=5, span=2)).SerializeToString()
    for _ in range(2):
        assert httpx.post(server.http_endpoint + "/v1/traces", content=body, headers=PROTOBUF).status_code == 200
    assert query("SELECT count() FROM otel_traces") == [(2,)]


@pytest.mark.parametrize("window", [-1])
def test_a_negative_window_is_a_configuration_error(window):
    from spanhouse.errors import ConfigError
    from spanhouse.settings import Settings
    with pytest.raises(ConfigError, match=r"dedup_window_s \(SPANHOUSE_DEDUP_WINDOW_S\) must be 0 or more"):
        Settings(dedup_window_s=window)
