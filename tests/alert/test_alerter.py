"""The alerter between the detector and a real local webhook: routes' filters and formats, cooldown,
hourly cap (both kept across a restart), retries, a full queue, and a prompt stop; every outcome a row
of alert_deliveries."""

from __future__ import annotations

import logging

from spanhouse.alert.alerter import Alerter
from spanhouse.alert.deliveries import DeliveryLog
from spanhouse.alert.routes import AlertConfig
from spanhouse.store.client import connect
from tests.alert.conftest import finding, route

HOUR = 3600


def settle(alerter: Alerter) -> None:
    assert alerter.wait_idle(30)


def test_json_and_slack_routes_each_get_their_format(receiver, make_alerter, changes, deliveries):
    alerter = make_alerter(route(receiver.url, "generic"), route(receiver.url + "/slack", "chat", format="slack"),
                           api_url="https://sh.example.com")
    [opened] = changes(finding(severity="critical"))
    alerter.notify([opened])
    settle(alerter)
    by_path = {request.path: request.json for request in receiver.wait_for(2)}
    anomaly_id = opened.anomaly["id"]
    generic = by_path["/hook"]
    assert (generic["event"], generic["route"], generic["tenant"], generic["anomaly"]["id"],
            generic["anomaly"]["severity"], generic["links"]) == (
        "opened", "generic", "acme", anomaly_id, "critical",
        {"anomaly": f"https://sh.example.com/api/v1/anomalies/{anomaly_id}"})
    slack = by_path["/hook/slack"]
    assert slack["text"] == "[CRITICAL] error_rate opened: planner: error rate 40%"
    assert [block["type"] for block in slack["blocks"]] == ["header", "section", "context"]
    assert sorted(deliveries()) == [("chat", "opened", "sent", 1, 200, ""), ("generic", "opened", "sent", 1, 200, "")]


def test_a_route_gets_only_the_types_severities_tenants_and_events_it_asks_for(receiver, make_alerter, changes,
                                                                               deliveries):
    alerter = make_alerter(
        route(receiver.url, "critical-only", severities=frozenset({"critical"})),
        route(receiver.url, "costs", types=frozenset({"cost_spike"})),
        route(receiver.url, "globex", tenants=frozenset({"globex"})),
        route(receiver.url, "endings", events=frozenset({"resolved"})),
    )
    alerter.notify(changes(finding(agent="a", severity="warning"), finding(agent="b", type="cost_spike",
                                                                           severity="critical")))
    settle(alerter)
    alerter.notify(changes(rules={"error_rate": True, "cost_spike": True}))  # both conditions clear: resolved
    settle(alerter)
    rows = deliveries()
    assert sorted((route_name, event) for route_name, event, *_ in rows) == [
        ("costs", "opened"), ("costs", "resolved"), ("critical-only", "opened"), ("critical-only", "resolved"),
        ("endings", "resolved"), ("endings", "resolved")]
    assert len(receiver.wait_for(6)) == 6


def test_the_cooldown_holds_back_the_same_anomaly_and_its_recurrences(receiver, make_alerter, changes, clock,
                                                                       deliveries):
    alerter = make_alerter(route(receiver.url, cooldown_s=600))
    step = []

    def run(*findings, **kwargs):
        alerter.notify(changes(*findings, **kwargs))
        settle(alerter)
        step.append(deliveries()[len(step):])
        clock.advance(60)

    run(finding())                                   # t=0    opened: sent, the cooldown starts
    run(finding(severity="critical"))                # t=60   escalated within the cooldown: throttled
    run(rules={"error_rate": True})                  # t=120  resolved: sent, its opening was sent
    run(finding())                                   # t=180  a recurrence (a new anomaly): throttled
    run(rules={"error_rate": True})                  # t=240  its resolution: throttled, the opening was not sent
    clock.advance(600)
    run(finding())                                   # t=900  the cooldown is over: sent
    assert [[(event, outcome) for _, event, outcome, *_ in rows] for rows in step] == [
        [("opened", "sent")], [("escalated", "throttled")], [("resolved", "sent")], [("opened", "throttled")],
        [("resolved", "throttled")], [("opened", "sent")]]
    assert step[1][0][5] == ("cooldown: an alert about this anomaly (or a recurrence of it) was sent 60s ago, "
                             "cooldown_s is 600")
    assert step[4][0][5].endswith("; its opening was not sent either")
    assert [r.json["event"] for r in receiver.wait_for(3)] == ["opened", "resolved", "opened"]
    assert all(attempts == 0 and status == 0 for _, _, outcome, attempts, status, _ in deliveries()
               if outcome == "throttled")


def test_past_the_hourly_cap_a_storm_is_throttled_until_the_hour_slides_on(receiver, make_alerter, changes, clock,
                                                                           deliveries):
    alerter = make_alerter(route(receiver.url, max_per_hour=2, cooldown_s=0))
    alerter.notify(changes(*(finding(agent=f"agent-{n}") for n in range(5))))
    settle(alerter)
    assert sorted((outcome, detail) for _, _, outcome, _, _, detail in deliveries()) == [
        ("sent", ""), ("sent", ""),
        *[("throttled", "hourly cap: 2 alerts attempted on this route in the last hour (max_per_hour)")] * 3]
    clock.advance(HOUR)
    alerter.notify(changes(finding(agent="agent-late")))
    settle(alerter)
    assert deliveries()[-1][2] == "sent"
    assert len(receiver.wait_for(3)) == 3


def test_a_restart_keeps_the_cooldowns_and_the_hourly_cap(receiver, make_alerter, changes, clock, deliveries):
    hook = route(receiver.url, cooldown_s=600, max_per_hour=2)
    before = make_alerter(hook)
    before.notify(changes(finding()))                 # t=0    opened: sent
    settle(before)
    before.__exit__(None, None, None)                 # spanhouse restarts
    clock.advance(60)
    after = make_alerter(hook)

    def run(*findings, **kwargs):
        after.notify(changes(*findings, **kwargs))
        settle(after)
        clock.advance(60)
        return [(event, outcome, detail) for _, event, outcome, _, _, detail in deliveries()[-1:]]

    assert run(finding(severity="critical")) == [     # t=60   escalated: the cooldown from before holds
        ("escalated", "throttled", "cooldown: an alert about this anomaly (or a recurrence of it) was sent 60s ago, "
                                   "cooldown_s is 600")]
    assert run(rules={"error_rate": True}) == [("resolved", "sent", "")]  # t=120  its opening was sent before
    assert run(finding())[0][:2] == ("opened", "throttled")  # t=180  a recurrence, known by its fingerprint
    assert run(finding(agent="other")) == [           # t=240  another anomaly: 2 sent in the hour, before and after
        ("opened", "throttled", "hourly cap: 2 alerts attempted on this route in the last hour (max_per_hour)")]
    assert [r.json["event"] for r in receiver.wait_for(2)] == ["opened", "resolved"]


def test_a_restart_forgets_routes_since_removed_and_starts_afresh_without_the_store(
        settings, receiver, make_alerter, changes, clock, deliveries, caplog):
    first = make_alerter(route(receiver.url, "old", cooldown_s=600))
    first.notify(changes(finding()))
    settle(first)
    first.__exit__(None, None, None)
    clock.advance(60)
    renamed = make_alerter(route(receiver.url, "new", cooldown_s=600))
    renamed.notify(changes(finding(severity="critical")))
    settle(renamed)
    assert deliveries()[-1][:3] == ("new", "escalated", "sent")  # "old"'s cooldown is not "new"'s

    broken = connect(settings.clickhouse_dsn, settings.clickhouse_database)
    broken.close()
    with caplog.at_level(logging.WARNING, logger="spanhouse.alert.alerter"):
        alerter = Alerter(AlertConfig((route(receiver.url),)), DeliveryLog(broken), clock=clock)
        with alerter:
            pass
    assert "cooldowns and hourly caps start afresh, recent deliveries unreadable" in caplog.text


def test_retries_with_backoff_end_in_a_sent_row_with_its_attempts(receiver, make_alerter, changes, waits,
                                                                   deliveries):
    receiver.answer(500, times=2)
    alerter = make_alerter(route(receiver.url, attempts=4, backoff_s=1.5))
    alerter.notify(changes(finding()))
    settle(alerter)
    assert deliveries() == [("hook", "opened", "sent", 3, 200, "")]
    assert waits.delays == [1.5, 3.0]


def test_a_permanent_failure_is_a_failed_row_with_attempts_status_and_why(receiver, make_alerter, changes, clock,
                                                                           deliveries):
    receiver.answer(503, times=3, body=b"maintenance")
    receiver.answer(401, body=b"bad token")
    alerter = make_alerter(route(receiver.url, attempts=3))
    alerter.notify(changes(finding(agent="a")))
    settle(alerter)
    clock.advance(1)
    alerter.notify(changes(finding(agent="b")))
    settle(alerter)
    assert deliveries() == [
        ("hook", "opened", "failed", 3, 503, "HTTP 503: maintenance; gave up after 3 attempts"),
        ("hook", "opened", "failed", 1, 401, "HTTP 401: bad token; not retried")]


def test_a_full_queue_is_recorded_as_failed_and_the_detector_never_waits(receiver, make_alerter, changes,
                                                                          deliveries):
    receiver.hang(seconds=60)  # the first alert keeps the delivery thread busy
    alerter = make_alerter(route(receiver.url, timeout_s=30, cooldown_s=0), queue_max=1)
    alerter.notify(changes(finding(agent="first")))
    receiver.wait_for(1)
    alerter.notify(changes(*(finding(agent=f"storm-{n}") for n in range(3))))  # returns with the thread busy
    assert sorted(row[2:] for row in deliveries()) == [
        ("failed", 0, 0, "not sent: the alert queue is full (1 alerts waiting)")] * 2
    receiver.release()
    settle(alerter)
    assert sorted(row[2] for row in deliveries()) == ["failed", "failed", "sent", "sent"]


def test_leaving_the_context_interrupts_a_backoff_at_once(receiver, make_alerter, changes, deliveries):
    receiver.answer(500, times=3)
    # a real wait: ten minutes of backoff, which leaving the context must cut short
    alerter = make_alerter(route(receiver.url, attempts=3, backoff_s=600), real_waits=True)
    alerter.notify(changes(finding()))
    receiver.wait_for(1)
    alerter.__exit__(None, None, None)  # returns once the delivery thread has ended
    assert deliveries() == [("hook", "opened", "failed", 1, 500, "HTTP 500; stopped before retrying (shutting down)")]


def test_alerts_still_queued_at_the_stop_are_recorded_not_dropped(receiver, make_alerter, changes, deliveries):
    receiver.hang(seconds=60)
    alerter = make_alerter(route(receiver.url, timeout_s=0.5, attempts=1, cooldown_s=0))
    alerter.notify(changes(finding(agent="in-flight")))
    receiver.wait_for(1)
    alerter.notify(changes(finding(agent="queued")))
    alerter.__exit__(None, None, None)
    assert sorted(row[2:] for row in deliveries()) == [
        ("failed", 0, 0, "not sent: spanhouse stopped first"), ("failed", 1, 0, "timed out after 0.5s")]
    alerter.notify(changes(finding(agent="after")))
    assert ("failed", 0, 0, "not sent: the alerter is not running") in [row[2:] for row in deliveries()]
