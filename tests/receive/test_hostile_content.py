"""Hostile values through the real receiver: whatever a span carries, the request is stored, spans beside it too.

Content nested deeper than the normaliser parses as JSON is kept and redacted as plain text; a value
built to make a redaction pattern backtrack is masked in one pass; a number too large for its
canonical column leaves that column NULL while the raw attribute keeps what was sent.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from spanhouse.normalise.json_values import MAX_DEPTH
from tests.factories import BASE_NS, export_request, hex_id, kv, llm_span, make_span

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
# deeper than orjson serialises (254 levels) and, at 1000, than Python's recursion limit
DEEP_LEVELS = (MAX_DEPTH + 1, 300, 1000)


def deep(levels: int, leaf: str = '"bob@corp.io"') -> str:
    return "[" * levels + leaf + "]" * levels


def masked_deep(levels: int) -> str:
    return deep(levels, '"[REDACTED:email]"')


def post(server, request, path: str = "/v1/traces") -> httpx.Response:
    return httpx.post(server.http_endpoint + path, content=request.SerializeToString(), headers=PROTOBUF,
                      timeout=60)


def spans_stored(query) -> list[str]:
    return [trace for (trace,) in query("SELECT TraceId FROM otel_traces ORDER BY TraceId")]


def stored_span(server, trace: int) -> dict:
    response = httpx.get(f"{server.api}/api/v1/traces/{hex_id(trace)}", timeout=30)
    assert response.status_code == 200
    return response.json()["spans"][0]


def with_good_span(*spans):
    """`spans` and a plain span of trace 2, in one request."""
    return export_request(*spans, make_span(trace=2, span=9, name="good"))


CONTENT_KEYS = ("gen_ai.prompt", "gen_ai.input.messages", "gen_ai.output.messages")


@pytest.mark.parametrize("dedup", [True, False], ids=["dedup", "inline"])
def test_deeply_nested_json_in_a_content_attribute_is_stored_and_redacted_as_text(server_factory, query, dedup):
    server = server_factory(content_dedup=dedup)
    cases = [(key, levels) for key in CONTENT_KEYS for levels in DEEP_LEVELS]
    spans = [make_span(trace=trace, span=trace, name="chat", attributes={"gen_ai.system": "openai", key: deep(levels)})
             for trace, (key, levels) in enumerate(cases, 3)]
    response = post(server, with_good_span(*spans))
    assert response.status_code == 200
    assert spans_stored(query) == [hex_id(trace) for trace in range(2, len(cases) + 3)]
    assert [stored_span(server, trace)["attributes"][key] for trace, (key, _) in enumerate(cases, 3)] == \
        [masked_deep(levels) for _, levels in cases]


def test_the_canonical_message_of_a_too_deep_value_is_its_text_capped(server_factory, query):
    server = server_factory(content_dedup=False, content_max_bytes=1024)
    value = deep(2000)
    post(server, export_request(make_span(name="chat", attributes={
        "gen_ai.operation.name": "chat", "gen_ai.input.messages": value})))
    [(stored,)] = query("SELECT InputMessages FROM otel_traces")
    [message] = orjson.loads(stored)
    assert len(stored.encode()) <= 1024
    assert message["role"] == "user" and message["parts"][0]["truncated"] is True
    assert value.startswith(message["parts"][0]["content"])


def test_a_deep_value_in_otlp_json_beside_a_good_span_in_another_trace(server, query):
    """The tester's repro: OTLP/JSON, the deep prompt, a normal span in another trace."""
    def span(trace: int, attributes: list[dict]) -> dict:
        return {"traceId": hex_id(trace), "spanId": hex_id(trace, 8), "name": "s", "kind": 1,
                "startTimeUnixNano": str(BASE_NS), "endTimeUnixNano": str(BASE_NS + 1_000_000),
                "attributes": attributes}
    body = {"resourceSpans": [{"scopeSpans": [{"spans": [
        span(1, [{"key": "gen_ai.system", "value": {"stringValue": "openai"}},
                 {"key": "gen_ai.prompt", "value": {"stringValue": deep(300, '"ab"')}}]),
        span(2, [])]}]}]}
    response = httpx.post(server.http_endpoint + "/v1/traces", content=orjson.dumps(body), headers=JSON, timeout=60)
    assert (response.status_code, response.json()) == (200, {})
    assert spans_stored(query) == [hex_id(1), hex_id(2)]


@pytest.mark.parametrize("levels", DEEP_LEVELS)
def test_a_deep_content_event_attribute_is_stored_and_redacted_as_text(server, query, levels):
    span = make_span(name="chat", attributes={"gen_ai.system": "openai"})
    event = span.events.add(name="gen_ai.user.message", time_unix_nano=BASE_NS)
    event.attributes.append(kv("content", deep(levels)))
    response = post(server, with_good_span(span))
    assert response.status_code == 200
    assert spans_stored(query) == [hex_id(1), hex_id(2)]
    assert stored_span(server, 1)["events"][0]["attributes"] == {"content": masked_deep(levels)}


@pytest.mark.parametrize("levels", DEEP_LEVELS)
def test_a_deep_log_body_is_stored_and_redacted_as_text(server, query, levels):
    def record(trace: int, body: str, event: str = "") -> dict:
        return {"timeUnixNano": str(BASE_NS), "traceId": hex_id(trace), "spanId": hex_id(trace, 8),
                "eventName": event, "body": {"stringValue": body}}
    body = {"resourceLogs": [{"scopeLogs": [{"logRecords": [
        record(1, deep(levels), "gen_ai.user.message"), record(2, "good")]}]}]}
    response = httpx.post(server.http_endpoint + "/v1/logs", content=orjson.dumps(body), headers=JSON, timeout=60)
    assert (response.status_code, response.json()) == (200, {})
    assert query("SELECT Body FROM otel_logs ORDER BY TraceId") == [(masked_deep(levels),), ("good",)]


# Values built to make a backtracking pattern rescan the rest of the value from every position.
BACKTRACKING = {
    "email": "a" * 1_000_000 + "@",
    "openai_style_key": "sk-" * 300_000 + "!",
    "bearer_token": "Bearer" + " " * 1_000_000 + "!",
    "card_number": "1 " * 500_000,
}


@pytest.mark.parametrize("name", BACKTRACKING)
def test_a_megabyte_built_to_backtrack_is_redacted_in_one_pass(server, query, name):
    value = BACKTRACKING[name] + " mail bob@corp.io"
    response = post(server, with_good_span(llm_span(attributes={"gen_ai.prompt": value})))
    assert response.status_code == 200
    assert spans_stored(query) == [hex_id(1), hex_id(2)]
    stored = stored_span(server, 1)["attributes"]["gen_ai.prompt"]
    assert stored.endswith(" mail [REDACTED:email]")


def test_a_document_count_beyond_uint32_leaves_the_column_null_and_keeps_the_attribute(server, query):
    bad = make_span(name="retrieve", attributes={"gen_ai.operation.name": "retrieval", "gen_ai.sdk.version": "1.45",
                                                 "gen_ai.retrieval.document_count": 5_000_000_000})
    good = make_span(trace=2, span=9, name="retrieve", attributes={
        "gen_ai.operation.name": "retrieval", "gen_ai.sdk.version": "1.45", "gen_ai.retrieval.document_count": 7})
    response = post(server, export_request(bad, good))
    assert response.status_code == 200
    assert query("SELECT TraceId, DocumentCount, SpanAttributes['gen_ai.retrieval.document_count'] FROM otel_traces "
                 "ORDER BY TraceId") == [(hex_id(1), None, "5000000000"), (hex_id(2), 7, "7")]


def test_a_cost_beyond_float64_leaves_the_cost_columns_null_and_keeps_the_tokens(server_factory, query,
                                                                                 tmp_path: Path):
    prices = tmp_path / "prices.toml"
    prices.write_text('["dear-model"]\ninput = 1e300\noutput = 1e300\n')
    server = server_factory(prices_file=str(prices))
    huge = 2**62
    bad = llm_span(attributes={"gen_ai.request.model": "dear-model", "gen_ai.response.model": "dear-model",
                               "gen_ai.usage.input_tokens": huge, "gen_ai.usage.output_tokens": 1})
    good = llm_span(trace=2, span=9, attributes={"gen_ai.request.model": "dear-model",
                                                 "gen_ai.response.model": "dear-model",
                                                 "gen_ai.usage.input_tokens": 1, "gen_ai.usage.output_tokens": 1})
    response = post(server, export_request(bad, good))
    assert response.status_code == 200
    assert query("SELECT TraceId, InputTokens, InputCost, OutputCost, TotalCost FROM otel_traces ORDER BY TraceId") \
        == [(hex_id(1), huge, None, 1e294, None), (hex_id(2), 1, 1e294, 1e294, 2e294)]
