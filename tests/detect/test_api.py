"""Anomaly routes of the query API, on a running spanhouse: filters, pagination, detail, status changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from spanhouse.detect.lifecycle import AnomalyStore
from spanhouse.store.client import connect
from tests.detect.test_lifecycle import finding

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def seeded(server):
    """Three open anomalies of tenant `default` (agents a0..a2) and one of another tenant."""
    client = connect(server.settings.clickhouse_dsn, server.settings.clickhouse_database)
    store = AnomalyStore(client)
    ids = []
    for number in range(3):
        at = NOW - timedelta(minutes=10 - number)
        result = store.record([finding(agent=f"a{number}", tenant="default",
                                       severity="critical" if number == 2 else "warning")],
                              {"error_rate": False}, at)
        ids.append(result.changes[0].anomaly["id"])
    other = store.record([finding(tenant="globex")], {"error_rate": False}, NOW).changes[0].anomaly["id"]
    client.close()
    return ids, other


def test_the_list_is_newest_first_filtered_and_paginated(server, seeded):
    ids, _ = seeded
    first = httpx.get(f"{server.api}/api/v1/anomalies", params={"limit": 2}, timeout=30).json()
    assert ([a["id"] for a in first["anomalies"]], first["total"], first["next_offset"]) == (
        [ids[2], ids[1]], 3, 2)
    second = httpx.get(f"{server.api}/api/v1/anomalies", params={"limit": 2, "offset": 2}, timeout=30).json()
    assert ([a["id"] for a in second["anomalies"]], second["next_offset"]) == ([ids[0]], None)
    critical = httpx.get(f"{server.api}/api/v1/anomalies", params={"severity": "critical"}, timeout=30).json()
    assert [a["scope"]["agent"] for a in critical["anomalies"]] == ["a2"]
    by_agent = httpx.get(f"{server.api}/api/v1/anomalies", params={"agent": "a1", "status": "OPEN,ACKNOWLEDGED"},
                         timeout=30).json()
    assert [a["id"] for a in by_agent["anomalies"]] == [ids[1]]
    old = httpx.get(f"{server.api}/api/v1/anomalies", params={"end": "-1d"}, timeout=30).json()
    assert old["anomalies"] == []


def test_a_bad_filter_is_400_naming_it(server, seeded):
    response = httpx.get(f"{server.api}/api/v1/anomalies", params={"status": "OPEN,SNOOZED"}, timeout=30)
    assert (response.status_code, response.json()["error"]["parameter"]) == (400, "status")


def test_acknowledge_then_resolve_shows_in_the_history(server, seeded):
    ids, _ = seeded
    url = f"{server.api}/api/v1/anomalies/{ids[0]}"
    acked = httpx.post(url + "/acknowledge", json={"actor": "ana", "note": "on it"}, timeout=30)
    assert (acked.status_code, acked.json()["status"]) == (200, "ACKNOWLEDGED")
    assert httpx.post(url + "/resolve", timeout=30).json()["status"] == "RESOLVED"
    conflict = httpx.post(url + "/false-positive", timeout=30)
    assert (conflict.status_code, conflict.json()["error"]["code"]) == (409, "status_conflict")
    detail = httpx.get(url, timeout=30).json()
    assert detail["evidence"] == {"thread_ids": [], "trace_ids": ["ab" * 16]}
    assert detail["scope"] == {"tenant": "default", "agent": "a0", "model": "gpt-4o", "tool": None,
                               "thread_id": None, "trace_id": None}
    assert [(h["actor"], h["from_status"], h["to_status"], h["note"]) for h in detail["history"]] == [
        ("detector", None, "OPEN", "a0 errors"), ("ana", "OPEN", "ACKNOWLEDGED", "on it"),
        ("api", "ACKNOWLEDGED", "RESOLVED", "")]


def test_another_tenants_anomaly_is_404_to_read_and_to_change(server, seeded):
    _, other = seeded
    assert httpx.get(f"{server.api}/api/v1/anomalies/{other}", timeout=30).status_code == 404
    assert httpx.post(f"{server.api}/api/v1/anomalies/{other}/acknowledge", timeout=30).status_code == 404
    listed = httpx.get(f"{server.api}/api/v1/anomalies", timeout=30).json()
    assert other not in [a["id"] for a in listed["anomalies"]]


def test_the_openapi_document_describes_the_anomaly_routes(server):
    paths = httpx.get(f"{server.api}/openapi.json", timeout=30).json()["paths"]
    assert {"/api/v1/anomalies", "/api/v1/anomalies/{anomaly_id}", "/api/v1/anomalies/{anomaly_id}/acknowledge",
            "/api/v1/anomalies/{anomaly_id}/resolve", "/api/v1/anomalies/{anomaly_id}/false-positive"} <= set(paths)
