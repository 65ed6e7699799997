"""The Jaeger-compatible endpoints (query/jaeger.py) on a real server: services and operations,
one trace in Jaeger's v1 model and as OTLP JSON, searches and their filters against what was sent,
tenant isolation, Jaeger-style errors, and responses against the endpoints' own OpenAPI schemas.

One server and store for the module (tests/query/jaeger_seed.py): a hand-made trace with every
field Jaeger shows, and a workload of agent turns from the last hour, sent over OTLP/HTTP as
tenant `default`; a second tenant stored in-process, reusing the hand-made trace's id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from google.protobuf import json_format

from spanhouse.decode.otlp_json import parse_traces
from spanhouse.query import jaeger
from tests.factories import hex_id
from tests.query.jaeger_seed import (
    HOUR,
    MINUTE,
    MS,
    RICH,
    SECRET,
    S,
    Seeded,
    Sent,
    expected_rich_trace,
    micros,
    rich_trace,
    seed,
    trace_ids,
    v3_trace_ids,
)
from tests.query.schema_check import errors


@pytest.fixture(scope="module")
def seeded(chdb_path: Path) -> Iterator[Seeded]:
    with seed(chdb_path) as data:
        yield data


# --- services and operations ---------------------------------------------------------------------

def test_services_and_operations_in_v1_and_v3(seeded):
    services = sorted({s.service for s in seeded.spans})
    assert services == ["edge/router", "inventory", "research-agent", "shop-api", "support-bot"]
    assert seeded.json("/jaeger/api/services") == {"data": services, "total": 5, "limit": 0, "offset": 0,
                                                    "errors": None}
    assert seeded.json("/jaeger/api/v3/services") == {"services": services}

    shop = ["GET /checkout", "chat gpt-4o", "lookup stock", "render"]
    assert seeded.json("/jaeger/api/services/shop-api/operations") == {
        "data": shop, "total": 4, "limit": 0, "offset": 0, "errors": None}
    assert seeded.json("/jaeger/api/services/edge%2Frouter/operations")["data"] == ["route"]
    shop_kinds = [{"name": "GET /checkout", "spanKind": "server"}, {"name": "chat gpt-4o", "spanKind": "client"},
                  {"name": "lookup stock", "spanKind": "internal"}, {"name": "render", "spanKind": ""}]
    assert seeded.json("/jaeger/api/operations", service="shop-api") == {
        "data": shop_kinds, "total": 4, "limit": 0, "offset": 0, "errors": None}
    assert seeded.json("/jaeger/api/operations", service="shop-api", spanKind="client")["data"] == [
        {"name": "chat gpt-4o", "spanKind": "client"}]
    assert seeded.json("/jaeger/api/v3/operations", service="shop-api") == {"operations": shop_kinds}
    clients = sorted({s.name for s in seeded.spans if s.kind == "client"})
    assert len(clients) > 2
    assert seeded.json("/jaeger/api/v3/operations", span_kind="client") == {
        "operations": [{"name": name, "spanKind": "client"} for name in clients]}
    assert seeded.json("/jaeger/api/v3/operations", spanKind="server", service="inventory") == {"operations": []}


# --- one trace -----------------------------------------------------------------------------------

def test_a_trace_in_jaegers_v1_model_with_its_prompt_text(seeded):
    expected = expected_rich_trace(seeded.t0)
    for trace_id in (hex_id(RICH), "a11ce", "000A11CE"):  # Jaeger clients may drop leading zeros
        assert seeded.json(f"/jaeger/api/traces/{trace_id}") == {
            "data": [expected], "total": 1, "limit": 0, "offset": 0, "errors": None}
    assert seeded.json("/jaeger/api/traces", traceID=["a11ce", hex_id(SECRET)]) == {
        "data": [expected], "total": 1, "limit": 0, "offset": 0,
        "errors": [{"msg": "trace not found", "traceID": hex_id(SECRET)}]}


def _sorted_attributes(message: Any) -> None:
    """Sort every attribute list of an OTLP message in place (spanhouse answers them sorted by key)."""
    for field, value in message.ListFields():
        if field.name == "attributes":
            ordered = sorted(value, key=lambda a: a.key)
            del value[:]
            value.extend(ordered)
        elif field.message_type is not None:
            for item in ([value] if hasattr(value, "ListFields") else value):
                _sorted_attributes(item)


def test_a_trace_as_otlp_json_round_trips_to_what_was_sent(seeded):
    doc = seeded.json(f"/jaeger/api/v3/traces/{hex_id(RICH)}")
    parsed, problems = parse_traces(orjson.dumps(doc["result"]))
    assert problems == []
    sent_request = rich_trace(seeded.t0)
    # Event and link attributes are stored as text: sent as strings here, so they come back equal.
    _sorted_attributes(sent_request)
    got = {(span.span_id.hex(), resource.resource.SerializeToString(deterministic=True),
            scope.scope.SerializeToString(deterministic=True)): span
           for resource in parsed.resource_spans for scope in resource.scope_spans for span in scope.spans}
    want = {(span.span_id.hex(), resource.resource.SerializeToString(deterministic=True),
             scope.scope.SerializeToString(deterministic=True)): span
            for resource in sent_request.resource_spans for scope in resource.scope_spans for span in scope.spans}
    assert sorted(got) == sorted(want)
    for key, span in want.items():
        span.status.SetInParent()  # an unset status is answered as an empty one
        assert json_format.MessageToDict(got[key]) == json_format.MessageToDict(span), key
    # grouped as sent: one resource per distinct resource, one scope list per scope
    assert [(len(r["scopeSpans"]), [len(s["spans"]) for s in r["scopeSpans"]])
            for r in doc["result"]["resourceSpans"]] == [(2, [2, 1]), (1, [1]), (1, [1]), (1, [1])]
    chat = doc["result"]["resourceSpans"][0]["scopeSpans"][1]["spans"][0]
    assert (chat["kind"], chat["status"], chat["startTimeUnixNano"]) == (
        3, {"code": 2, "message": "rate limited"}, str(seeded.t0 + 100 * MS))


# --- search --------------------------------------------------------------------------------------

def expected_search(seeded: Seeded, match: Callable[[Sent], bool], limit: int = 1000, start: int | None = None,
                    end: int | None = None) -> list[str]:
    """Trace ids with a matching span in the range, by their latest matching span's start, newest first."""
    start = seeded.start_ns if start is None else start
    end = seeded.end_ns if end is None else end
    latest: dict[str, int] = {}
    for span in seeded.spans:
        if start <= span.start_ns <= end and match(span):
            latest[span.trace_id] = max(latest.get(span.trace_id, 0), span.start_ns)
    return [trace for trace, _ in sorted(latest.items(), key=lambda item: (-item[1], item[0]))][:limit]


def tool(span: Sent) -> str:
    return span.attributes.get("gen_ai.tool.name", {}).get("stringValue", "")


SEARCHES: list[tuple[str, dict[str, Any], dict[str, Any], Callable[[Sent], bool]]] = [
    ("service", {"service": "support-bot"}, {"query.serviceName": "support-bot"},
     lambda s: s.service == "support-bot"),
    ("operation", {"service": "research-agent", "operation": "execute_tool search_web"},
     {"query.service_name": "research-agent", "query.operation_name": "execute_tool search_web"},
     lambda s: s.service == "research-agent" and s.name == "execute_tool search_web"),
    ("error tag", {"service": "support-bot", "tags": '{"error":"true"}'}, {
        "query.serviceName": "support-bot", "query.attributes": '{"error":"true"}'},
     lambda s: s.service == "support-bot" and s.error),
    ("not an error", {"service": "support-bot", "tags": '{"error":false, "gen_ai.tool.name":"get_weather"}'},
     {"query.serviceName": "support-bot", "query.attributes": '{"error":"false","gen_ai.tool.name":"get_weather"}'},
     lambda s: s.service == "support-bot" and not s.error and tool(s) == "get_weather"),
    ("tags on one span", {"service": "research-agent", "tag": ["error:true", "gen_ai.tool.name:lookup_order"]},
     {"query.serviceName": "research-agent", "query.attributes": '{"error":"true","gen_ai.tool.name":"lookup_order"}'},
     lambda s: s.service == "research-agent" and s.error and tool(s) == "lookup_order"),
    ("span kind and typed value", {"service": "support-bot", "tags": '{"span.kind":"client"}', "minDuration": "7.5s"},
     {"query.serviceName": "support-bot", "query.attributes": '{"span.kind":"client"}', "query.durationMin": "7.5s"},
     lambda s: s.service == "support-bot" and s.kind == "client" and s.duration_ns >= 7_500 * MS),
    ("integer attribute", {"service": "shop-api", "tags": '{"http.status_code":"200","host.name":"web-1"}'},
     {"query.attributes": '{"http.status_code":200}'},
     lambda s: s.attributes.get("http.status_code") == {"intValue": "200"}),
    ("durations", {"service": "research-agent", "minDuration": "1.5s", "maxDuration": "4s"},
     {"query.serviceName": "research-agent", "query.durationMin": "1500ms", "query.durationMax": "4s"},
     lambda s: s.service == "research-agent" and 1_500 * MS <= s.duration_ns <= 4 * S),
    ("limit", {"service": "support-bot", "limit": "3"}, {"query.serviceName": "support-bot", "query.searchDepth": "3"},
     lambda s: s.service == "support-bot"),
]


@pytest.mark.parametrize(("v1", "v3", "match"), [search[1:] for search in SEARCHES], ids=[s[0] for s in SEARCHES])
def test_searches_find_the_traces_with_a_matching_span_newest_first(seeded, v1, v3, match):
    limit = int(v1.get("limit", 1000))
    expected = expected_search(seeded, match, limit)
    assert expected, "the workload should give every search something to find"
    window = {"start": micros(seeded.start_ns), "end": micros(seeded.end_ns) + 1}
    doc = seeded.json("/jaeger/api/traces", **{"limit": "1000", **window, **v1})
    assert trace_ids(doc) == expected
    assert (doc["total"], doc["errors"]) == (len(expected), None)
    v3_window = {"query.startTimeMin": rfc3339(seeded.start_ns), "query.startTimeMax": rfc3339(seeded.end_ns + 1000)}
    assert v3_trace_ids(seeded.json("/jaeger/api/v3/traces", **{"query.searchDepth": "1000", **v3_window, **v3})) == \
        expected


def rfc3339(ns: int) -> str:
    seconds, fraction = divmod(ns, S)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}Z"


def test_a_search_returns_whole_traces_and_defaults_to_the_last_hour(seeded):
    # as Grafana asks: its time range in microseconds, lookback=custom
    doc = seeded.json("/jaeger/api/traces", service="support-bot", start=micros(seeded.start_ns),
                      end=micros(time.time_ns()), lookback="custom", limit="20",
                      tags=orjson.dumps({"error": "true"}).decode())
    assert trace_ids(doc) == expected_search(seeded, lambda s: s.service == "support-bot" and s.error, 20)
    for trace in doc["data"]:
        want = sorted((s.span_id, s.name, micros(s.start_ns), micros(s.duration_ns))
                      for s in seeded.spans if s.trace_id == trace["traceID"])
        assert sorted((s["spanID"], s["operationName"], s["startTime"], s["duration"]) for s in trace["spans"]) == want
        assert trace["processes"] == {"p1": {"serviceName": "support-bot", "tags": []}}
    def last(window: int) -> list[str]:
        now = time.time_ns()
        return expected_search(seeded, lambda s: s.service == "support-bot", start=now - window, end=now)

    expected = last(HOUR)
    assert trace_ids(seeded.json("/jaeger/api/traces", service="support-bot", limit="1000")) == expected
    expected = last(2 * HOUR)
    assert trace_ids(seeded.json("/jaeger/api/traces", service="support-bot", limit="1000", lookback="2h")) == expected
    expected = last(10 * MINUTE)
    assert trace_ids(seeded.json("/jaeger/api/traces", service="support-bot", limit="1000", lookback="10m")) == expected
    assert 0 < len(expected) < len(last(HOUR))
    expected = last(HOUR)
    assert v3_trace_ids(seeded.json("/jaeger/api/v3/traces", **{"query.service_name": "support-bot",
                                                                "query.search_depth": "1000"})) == expected


def test_grafana_style_unencoded_offsets_and_empty_searches(seeded):
    start = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(seeded.start_ns // S))
    end = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(seeded.end_ns // S + 1))
    # Grafana appends the times unencoded: the "+" arrives as a space
    response = httpx.get(f"{seeded.api}/jaeger/api/v3/traces?query.service_name=inventory"
                         f"&query.start_time_min={start}&query.start_time_max={end}", timeout=60)
    assert v3_trace_ids(response.json()) == [hex_id(RICH)]
    assert seeded.json("/jaeger/api/v3/traces", **{"query.serviceName": "nobody"}) == {"result": {"resourceSpans": []}}
    assert seeded.json("/jaeger/api/traces", service="nobody") == {
        "data": [], "total": 0, "limit": 0, "offset": 0, "errors": None}


def test_a_trace_too_large_for_a_search_is_cut_with_a_warning(seeded, monkeypatch):
    monkeypatch.setattr(jaeger, "MAX_SEARCH_SPANS", 2)
    monkeypatch.setattr(jaeger, "MIN_SEARCH_TRACE_SPANS", 2)
    [trace] = seeded.json("/jaeger/api/traces", traceID=hex_id(RICH))["data"]
    assert [span["spanID"] for span in trace["spans"]] == [hex_id(1, 8), hex_id(2, 8)]
    assert trace["warnings"] == ["spanhouse: the trace has more spans than the 2 shown"]
    assert len(seeded.json(f"/jaeger/api/traces/{hex_id(RICH)}")["data"][0]["spans"]) == 6  # by id: all of it


# --- tenants -------------------------------------------------------------------------------------

def test_another_tenants_data_never_appears(seeded):
    assert "secret-svc" not in seeded.json("/jaeger/api/services")["data"]
    assert "secret-svc" not in seeded.json("/jaeger/api/v3/services")["services"]
    assert seeded.json("/jaeger/api/services/secret-svc/operations")["data"] == []
    assert seeded.json("/jaeger/api/operations", service="secret-svc")["data"] == []
    assert "secret op" not in [op["name"] for op in seeded.json("/jaeger/api/v3/operations")["operations"]]
    # the intruder's trace under the same id stays out of ours
    [trace] = seeded.json(f"/jaeger/api/traces/{hex_id(RICH)}")["data"]
    assert trace == expected_rich_trace(seeded.t0)
    v3 = seeded.json(f"/jaeger/api/v3/traces/{hex_id(RICH)}")
    assert "secret-svc" not in orjson.dumps(v3).decode()
    for path in (f"/jaeger/api/traces/{hex_id(SECRET)}", f"/jaeger/api/v3/traces/{hex_id(SECRET)}"):
        assert seeded.get(path).status_code == 404
    secret_tag = '{"secret":"yes"}'
    for service in ("support-bot", "secret-svc"):
        assert seeded.json("/jaeger/api/traces", service=service, tags=secret_tag)["data"] == []
        assert seeded.json("/jaeger/api/v3/traces", **{"query.serviceName": service,
                                                       "query.attributes": secret_tag})["result"] == {
            "resourceSpans": []}
    assert seeded.json("/jaeger/api/v3/traces", **{"query.attributes": secret_tag}) == {"result": {"resourceSpans": []}}
    assert seeded.json("/jaeger/api/traces", traceID=hex_id(SECRET))["data"] == []


# --- errors --------------------------------------------------------------------------------------

V1_BAD = [
    ("/jaeger/api/traces", {"service": "a", "limit": "ten"}, "limit: must be an integer, got 'ten'"),
    ("/jaeger/api/traces", {"service": "a", "limit": "0"}, "limit: must be at least 1, got 0"),
    ("/jaeger/api/traces", {"service": "a", "limit": "5000"}, "limit: must be at most 1000, got 5000"),
    ("/jaeger/api/traces", {}, "service: parameter 'service' is required"),
    ("/jaeger/api/traces", {"service": "a", "start": "yesterday"},
     "start: expected RFC 3339 (2026-11-22T10:00:00Z), Unix time or -1h/-7d, got 'yesterday'"),
    ("/jaeger/api/traces", {"service": "a", "start": "1700000000000000", "end": "1690000000000000"},
     "start: the start of the time range must be before its end"),
    ("/jaeger/api/traces", {"service": "a", "lookback": "30d"}, "start: the range may cover at most 7 days"),
    ("/jaeger/api/traces", {"service": "a", "lookback": "a while"},
     "lookback: expected a duration such as 1.2s, 100ms or 1h30m, got 'a while'"),
    ("/jaeger/api/traces", {"service": "a", "minDuration": "5"},
     "minDuration: expected a duration such as 1.2s, 100ms or 1h30m, got '5'"),
    ("/jaeger/api/traces", {"service": "a", "maxDuration": "-1s"}, "maxDuration: must not be negative, got '-1s'"),
    ("/jaeger/api/traces", {"service": "a", "minDuration": "2s", "maxDuration": "1s"},
     "maxDuration: must be greater than the minimum duration"),
    ("/jaeger/api/traces", {"service": "a", "tags": "error=true"},
     "tags: not valid JSON (at character 0)"),
    ("/jaeger/api/traces", {"service": "a", "tags": '["error"]'},
     'tags: expected a JSON object of tag values, such as {"error":"true"}'),
    ("/jaeger/api/traces", {"service": "a", "tags": '{"a": {"b": 1}}'},
     "tags: the value of 'a' must be a string, number or boolean"),
    ("/jaeger/api/traces", {"service": "a", "tag": "error"},
     "tag: malformed 'tag' parameter, expecting key:value, received: 'error'"),
    ("/jaeger/api/traces", {"traceID": "xyz"}, "traceID: trace id must be 1 to 32 hex characters, got 'xyz'"),
    ("/jaeger/api/traces/not-hex", {}, "traceID: trace id must be 1 to 32 hex characters, got 'not-hex'"),
    ("/jaeger/api/traces/" + "a" * 33, {}, f"traceID: trace id must be 1 to 32 hex characters, got '{'a' * 33}'"),
    ("/jaeger/api/traces/abc", {"start": "soon"},
     "start: expected RFC 3339 (2026-11-22T10:00:00Z), Unix time or -1h/-7d, got 'soon'"),
    ("/jaeger/api/operations", {}, "service: parameter 'service' is required"),
    ("/jaeger/api/operations", {"service": "a", "spanKind": "sideways"},
     "spanKind: must be one of internal, server, client, producer, consumer, unspecified, got 'sideways'"),
]


@pytest.mark.parametrize(("path", "params", "message"), V1_BAD, ids=[m.split(":")[0] + f"-{i}"
                                                                     for i, (_, _, m) in enumerate(V1_BAD)])
def test_bad_v1_parameters_get_jaegers_400(seeded, path, params, message):
    response = seeded.get(path, **params)
    assert (response.status_code, response.json()) == (400, {
        "data": None, "total": 0, "limit": 0, "offset": 0, "errors": [{"code": 400, "msg": message}]})


V3_BAD = [
    ("/jaeger/api/v3/traces", {"query.start_time_min": "last tuesday"},
     "query.start_time_min: expected RFC 3339 (2026-11-22T10:00:00Z), Unix time or -1h/-7d, got 'last tuesday'"),
    ("/jaeger/api/v3/traces",
     {"query.startTimeMin": "2025-01-01T00:00:00Z", "query.startTimeMax": "2025-02-01T00:00:00Z"},
     "query.startTimeMin: the range may cover at most 7 days"),
    ("/jaeger/api/v3/traces", {"query.searchDepth": "many"}, "query.searchDepth: must be an integer, got 'many'"),
    ("/jaeger/api/v3/traces", {"query.num_traces": "-1"}, "query.num_traces: must be at least 1, got -1"),
    ("/jaeger/api/v3/traces", {"query.attributes": "{"},
     "query.attributes: not valid JSON (at character 1)"),
    ("/jaeger/api/v3/traces", {"query.duration_min": "1d"},
     "query.duration_min: expected a duration such as 1.2s, 100ms or 1h30m, got '1d'"),
    ("/jaeger/api/v3/traces", {"query.rawTraces": "maybe"}, "query.rawTraces: must be true or false, got 'maybe'"),
    ("/jaeger/api/v3/traces", {"query.filter": '{"op":"eq"}'},
     "query.filter: structured filters are not supported; use query.attributes"),
    ("/jaeger/api/v3/traces/zz", {}, "trace_id: trace id must be 1 to 32 hex characters, got 'zz'"),
    ("/jaeger/api/v3/traces/abc", {"start_time": "x"},
     "start_time: expected RFC 3339 (2026-11-22T10:00:00Z), Unix time or -1h/-7d, got 'x'"),
    ("/jaeger/api/v3/operations", {"span_kind": "up"},
     "span_kind: must be one of internal, server, client, producer, consumer, unspecified, got 'up'"),
]


@pytest.mark.parametrize(("path", "params", "message"), V3_BAD, ids=[m.split(":")[0] + f"-{i}"
                                                                     for i, (_, _, m) in enumerate(V3_BAD)])
def test_bad_v3_parameters_get_jaegers_400(seeded, path, params, message):
    response = seeded.get(path, **params)
    assert (response.status_code, response.json()) == (400, {"error": {"httpCode": 400, "message": message}})


def test_unknown_traces_are_404_in_each_apis_envelope(seeded):
    response = seeded.get(f"/jaeger/api/traces/{hex_id(12345)}")
    assert (response.status_code, response.json()) == (404, {
        "data": None, "total": 0, "limit": 0, "offset": 0, "errors": [{"code": 404, "msg": "trace not found"}]})
    response = seeded.get(f"/jaeger/api/v3/traces/{hex_id(12345)}")
    assert (response.status_code, response.json()) == (404, {"error": {"httpCode": 404, "message": "trace not found"}})


# --- the OpenAPI description ---------------------------------------------------------------------

def _schema(path: str, status: int) -> dict[str, Any]:
    return jaeger.OPENAPI[path]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]


def test_real_responses_satisfy_the_openapi_schemas(seeded):
    trace = hex_id(RICH)
    calls = [
        ("/jaeger/api/services", "/jaeger/api/services", {}),
        ("/jaeger/api/services/{service}/operations", "/jaeger/api/services/shop-api/operations", {}),
        ("/jaeger/api/operations", "/jaeger/api/operations", {"service": "shop-api"}),
        ("/jaeger/api/operations", "/jaeger/api/operations", {}),
        ("/jaeger/api/traces", "/jaeger/api/traces", {"service": "support-bot", "limit": "1000"}),
        ("/jaeger/api/traces", "/jaeger/api/traces", {"traceID": [trace, hex_id(SECRET)], "prettyPrint": "true"}),
        ("/jaeger/api/traces", "/jaeger/api/traces", {"service": "x", "limit": "-4"}),
        ("/jaeger/api/traces/{traceID}", f"/jaeger/api/traces/{trace}", {}),
        ("/jaeger/api/traces/{traceID}", f"/jaeger/api/traces/{hex_id(SECRET)}", {}),
        ("/jaeger/api/v3/services", "/jaeger/api/v3/services", {}),
        ("/jaeger/api/v3/operations", "/jaeger/api/v3/operations", {}),
        ("/jaeger/api/v3/operations", "/jaeger/api/v3/operations", {"spanKind": "?"}),
        ("/jaeger/api/v3/traces", "/jaeger/api/v3/traces", {"query.searchDepth": "1000"}),
        ("/jaeger/api/v3/traces", "/jaeger/api/v3/traces", {"query.durationMax": "1 s"}),
        ("/jaeger/api/v3/traces/{trace_id}", f"/jaeger/api/v3/traces/{trace}", {}),
        ("/jaeger/api/v3/traces/{trace_id}", "/jaeger/api/v3/traces/g", {}),
    ]
    statuses = set()
    for template, path, params in calls:
        response = seeded.get(path, **params)
        statuses.add(response.status_code)
        assert response.headers["content-type"] == "application/json"
        assert errors(response.json(), _schema(template, response.status_code)) == [], (path, params)
    assert statuses == {200, 400, 404}


def test_every_route_is_described_with_every_parameter_typed():
    routes = {route.path: route for route in jaeger.routes(None, lambda request: "default")}  # type: ignore[arg-type]
    assert sorted(jaeger.OPENAPI) == sorted(path.replace("{service:path}", "{service}") for path in routes)
    for path, item in jaeger.OPENAPI.items():
        operation = item["get"]
        assert sorted(operation["responses"]) == (["200", "400", "404", "500", "503"] if "/traces/{" in path
                                                  else ["200", "400", "500", "503"])
        for parameter in operation["parameters"]:
            assert parameter["schema"], (path, parameter["name"])
            if parameter["in"] == "path":
                assert "{" + parameter["name"] + "}" in path
