"""Anomaly lifecycle: one anomaly per ongoing condition, auto-resolve, people's status changes, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spanhouse.detect.lifecycle import AnomalyNotFound, AnomalyStore, Finding, TransitionRefused
from spanhouse.store.client import connect

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def finding(*, agent: str = "planner", observed: float = 0.4, severity: str = "warning", tenant: str = "acme",
            rule: str = "error_rate") -> Finding:
    return Finding(tenant=tenant, rule=rule, type="error_rate", severity=severity, metric="error_rate",
                   method="threshold", observed=observed, expected=0.02, deviation=observed / 0.1, samples=50,
                   window_start=T0 - 5 * MINUTE, window_end=T0, summary=f"{agent} errors", agent_name=agent,
                   model="gpt-4o", evidence_trace_ids=("ab" * 16,))


@pytest.fixture
def anomalies(settings, store):
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
    yield AnomalyStore(client)
    client.close()


def test_an_ongoing_condition_updates_one_open_anomaly(anomalies, query):
    first = anomalies.record([finding()], {"error_rate": True}, T0)
    second = anomalies.record([finding(observed=0.6)], {"error_rate": True}, T0 + MINUTE)
    third = anomalies.record([finding(observed=0.5, severity="critical")], {"error_rate": True}, T0 + 2 * MINUTE)
    assert [c.event for c in first.changes + second.changes + third.changes] == ["opened", "escalated"]
    [anomaly_id] = {c.anomaly["id"] for c in first.changes + third.changes}
    current = anomalies.get("acme", anomaly_id)
    assert (current["status"], current["severity"], current["observed"], current["first_seen"],
            current["last_seen"]) == ("OPEN", "critical", 0.5, T0, T0 + 2 * MINUTE)
    assert query("SELECT uniqExact(id) FROM anomalies") == [(1,)]


def test_a_cleared_condition_resolves_itself_and_a_recurrence_opens_a_new_anomaly(anomalies):
    opened = anomalies.record([finding()], {"error_rate": True}, T0).changes[0].anomaly
    cleared = anomalies.record([], {"error_rate": True}, T0 + MINUTE)
    assert [(c.event, c.anomaly["id"]) for c in cleared.changes] == [("resolved", opened["id"])]
    assert anomalies.get("acme", opened["id"])["status"] == "RESOLVED"
    assert [(h["actor"], h["from_status"], h["to_status"]) for h in anomalies.history("acme", opened["id"])] == [
        ("detector", "", "OPEN"), ("detector", "OPEN", "RESOLVED")]
    again = anomalies.record([finding()], {"error_rate": True}, T0 + 2 * MINUTE)
    assert [c.event for c in again.changes] == ["opened"]
    assert again.changes[0].anomaly["id"] != opened["id"]


def test_without_auto_resolve_a_cleared_condition_stays_open(anomalies):
    opened = anomalies.record([finding()], {"error_rate": False}, T0).changes[0].anomaly
    assert anomalies.record([], {"error_rate": False}, T0 + MINUTE).changes == []
    current = anomalies.get("acme", opened["id"])
    assert (current["status"], current["condition_active"]) == ("OPEN", False)


def test_anomalies_of_rules_that_did_not_run_are_left_alone(anomalies):
    opened = anomalies.record([finding()], {"error_rate": True}, T0).changes[0].anomaly
    anomalies.record([], {"slow_thread": True}, T0 + MINUTE)
    assert anomalies.get("acme", opened["id"])["status"] == "OPEN"


def test_acknowledge_then_resolve_keeps_actor_time_and_note(anomalies):
    opened = anomalies.record([finding()], {"error_rate": True}, T0).changes[0].anomaly
    acked = anomalies.transition("acme", opened["id"], "ACKNOWLEDGED", "ana", "looking", T0 + MINUTE)
    anomalies.record([finding(observed=0.7)], {"error_rate": True}, T0 + 2 * MINUTE)  # still going on
    assert (acked["status"], anomalies.get("acme", opened["id"])["status"]) == ("ACKNOWLEDGED", "ACKNOWLEDGED")
    anomalies.transition("acme", opened["id"], "RESOLVED", "ana", "rolled back", T0 + 3 * MINUTE)
    assert [(h["at"], h["actor"], h["to_status"], h["note"]) for h in anomalies.history("acme", opened["id"])] == [
        (T0, "detector", "OPEN", "planner errors"),
        (T0 + MINUTE, "ana", "ACKNOWLEDGED", "looking"),
        (T0 + 3 * MINUTE, "ana", "RESOLVED", "rolled back")]


def test_a_false_positive_absorbs_its_condition_until_it_clears(anomalies):
    opened = anomalies.record([finding()], {"error_rate": True}, T0).changes[0].anomaly
    anomalies.transition("acme", opened["id"], "FALSE_POSITIVE", "ana", "load test", T0 + MINUTE)
    assert anomalies.record([finding()], {"error_rate": True}, T0 + 2 * MINUTE).changes == []
    current = anomalies.get("acme", opened["id"])
    assert (current["status"], current["last_seen"]) == ("FALSE_POSITIVE", T0 + 2 * MINUTE)
    assert anomalies.record([], {"error_rate": True}, T0 + 3 * MINUTE).changes == []  # not "resolved"
    assert [c.event for c in anomalies.record([finding()], {"error_rate": True}, T0 + 4 * MINUTE).changes] == [
        "opened"]


@pytest.mark.parametrize(("first", "then"), [("RESOLVED", "ACKNOWLEDGED"), ("FALSE_POSITIVE", "RESOLVED"),
                                             ("ACKNOWLEDGED", "ACKNOWLEDGED")])
def test_a_status_change_that_cannot_follow_is_refused(anomalies, first, then):
    opened = anomalies.record([finding()], {"error_rate": True}, T0).changes[0].anomaly
    anomalies.transition("acme", opened["id"], first, "ana", "", T0 + MINUTE)
    with pytest.raises(TransitionRefused, match=f"an anomaly {first} cannot become {then}"):
        anomalies.transition("acme", opened["id"], then, "ana", "", T0 + 2 * MINUTE)


def test_another_tenants_anomaly_is_not_found(anomalies):
    opened = anomalies.record([finding()], {"error_rate": True}, T0).changes[0].anomaly
    with pytest.raises(AnomalyNotFound):
        anomalies.transition("other", opened["id"], "ACKNOWLEDGED", "eve", "", T0)


def test_the_same_scope_in_two_tenants_is_two_anomalies(anomalies):
    result = anomalies.record([finding(tenant="acme"), finding(tenant="globex")], {"error_rate": True}, T0)
    assert sorted(c.anomaly["tenant"] for c in result.changes) == ["acme", "globex"]
