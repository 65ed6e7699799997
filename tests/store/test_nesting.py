"""NestedCalls: the parents of recent model calls, per tenant, for the dedup window, reloaded after a restart."""

from __future__ import annotations

import httpx
import numpy as np

from spanhouse.normalise.nesting import ROLLED_UP
from spanhouse.store.client import connect
from spanhouse.store.dedup import span_keys
from spanhouse.store.nesting import NestedCalls
from tests.factories import export_request, hex_id, llm_span, make_span

PROTOBUF = {"Content-Type": "application/x-protobuf"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def keys(*span_ids: int, trace: int = 1) -> np.ndarray:
    return span_keys([hex_id(trace)] * len(span_ids), [hex_id(span, 8) for span in span_ids])


def test_remembered_parents_are_found_per_tenant_until_the_window_ends():
    clock = Clock()
    nesting = NestedCalls(60, clock)
    nesting.remember("a", keys(2, 5))
    assert nesting.parents("a", keys(2, 3, 5)).tolist() == [True, False, True]
    assert not nesting.parents("b", keys(2)).any()
    clock.now += 61 + 60 / 16
    assert not nesting.parents("a", keys(2, 5)).any()


def test_reloading_computes_in_sql_the_parent_keys_of_stored_model_calls(server, settings):
    # 2 > 3 in one request: 2 is rolled up but still a model call, so its parent (1) counts too;
    # the tool span (5) and the root-less call (7, no parent) name no parent to remember.
    spans = [llm_span(span=2, parent=1), llm_span(span=3, parent=2),
             make_span(span=5, parent=4, attributes={"gen_ai.tool.name": "t"}), llm_span(trace=2, span=7, parent=None)]
    assert httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
                      headers=PROTOBUF).status_code == 200
    server.settled()
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
    try:
        assert client.query("SELECT CostSource FROM otel_traces WHERE SpanId = {s:String}",
                            parameters={"s": hex_id(2, 8)}).result_rows == [(ROLLED_UP,)]
        nesting = NestedCalls(900)
        assert nesting.load(client) == 2
    finally:
        client.close()
    assert nesting.parents(settings.default_tenant, keys(1, 2, 4, 3)).tolist() == [True, True, False, False]
