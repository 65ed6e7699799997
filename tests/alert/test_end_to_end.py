"""From spans to a webhook: failing LLM calls arrive over OTLP, a detector run opens an error-rate
anomaly, the webhook receives it, its delivery is a row of alert_deliveries, and the API lists it.
Once on a fake clock (the detector and the alerter get `now`), once inside `spanhouse serve`
itself (its scheduler's on_changes is the alerter)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from spanhouse.alert.alerter import Alerter
from spanhouse.alert.deliveries import DeliveryLog
from spanhouse.alert.routes import load_routes
from spanhouse.app import running
from spanhouse.detect.lifecycle import AnomalyStore
from spanhouse.detect.rules import load_rules
from spanhouse.detect.scheduler import Scheduler
from spanhouse.errors import ConfigError
from spanhouse.store.client import connect
from tests.alert.conftest import FakeClock
from tests.factories import export_request, llm_span

DETECTED_AT = datetime(2026, 3, 2, 10, 5, tzinfo=UTC)


def send_failing_calls(server, around_ns: int, count: int = 30) -> None:
    """`count` failed LLM calls of agent `checkout` in the minute before `around_ns`."""
    spans = [llm_span(trace=1000 + n, span=1, parent=None, start_ns=around_ns - (60 - n) * 10**9,
                      attributes={"gen_ai.agent.name": "checkout"}, status=Status(code=Status.STATUS_CODE_ERROR))
             for n in range(count)]
    answer = httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
                        headers={"Content-Type": "application/x-protobuf"}, timeout=30)
    assert answer.status_code == 200


def write_routes(tmp_path, receiver) -> str:
    path = tmp_path / "alerts.toml"
    path.write_text(f'[[routes]]\nname = "oncall"\nurl = "{receiver.url}"\nmin_severity = "warning"\n')
    return str(path)


def test_a_detector_run_on_a_fake_clock_reaches_the_webhook_and_the_api(server_factory, receiver, tmp_path):
    routes = write_routes(tmp_path, receiver)
    server = server_factory(alert_routes_file=routes, detect_interval_s=0)  # the test runs the detector
    send_failing_calls(server, int(DETECTED_AT.timestamp()) * 10**9)
    server.settled()  # the detector reads the tables straight, as in production: once inserted
    settings = server.settings
    clients = [connect(settings.clickhouse_dsn, settings.clickhouse_database) for _ in range(3)]
    detect_client, anomaly_client, alert_client = clients
    clock = FakeClock(DETECTED_AT)
    with Alerter(load_routes(routes), DeliveryLog(alert_client), clock=clock) as alerter:
        scheduler = Scheduler(detect_client, AnomalyStore(anomaly_client), load_rules(), 0, clock=clock,
                              on_changes=alerter.notify)
        result = scheduler.run_once()
        assert alerter.wait_idle(30)
    for client in clients:
        client.close()
    assert [(c.event, c.anomaly["type"], c.anomaly["agent_name"]) for c in result.changes] == [
        ("opened", "error_rate", "checkout")]
    anomaly_id = result.changes[0].anomaly["id"]

    [request] = receiver.wait_for(1)
    alert = request.json
    assert (alert["event"], alert["anomaly"]["id"], alert["anomaly"]["severity"], alert["anomaly"]["scope"]["agent"],
            alert["anomaly"]["observed"], alert["links"]) == (
        "opened", anomaly_id, "critical", "checkout", 1.0, {"anomaly": f"/api/v1/anomalies/{anomaly_id}"})

    listed = httpx.get(f"{server.api}/api/v1/alerts/deliveries", timeout=30, params={
        "start": "2026-03-02T00:00:00Z", "end": "2026-03-03T00:00:00Z"}).json()
    assert [(d["at"], d["route"], d["format"], d["anomaly_id"], d["event"], d["outcome"], d["attempts"],
             d["http_status"]) for d in listed["deliveries"]] == [
        ("2026-03-02T10:05:00.000Z", "oncall", "json", anomaly_id, "opened", "sent", 1, 200)]
    linked = httpx.get(f"{server.api}{alert['links']['anomaly']}", timeout=30)
    assert (linked.status_code, linked.json()["status"]) == (200, "OPEN")


def test_spanhouse_serve_alerts_on_what_its_own_detector_finds(server_factory, receiver, tmp_path):
    server = server_factory(alert_routes_file=write_routes(tmp_path, receiver), detect_interval_s=0.5)
    send_failing_calls(server, time.time_ns())
    [request] = receiver.wait_for(1, timeout_s=120)
    alert = request.json
    assert (alert["event"], alert["anomaly"]["type"], alert["anomaly"]["scope"]["agent"]) == (
        "opened", "error_rate", "checkout")
    listed: list = []
    deadline = time.monotonic() + 30
    while not listed and time.monotonic() < deadline:  # the row is written once the webhook has answered
        listed = httpx.get(f"{server.api}/api/v1/alerts/deliveries", timeout=30).json()["deliveries"]
        time.sleep(0.05)
    assert [(d["anomaly_id"], d["outcome"]) for d in listed] == [(alert["anomaly"]["id"], "sent")]


def test_a_bad_routes_file_stops_the_start_naming_the_route(settings, tmp_path):
    path = tmp_path / "alerts.toml"
    path.write_text('[[routes]]\nname = "oncall"\nurl = "https://example.com/hook"\nformat = "teams"\n')

    async def start() -> None:
        async with running(replace(settings, alert_routes_file=str(path))):
            pass

    with pytest.raises(ConfigError, match=f"alert routes file {path}, route 'oncall': format must be json or slack"):
        asyncio.run(start())
