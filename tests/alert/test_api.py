"""The alert routes of the query API on a running spanhouse: the deliveries list (filters, pagination,
tenant scope) and test messages (to one route or all, 404 for an unknown route, 409 without routes,
admin only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from spanhouse.alert.deliveries import Delivery, DeliveryLog
from spanhouse.store.client import connect
from tests.test_auth import ACME_READ, ADMIN, GLOBEX_READ, KEYS

ANOMALY = "ab" * 16


def routes_file(tmp_path, receiver, extra: str = "") -> str:
    path = tmp_path / "alerts.toml"
    path.write_text(f"""
[[routes]]
name = "generic"
url = "{receiver.url}"

[[routes]]
name = "chat"
url = "{receiver.url}/slack"
format = "slack"
{extra}""")
    return str(path)


@pytest.fixture
def hooked(server_factory, receiver, tmp_path):
    return server_factory(alert_routes_file=routes_file(tmp_path, receiver))


def record(server, *rows: Delivery) -> None:
    client = connect(server.settings.clickhouse_dsn, server.settings.clickhouse_database)
    DeliveryLog(client).write(rows)
    client.close()


def delivery(minutes_ago: int, *, tenant: str = "default", route: str = "generic", outcome: str = "sent",
             anomaly_id: str = ANOMALY, event: str = "opened") -> Delivery:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return Delivery.new(tenant=tenant, at=at, route=route, format="json",
                        anomaly_id=anomaly_id, event=event, outcome=outcome,
                        attempts=0 if outcome == "throttled" else 1, http_status=0 if outcome == "throttled" else 200,
                        detail="hourly cap" if outcome == "throttled" else "")


def test_a_test_message_goes_to_every_route_and_is_listed(hooked, receiver):
    answer = httpx.post(f"{hooked.api}/api/v1/alerts/test", timeout=30)
    assert answer.status_code == 200
    assert sorted((d["route"], d["format"], d["event"], d["anomaly_id"], d["outcome"], d["attempts"], d["http_status"],
                   d["detail"]) for d in answer.json()["deliveries"]) == [
        ("chat", "slack", "test", None, "sent", 1, 200, ""), ("generic", "json", "test", None, "sent", 1, 200, "")]
    bodies = {request.path: request.json for request in receiver.wait_for(2)}
    assert bodies["/hook"]["title"] == "spanhouse test alert for route generic"
    assert bodies["/hook/slack"]["text"] == "spanhouse test alert for route chat"
    listed = httpx.get(f"{hooked.api}/api/v1/alerts/deliveries", params={"event": "test", "route": "chat"},
                       timeout=30).json()
    assert [(d["route"], d["event"], d["outcome"]) for d in listed["deliveries"]] == [("chat", "test", "sent")]


def test_a_test_message_to_one_route_and_its_failure_is_an_answer_not_an_error(hooked, receiver):
    receiver.answer(500, body=b"boom")
    answer = httpx.post(f"{hooked.api}/api/v1/alerts/test", json={"route": "chat"}, timeout=30)
    assert (answer.status_code, [(d["route"], d["outcome"], d["attempts"], d["http_status"], d["detail"])
                                 for d in answer.json()["deliveries"]]) == (
        200, [("chat", "failed", 1, 500, "HTTP 500: boom")])


def test_an_unknown_route_is_404_naming_it_and_a_bad_body_400(hooked):
    unknown = httpx.post(f"{hooked.api}/api/v1/alerts/test", json={"route": "pager"}, timeout=30)
    assert (unknown.status_code, unknown.json()["error"]) == (
        404, {"code": "alert_route_not_found", "message": "no alert route 'pager' for tenant default"})
    for body in (b"[1]", b"{", b'{"route": 7}', b'{"rout": "chat"}'):
        answer = httpx.post(f"{hooked.api}/api/v1/alerts/test", content=body, timeout=30)
        assert answer.status_code == 400, body


def test_without_routes_a_test_message_is_409_saying_so(server):
    answer = httpx.post(f"{server.api}/api/v1/alerts/test", timeout=30)
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "no_alert_routes")
    assert "no alert routes are configured: set SPANHOUSE_ALERT_ROUTES_FILE" in answer.json()["error"]["message"]


def test_deliveries_are_filtered_newest_first_and_paginated(server):
    other = "cd" * 16
    record(server, delivery(50), delivery(40, outcome="throttled"), delivery(30, route="chat"),
           delivery(20, anomaly_id=other, event="resolved"), delivery(60 * 24 * 10),
           delivery(10, tenant="globex"))
    url = f"{server.api}/api/v1/alerts/deliveries"

    def listed(**params):
        answer = httpx.get(url, params=params, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    everything = listed()
    assert [(d["route"], d["event"], d["outcome"]) for d in everything["deliveries"]] == [
        ("generic", "resolved", "sent"), ("chat", "opened", "sent"), ("generic", "opened", "throttled"),
        ("generic", "opened", "sent")]
    assert (everything["total"], everything["next_offset"]) == (4, None)
    assert everything["deliveries"][2]["attempts"] == 0 and everything["deliveries"][2]["http_status"] is None
    page = listed(limit=3)
    assert (len(page["deliveries"]), page["next_offset"]) == (3, 3)
    assert [d["route"] for d in listed(limit=3, offset=3)["deliveries"]] == ["generic"]
    assert [d["outcome"] for d in listed(outcome="throttled")["deliveries"]] == ["throttled"]
    assert [d["route"] for d in listed(route="chat")["deliveries"]] == ["chat"]
    assert [d["event"] for d in listed(anomaly_id=other)["deliveries"]] == ["resolved"]
    assert len(listed(start="-45m")["deliveries"]) == 3
    nothing = listed(route="no-such-route")
    assert (nothing["deliveries"], nothing["total"], nothing["next_offset"]) == ([], 0, None)
    past_the_end = listed(offset=100)
    assert (past_the_end["deliveries"], past_the_end["total"]) == ([], None)  # unknown from an empty page
    assert len(listed(start="-30d")["deliveries"]) == 5
    assert listed(end="-1d", start="-2d")["deliveries"] == []


@pytest.mark.parametrize(("params", "parameter"), [
    ({"outcome": "sent,lost"}, "outcome"), ({"event": "acknowledged"}, "event"), ({"anomaly_id": "xyz"}, "anomaly_id"),
    ({"limit": "0"}, "limit"), ({"start": "yesterday"}, "start"), ({"start": "-500d"}, "start"),
])
def test_a_bad_filter_is_400_naming_it(server, params, parameter):
    answer = httpx.get(f"{server.api}/api/v1/alerts/deliveries", params=params, timeout=30)
    assert (answer.status_code, answer.json()["error"]["parameter"]) == (400, parameter)


def test_with_api_keys_a_test_needs_admin_and_sees_only_the_tenants_routes(server_factory, receiver, tmp_path):
    keys = tmp_path / "keys.toml"
    keys.write_text(KEYS)
    # ADMIN is acme's; "chat" only serves globex
    server = server_factory(api_keys_file=str(keys),
                            alert_routes_file=routes_file(tmp_path, receiver, 'tenants = ["globex"]'))
    url = f"{server.api}/api/v1/alerts/test"
    assert httpx.post(url, timeout=30).status_code == 401
    assert httpx.post(url, headers={"x-api-key": ACME_READ}, timeout=30).status_code == 403
    sent = httpx.post(url, headers={"x-api-key": ADMIN}, timeout=30)
    assert [d["route"] for d in sent.json()["deliveries"]] == ["generic"]
    hidden = httpx.post(url, headers={"x-api-key": ADMIN}, json={"route": "chat"}, timeout=30)
    assert (hidden.status_code, hidden.json()["error"]["message"]) == (404, "no alert route 'chat' for tenant acme")
    deliveries = f"{server.api}/api/v1/alerts/deliveries"
    assert [d["route"] for d in httpx.get(deliveries, headers={"x-api-key": ACME_READ}, timeout=30).json()[
        "deliveries"]] == ["generic"]
    assert httpx.get(deliveries, headers={"x-api-key": GLOBEX_READ}, timeout=30).json()["deliveries"] == []
