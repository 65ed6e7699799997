"""A store that dies under a running spanhouse: exports are refused as retryable, and kept once it is back.

The store is the real ClickHouse engine behind ClickHouse's HTTP interface in a child process
(`tests/clickhouse_http.py`), killed with SIGKILL and started again on the same data, so the
writer, the reader and the health check meet refused connections as with a crashed server.
"""

from __future__ import annotations

import logging
import time

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2

from tests.clickhouse_http import ClickHouseProcess
from tests.factories import export_request, hex_id, make_span

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
PROTOBUF = {"Content-Type": "application/x-protobuf"}


@pytest.fixture
def clickhouse(tmp_path):
    with ClickHouseProcess(tmp_path / "clickhouse") as process:
        yield process


def post(server, trace: int, name: str) -> httpx.Response:
    body = export_request(make_span(trace=trace, span=1, name=name)).SerializeToString()
    return httpx.post(server.http_endpoint + "/v1/traces", content=body, headers=PROTOBUF, timeout=60)


def grpc_export(server, trace: int, name: str) -> None:
    body = export_request(make_span(trace=trace, span=1, name=name)).SerializeToString()
    with grpc.insecure_channel(server.grpc_endpoint) as channel:
        channel.unary_unary(EXPORT)(body, timeout=60)


def span_names(server, trace: int) -> list[str]:
    response = httpx.get(f"{server.api}/api/v1/traces/{hex_id(trace)}", timeout=30)
    assert response.status_code == 200, response.text
    return [span["name"] for span in response.json()["spans"]]


def refused_once_the_writer_met_the_dead_store(server, trace: int, name: str) -> tuple[httpx.Response, list[int]]:
    """Post until refused; the traces acknowledged before that (logged, the writer not yet aware)."""
    logged = []
    for attempt in range(200):
        response = post(server, trace + attempt, name)
        if response.status_code != 200:
            return response, logged
        logged.append(trace + attempt)
        time.sleep(0.02)
    raise AssertionError("exports were never refused while the store was down")


def test_exports_while_the_store_is_down_get_retryable_refusals_and_are_stored_when_retried(
        clickhouse, server_factory):
    server = server_factory(clickhouse_dsn=clickhouse.dsn, write_timeout_s=2)
    assert post(server, 1, "before").status_code == 200

    clickhouse.kill()
    started = time.monotonic()
    # The first export after the kill is logged and acknowledged before the writer's insert meets
    # the dead store; from then on exports are refused, not logged, until it is back.
    refused, logged = refused_once_the_writer_met_the_dead_store(server, 100, "during, over HTTP")
    with pytest.raises(grpc.RpcError) as grpc_refusal:
        grpc_export(server, 3, "during, over gRPC")
    health = httpx.get(f"{server.api}/healthz", timeout=30)
    assert time.monotonic() - started < 15  # write_timeout_s bounds each wait, not the driver's timeouts

    assert (refused.status_code, refused.headers["retry-after"]) == (503, "5")
    status = status_pb2.Status.FromString(refused.content)
    assert status.code == 14  # UNAVAILABLE
    assert status.message.startswith("cannot insert into otel_traces")
    assert grpc_refusal.value.code() == grpc.StatusCode.UNAVAILABLE
    retry = error_details_pb2.RetryInfo.FromString(dict(grpc_refusal.value.trailing_metadata())[
        "google.rpc.retryinfo-bin"])
    assert retry.retry_delay.seconds == 5
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert "Connection refused" in health.json()["store"]
    # what clients read names the failure, not the store's address or the driver's session
    for told in (status.message, grpc_refusal.value.details(), health.json()["store"]):
        assert str(clickhouse.port) not in told and "session_id" not in told and "http" not in told, told

    clickhouse.start()
    # What OTLP exporters do with those answers: send the same spans again later.
    refused_trace = 100 + len(logged)
    deadline = time.monotonic() + 30
    while (answer := post(server, refused_trace, "during, over HTTP")).status_code != 200:
        assert answer.status_code == 503 and time.monotonic() < deadline  # until the logged spans are in
        time.sleep(0.2)
    grpc_export(server, 3, "during, over gRPC")
    server.settled()
    assert httpx.get(f"{server.api}/healthz", timeout=30).json() == {
        "status": "ok", "store": "reachable", "not_yet_queryable": {"spans": 0, "log_records": 0, "message_texts": 0}}
    assert [span_names(server, trace) for trace in (1, *logged, refused_trace, 3)] == [
        ["before"], *[["during, over HTTP"]] * (len(logged) + 1), ["during, over gRPC"]]


def test_an_export_acknowledged_while_the_store_is_down_is_stored_once_it_is_back(
        clickhouse, server_factory, caplog):
    server = server_factory(clickhouse_dsn=clickhouse.dsn, write_timeout_s=60)
    assert post(server, 1, "before").status_code == 200

    clickhouse.kill()
    with caplog.at_level(logging.WARNING, logger="spanhouse.store.writer"):
        assert post(server, 2, "during").status_code == 200  # in the log: durable, whatever the store does
        deadline = time.monotonic() + 30
        while not any("insert failed (attempt 1)" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "the writer never met the dead store"
            time.sleep(0.05)
    clickhouse.start()
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.api}/healthz", timeout=30).json().get("not_yet_queryable", {}).get("spans") != 0:
        assert time.monotonic() < deadline, "the logged export was not inserted once the store was back"
        time.sleep(0.1)
    assert span_names(server, 2) == ["during"]
