"""Composition root details that change what clients see."""

from __future__ import annotations

import asyncio
import dataclasses
import socket

import pytest

from spanhouse.app import _listen, running
from spanhouse.errors import ConfigError


def test_listeners_disable_nagle_so_keep_alive_responses_are_not_held_for_a_delayed_ack():
    sock = _listen("127.0.0.1", 0, "api_port")
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()


@pytest.mark.parametrize("setting", ["otlp_grpc_port", "otlp_http_port", "api_port"])
def test_a_port_in_use_stops_the_start_naming_its_setting(settings, setting):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = {"otlp_grpc_port": 0, "otlp_http_port": 0, "api_port": 0, setting: port}
        taken_settings = dataclasses.replace(settings, decode_processes=0, **ports)

        async def start() -> None:
            async with running(taken_settings):
                pass

        with pytest.raises(ConfigError) as refused:
            asyncio.run(start())
    message = str(refused.value)
    assert f"cannot listen on 127.0.0.1:{port}" in message
    assert f"SPANHOUSE_{setting.upper()}" in message and "0 for a free one" in message


def test_an_address_that_does_not_resolve_is_named():
    with pytest.raises(ConfigError, match=r"cannot listen on no-such-host\.invalid:0 .*SPANHOUSE_BIND"):
        _listen("no-such-host.invalid", 0, "api_port")


def post_spans(server, *spans):
    import httpx

    from tests.factories import export_request
    httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
               headers={"Content-Type": "application/x-protobuf"}, timeout=30).raise_for_status()


def test_spans_are_priced_from_the_shipped_table_and_the_users_file(server_factory, query, tmp_path):
    import pytest

    from tests.factories import make_span
    prices = tmp_path / "prices.toml"
    prices.write_text('["acme-llm-1"]\ninput = 2.0\noutput = 10.0\n')
    server = server_factory(prices_file=str(prices))

    def llm(span, model):
        return make_span(trace=3, span=span, attributes={
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.response.model": model,
            "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100})

    post_spans(server, llm(1, "gpt-4o-2024-08-06"), llm(2, "acme-llm-1"), llm(3, "mystery-model"))
    rows = dict((model, (cost, source)) for model, cost, source in query(
        "SELECT ResponseModel, TotalCost, CostSource FROM otel_traces"))
    assert rows["gpt-4o-2024-08-06"][0] == pytest.approx((1000 * 2.5 + 100 * 10.0) / 1e6)
    assert rows["acme-llm-1"] == (pytest.approx((1000 * 2.0 + 100 * 10.0) / 1e6), "price:acme-llm-1")
    assert rows["mystery-model"] == (None, "")
    assert query("SELECT Model, Spans, InputTokens FROM unpriced_models") == [("mystery-model", 1, 1000)]


def test_content_settings_switch_capture_off_and_add_redaction_patterns(server_factory, query):
    from tests.factories import make_span
    server = server_factory(content_capture=False)
    post_spans(server, make_span(trace=4, span=1, attributes={
        "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "secret plan"}]}]'}))
    assert query("SELECT InputMessages, mapContains(SpanAttributes, 'gen_ai.input.messages') FROM otel_traces") == [
        ("", False)]


def test_a_custom_redaction_pattern_masks_content_before_storage(server_factory, query):
    from tests.factories import make_span
    server = server_factory(content_redact_patterns="ACCT-[0-9]{6}")
    post_spans(server, make_span(trace=6, span=1, attributes={
        "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "move ACCT-123456"}]}]'}))
    [(raw,)] = query("SELECT SpanAttributes['gen_ai.input.messages'] FROM otel_traces")
    [(messages,)] = query("SELECT groupArray(content) FROM message_content")  # the text, stored by hash
    assert "ACCT-123456" not in str(messages) and "ACCT-123456" not in raw
    assert "[REDACTED]" in str(messages) and "[REDACTED]" in raw
