"""Read after acknowledgement: a query API request sees every span acknowledged before it, even one
still waiting in the write-ahead log for its insert (the request ends the wait), within
SPANHOUSE_READ_WAIT_MS; with 0, it reads what is inserted so far."""

from __future__ import annotations

import time

import httpx

from tests.factories import export_request, hex_id, make_span

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def export(server, trace: int) -> None:
    body = export_request(make_span(trace=trace, name=f"span of trace {trace}")).SerializeToString()
    httpx.post(server.http_endpoint + "/v1/traces", content=body, headers=PROTOBUF, timeout=30).raise_for_status()


def lingering_export(server, trace: int) -> None:
    """Export `trace` so that its insert waits for the flush interval: right after another insert."""
    export(server, trace - 1)  # finds the writer idle: inserted at once
    server.settled()
    export(server, trace)  # the previous insert ended a moment ago: waits for company
    backlog = httpx.get(f"{server.api}/healthz", timeout=30).json()["not_yet_queryable"]
    assert backlog["spans"] == 1, backlog


def test_a_lookup_sees_a_span_acknowledged_while_its_insert_still_lingers(server_factory):
    server = server_factory(flush_interval_ms=600_000)
    lingering_export(server, 2)
    started = time.monotonic()
    response = httpx.get(f"{server.api}/api/v1/traces/{hex_id(2)}", timeout=60)
    assert response.status_code == 200, response.text
    assert [span["name"] for span in response.json()["spans"]] == ["span of trace 2"]
    assert time.monotonic() - started < 30  # the request ended the ten-minute linger
    assert httpx.get(f"{server.api}/healthz", timeout=30).json()["not_yet_queryable"]["spans"] == 0


def test_sql_through_the_api_counts_what_was_acknowledged(server_factory):
    server = server_factory(flush_interval_ms=600_000)
    lingering_export(server, 2)
    response = httpx.post(f"{server.api}/api/v1/sql", json={"query": "SELECT count() FROM otel_traces"}, timeout=60)
    assert response.json()["rows"] == [[2]]


def test_with_no_read_wait_a_request_reads_what_is_inserted_so_far(server_factory):
    server = server_factory(flush_interval_ms=600_000, read_wait_ms=0)
    lingering_export(server, 2)
    assert httpx.get(f"{server.api}/api/v1/traces/{hex_id(1)}", timeout=30).status_code == 200
    assert httpx.get(f"{server.api}/api/v1/traces/{hex_id(2)}", timeout=30).status_code == 404  # still in the log
