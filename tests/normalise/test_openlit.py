"""OpenLIT extras -> canonical fields.

Fixtures follow openlit 1.45 `openlit/semcov/__init__.py` (reference §6d, §9.18, §9.19).
"""

from __future__ import annotations

from spanhouse.normalise.conventions import openlit, view
from spanhouse.normalise.spans import merge


def test_reported_cost_total_tokens_and_server_latency():
    fields, matched = merge(view({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": "31", "gen_ai.usage.output_tokens": "9", "gen_ai.client.token.usage": "40",
        "gen_ai.usage.cost": "0.00012", "gen_ai.server.time_to_first_token": "0.05", "gen_ai.sdk.version": "1.45.0",
        "gen_ai.request.seed": "0", "service.name": "app", "telemetry.sdk.name": "openlit",
    }))
    assert matched == ["otel_genai", "openlit"]
    assert {key: fields[key] for key in ("total_tokens", "total_cost", "cost_source", "time_to_first_token_ms")} == {
        "total_tokens": 40, "total_cost": 0.00012, "cost_source": "span:gen_ai.usage.cost",
        "time_to_first_token_ms": 50.0}


def test_resource_attributes_repeated_on_spans_mark_nothing():
    """§9.19: OpenLIT also puts telemetry.sdk.name on its httpx spans."""
    assert openlit.extract(view({"telemetry.sdk.name": "openlit", "service.name": "app", "http.method": "POST"})) \
        is None


def test_legacy_retrieval_attributes():
    assert openlit.extract(view({"gen_ai.sdk.version": "1.45.0", "gen_ai.retrieval.query": "refunds",
                                 "gen_ai.retrieval.document_count": "3"})) == {
        "retrieval_query": "refunds", "document_count": 3}
