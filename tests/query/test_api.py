"""Query API: status codes for unknown and malformed trace ids, health, and what an unexpected
error answers."""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.factories import export_request, hex_id, make_span
from tests.query.conftest import SECRET

INTERNAL_ERROR = re.compile(r"internal error \(incident ([0-9a-f]{8})\): the server log has the details")


def test_an_unknown_trace_is_404(server):
    response = httpx.get(f"{server.api}/api/v1/traces/{hex_id(12345)}", timeout=30)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "trace_not_found")


def test_a_malformed_trace_id_is_400(server):
    response = httpx.get(f"{server.api}/api/v1/traces/not-a-trace-id", timeout=30)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "trace id must be 32 hex characters, got 'not-a-trace-id'"


def test_a_trace_id_with_a_trailing_newline_is_400_not_a_lookup(server):
    response = httpx.get(f"{server.api}/api/v1/traces/{hex_id(12345)}%0A", timeout=30)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_trace_id")


def test_trace_ids_are_matched_case_insensitively(server):
    body = export_request(make_span(trace=0xABC)).SerializeToString()
    httpx.post(server.http_endpoint + "/v1/traces", content=body,
               headers={"Content-Type": "application/x-protobuf"}, timeout=30).raise_for_status()
    assert httpx.get(f"{server.api}/api/v1/traces/{hex_id(0xABC).upper()}", timeout=30).status_code == 200


def test_a_trace_sent_in_several_requests_is_one_timeline(server):
    for span in (make_span(trace=9, span=2, parent=1, start_ns=2_000_000_000_000_000_000),
                 make_span(trace=9, span=1, start_ns=1_999_999_999_000_000_000, duration_ns=5_000_000_000)):
        httpx.post(server.http_endpoint + "/v1/traces", content=export_request(span).SerializeToString(),
                   headers={"Content-Type": "application/x-protobuf"}, timeout=30).raise_for_status()
    doc = httpx.get(f"{server.api}/api/v1/traces/{hex_id(9)}", timeout=30).json()
    assert [(s["span_id"], s["depth"], s["start_offset_ms"]) for s in doc["spans"]] == [
        (hex_id(1, 8), 0, 0.0), (hex_id(2, 8), 1, 1000.0)]


NOTHING_PENDING = {"spans": 0, "log_records": 0, "message_texts": 0}


def test_healthz_reports_a_reachable_store_and_nothing_waiting_to_be_queryable(server):
    response = httpx.get(f"{server.api}/healthz", timeout=30)
    assert (response.status_code, response.json()) == (
        200, {"status": "ok", "store": "reachable", "not_yet_queryable": NOTHING_PENDING})


def test_healthz_counts_acknowledged_spans_until_their_insert_makes_them_queryable(server_factory):
    server = server_factory(flush_interval_ms=2000)

    def send(trace: int) -> None:
        httpx.post(server.http_endpoint + "/v1/traces", content=export_request(make_span(trace=trace)).
                   SerializeToString(), headers={"Content-Type": "application/x-protobuf"},
                   timeout=30).raise_for_status()

    # Sent together, all but the first arrive during an insert: acknowledged from the write-ahead
    # log, queryable once the flush interval has passed.
    waiting, sent = 0, []
    for attempt in range(5):
        traces = range(10 * attempt + 10, 10 * attempt + 18)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(send, traces))
        sent += traces
        waiting = httpx.get(f"{server.api}/healthz", timeout=30).json()["not_yet_queryable"]["spans"]
        if waiting:
            break
    assert waiting > 0
    server.settled()
    assert {httpx.get(f"{server.api}/api/v1/traces/{hex_id(trace)}", timeout=30).status_code
            for trace in sent} == {200}


def test_every_span_inherits_the_thread_and_agent_named_by_a_later_span_of_its_trace(server):
    child = make_span(trace=5, span=2, parent=1, name="chat gpt-4o",
                      attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})
    root = make_span(trace=5, span=1, name="invoke_agent planner", duration_ns=9_000_000,
                     attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner",
                                 "gen_ai.conversation.id": "conv-42"})
    for span in (child, root):  # the root ends, and is exported, after its child
        httpx.post(server.http_endpoint + "/v1/traces", content=export_request(span).SerializeToString(),
                   headers={"Content-Type": "application/x-protobuf"}, timeout=30).raise_for_status()
    doc = httpx.get(f"{server.api}/api/v1/traces/{hex_id(5)}", timeout=30).json()
    assert (doc["thread_id"], doc["agent_name"], doc["user_id"]) == ("conv-42", "planner", None)
    assert [(s["name"], s["ai"]["thread_id"], s["ai"]["agent"]["name"]) for s in doc["spans"]] == [
        ("invoke_agent planner", "conv-42", "planner"), ("chat gpt-4o", "conv-42", "planner")]


def _texts(messages):
    return [(m["role"], " ".join(p.get("content", "") for p in m["parts"] if p.get("type") == "text"))
            for m in messages]


@pytest.mark.parametrize("logs_first", [False, True], ids=["span first", "logs first"])
def test_content_sent_as_genai_log_records_appears_on_its_span_whichever_arrives_first(server, logs_first):
    captures = Path(__file__).parent.parent / "captures" / "openai_v2"
    traces = (captures / "chat.traces.binpb").read_bytes()
    logs = (captures / "chat.logs.binpb").read_bytes()
    posts = [("/v1/traces", traces), ("/v1/logs", logs)]
    for path, body in (reversed(posts) if logs_first else posts):
        httpx.post(server.http_endpoint + path, content=body, headers={"Content-Type": "application/x-protobuf"},
                   timeout=30).raise_for_status()
    trace_id = ExportTraceServiceRequest.FromString(traces).resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    [span] = httpx.get(f"{server.api}/api/v1/traces/{trace_id}", timeout=30).json()["spans"]
    messages = span["ai"]["messages"]
    assert messages["source"] == "logs"
    assert _texts(messages["input"]) == [("system", "You are a terse geography assistant."),
                                         ("user", "What is the capital of France?")]
    assert [role for role, _ in _texts(messages["output"])] == ["assistant"]
    assert _texts(messages["output"])[0][1].startswith("Paris")


def assert_logged_once(caplog: pytest.LogCaptureFixture, incident: str) -> None:
    """One traceback, the exception's, logged under the incident the answer names."""
    tracebacks = [record for record in caplog.records if record.exc_info]
    assert len(tracebacks) == 1, [record.getMessage() for record in tracebacks]
    assert incident in tracebacks[0].getMessage()
    assert tracebacks[0].exc_info is not None and str(tracebacks[0].exc_info[1]) == SECRET


@pytest.mark.parametrize("path", ["/api/v1/traces", "/api/v1/threads/thread-1", f"/api/v1/traces/{hex_id(1)}",
                                  "/api/v1/metrics/kpi", "/api/v1/costs", "/api/v1/metrics/agents"])
def test_an_unexpected_error_is_a_json_500_naming_an_incident_and_nothing_of_the_exception(failing_api, caplog,
                                                                                            path):
    caplog.set_level(logging.ERROR)
    response = httpx.get(failing_api.api + path, timeout=30)
    assert (response.status_code, response.headers["content-type"]) == (500, "application/json")
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    match = INTERNAL_ERROR.fullmatch(error["message"])
    assert match, error
    assert_logged_once(caplog, match.group(1))


@pytest.mark.parametrize(("path", "message_of"), [
    ("/jaeger/api/traces?service=a", lambda body: body["errors"][0]["msg"]),
    ("/jaeger/api/v3/services", lambda body: body["error"]["message"]),
])
def test_an_unexpected_jaeger_error_is_a_500_in_jaegers_envelope(failing_api, caplog, path, message_of):
    caplog.set_level(logging.ERROR)
    response = httpx.get(failing_api.api + path, timeout=30)
    assert response.status_code == 500
    match = INTERNAL_ERROR.fullmatch(message_of(response.json()))
    assert match, response.text
    assert_logged_once(caplog, match.group(1))
