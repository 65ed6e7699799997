"""A conversation re-sends its history with every call: spanhouse stores each message once, the
span rows hold hashes, and the timeline shows the text exactly as it was sent."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.factories import export_request, hex_id, llm_span


def message(role: str, text: str) -> dict:
    return {"role": role, "parts": [{"type": "text", "content": text}]}


def conversation(turns: int) -> list[tuple[list[dict], list[dict]]]:
    """(input messages, output messages) of each call: the whole history, then the new answer."""
    history = [message("system", "You are a support agent. " * 8)]
    calls = []
    for turn in range(turns):
        history.append(message("user", f"question {turn}: " + "details " * 30))
        answer = [message("assistant", f"answer {turn}: " + "explanation " * 30)]
        calls.append((list(history), answer))
        history += answer
    return calls


def send(server, calls) -> None:
    spans = [llm_span(trace=1, span=n + 2, parent=None, attributes={
        "gen_ai.input.messages": orjson.dumps(inputs).decode(),
        "gen_ai.output.messages": orjson.dumps(outputs).decode()}) for n, (inputs, outputs) in enumerate(calls)]
    response = httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
                          headers={"Content-Type": "application/x-protobuf"})
    assert response.status_code == 200


def test_each_distinct_message_is_stored_once_and_the_timeline_reinflates_it(server, query):
    calls = conversation(5)
    send(server, calls)

    distinct = {orjson.dumps(m) for inputs, outputs in calls for m in inputs + outputs}
    stored_messages = query("SELECT count(DISTINCT hash) FROM message_content WHERE content LIKE '{%'")
    assert stored_messages == [(len(distinct),)]  # 1 system + 5 questions + 5 answers, not 35
    assert query("SELECT countIf(InputMessages != ''), countIf(length(InputMessageHashes) > 0), "
                 "countIf(mapContains(SpanAttributes, 'gen_ai.input.messages')) FROM otel_traces") == [(0, 5, 0)]

    spans = httpx.get(f"{server.api}/api/v1/traces/{hex_id(1)}").json()["spans"]
    by_id = {span["span_id"]: span for span in spans}
    for n, (inputs, outputs) in enumerate(calls):
        span = by_id[hex_id(n + 2, 8)]
        assert span["ai"]["messages"] == {"input": inputs, "output": outputs, "source": "span"}
        assert orjson.loads(span["attributes"]["gen_ai.input.messages"]) == inputs


@pytest.mark.parametrize("dedup", [False])
def test_content_dedup_off_keeps_the_text_in_the_span_row(server_factory, query, dedup):
    server = server_factory(content_dedup=dedup)
    calls = conversation(2)
    send(server, calls)

    assert query("SELECT count() FROM message_content") == [(0,)]
    rows = query("SELECT InputMessages, SpanAttributes['gen_ai.input.messages'] FROM otel_traces ORDER BY SpanId")
    assert [(orjson.loads(inline), orjson.loads(attribute)) for inline, attribute in rows] == \
        [(inputs, inputs) for inputs, _ in calls]
