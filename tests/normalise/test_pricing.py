"""Pricing table: model id matching, the user's override file, and cost from token counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spanhouse.errors import ConfigError
from spanhouse.normalise.pricing import Price, PriceTable, candidates, cost, native_cache_included


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return PriceTable.load()


def override(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "my-prices.toml"
    path.write_text(text, encoding="utf-8")
    return path


GPT_4O = Price("gpt-4o", 2.5, 10.0, cache_read=1.25, provider="openai")
GPT_4O_MINI = Price("gpt-4o-mini", 0.15, 0.6, cache_read=0.075, provider="openai")
CLAUDE_3_5_SONNET = Price("claude-3-5-sonnet", 3.0, 15.0, cache_read=0.3, cache_write=3.75, provider="anthropic")


@pytest.mark.parametrize(("model", "family"), [
    ("gpt-4o", "gpt-4o"),
    ("GPT-4o", "gpt-4o"),
    ("gpt-4o-2024-08-06", "gpt-4o"),
    ("openai/gpt-4o", "gpt-4o"),
    ("azure/gpt-4o-2024-11-20", "gpt-4o"),
    ("gpt-4-0613", "gpt-4"),
    ("gpt-4-turbo-2024-04-09", "gpt-4-turbo"),
    ("o1-preview-2024-09-12", "o1"),
    ("o4-mini-2025-04-16", "o4-mini"),
    ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
    ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
    ("claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
    ("anthropic/claude-3.5-sonnet", "claude-3-5-sonnet"),
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"),
    ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"),
    ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"),
    ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
    ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"),
    ("claude-opus-4-1@20250805", "claude-opus-4-1"),
    ("claude-sonnet-4-20250514", "claude-sonnet-4"),
    ("models/gemini-1.5-pro", "gemini-1.5-pro"),
    ("gemini-1.5-pro-002", "gemini-1.5-pro"),
    ("projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001", "gemini-2.0-flash"),
    ("gemini-2.5-pro-preview-05-06", "gemini-2.5-pro"),
    ("amazon.nova-pro-v1:0", "nova-pro"),
    ("cohere.embed-english-v3", "embed-english-v3.0"),
    ("mistral-large-2407", "mistral-large-2411"),
])
def test_dated_prefixed_bedrock_and_vertex_ids_resolve_to_their_model(table, model, family):
    price = table.lookup(model)
    assert (price.model if price else None) == family


def test_gpt_4o_mini_snapshots_are_priced_as_gpt_4o_mini_not_gpt_4o(table):
    assert table.lookup("gpt-4o-mini-2024-07-18") == GPT_4O_MINI
    assert table.lookup("openai/gpt-4o-mini") == GPT_4O_MINI
    assert table.lookup("gpt-4o-2024-08-06") == GPT_4O


def test_an_exact_dated_entry_wins_over_its_family(table):
    assert table.lookup("gpt-4o-2024-05-13") == Price("gpt-4o-2024-05-13", 5.0, 15.0, provider="openai")
    assert table.lookup("openai/gpt-4o-2024-05-13") == Price("gpt-4o-2024-05-13", 5.0, 15.0, provider="openai")


@pytest.mark.parametrize("model", [
    "gpt-4o-foo-bar",  # differs from gpt-4o by more than a version suffix
    "gpt-4o-audio-preview",  # audio tokens are priced apart
    "ft:gpt-4o-mini-2024-07-18:acme::abc123",  # fine-tuned models cost more than their base
    "accounts/fireworks/models/llama-v3p1-70b-instruct",
    "mistral-small-latest",  # a moving alias whose price has changed
    "gemini-2.5-flash-preview-04-17",  # priced differently from gemini-2.5-flash
    "",
])
def test_models_not_in_the_table_are_unknown_not_free(table, model):
    assert (table.lookup(model), table.is_priced(model)) == (None, False)


def test_candidates_are_tried_most_specific_first():
    assert candidates(" US.Anthropic.Claude-3-5-Sonnet-20241022-v2:0 ") == [
        "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022-v2:0",
        "claude-3-5-sonnet-20241022-v2", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet"]
    assert candidates("gpt-4o-mini-2024-07-18") == ["gpt-4o-mini-2024-07-18", "gpt-4o-mini"]


def test_a_repeated_lookup_is_answered_from_the_memo(monkeypatch):
    table = PriceTable.load()
    first = table.lookup("gpt-4o-2024-08-06", "openai")

    def resolve_again(model, provider):
        raise AssertionError("resolved twice")

    monkeypatch.setattr(table, "_resolve", resolve_again)
    assert table.lookup("gpt-4o-2024-08-06", "openai") is first


def test_the_shipped_table_is_dated_and_every_rate_is_sane(table):
    assert (table.as_of, len(table) >= 60) == ("2026-11-22", True)
    for price in table:
        tiers = [price] if price.long_context is None else [price, price.long_context]
        for tier in tiers:
            assert min(tier.input, tier.output) >= 0, price.model
            assert tier.cache_read is None or tier.cache_read <= tier.input, price.model
            assert tier.cache_write is None or tier.cache_write >= tier.input, price.model


def test_the_override_file_replaces_and_adds_entries(tmp_path):
    shipped = PriceTable.load()
    table = PriceTable.load(override(tmp_path, """
        as_of = 2026-11-01
        ["gpt-4o"]
        input = 2.0
        output = 8.0

        ["gpt-4-turbo"]
        input = 9.0
        output = 27.0

        ["acme-llm"]
        provider = "acme"
        input = 1
        output = 2
        aliases = ["acme/llm-v1"]

        ["azure.ai.openai/gpt-4o-mini"]
        input = 0.165
        output = 0.66
    """))
    assert table.lookup("gpt-4o-2024-08-06") == Price("gpt-4o", 2.0, 8.0)
    assert table.lookup("gpt-4-1106-preview") == Price("gpt-4-turbo", 9.0, 27.0)  # shipped alias follows
    assert table.lookup("ACME-LLM-2026-01-01") == Price("acme-llm", 1.0, 2.0, provider="acme")
    assert table.lookup("acme/llm-v1") == Price("acme-llm", 1.0, 2.0, provider="acme")
    assert table.lookup("gpt-4o-mini", "azure.ai.openai") == Price("azure.ai.openai/gpt-4o-mini", 0.165, 0.66)
    assert table.lookup("gpt-4o-mini", "openai") == GPT_4O_MINI
    assert table.lookup("claude-3-5-sonnet-20241022") == CLAUDE_3_5_SONNET
    assert (len(table), table.as_of) == (len(shipped) + 2, shipped.as_of)


@pytest.mark.parametrize(("body", "problem"), [
    ('["my-model"]\ninput = -1.0\noutput = 1.0', r'\["my-model"\]: input must be a finite number >= 0, got -1.0'),
    ('["my-model"]\ninput = "cheap"\noutput = 1.0', r"\[\"my-model\"\]: input must be a number .*'cheap'"),
    ('["my-model"]\ninput = 1.0\noutput = 1.0\ncached = 0.1', r"\[\"my-model\"\]: unknown key 'cached'"),
    ('["my-model"]\ninput = 1.0', r'\["my-model"\]: missing output'),
    ('["my-model"]\ninput = 1.0\noutput = true', r'\["my-model"\]: output must be a number'),
    ('["my-model"]\ninput = 1.0\noutput = nan', r'\["my-model"\]: output must be a finite number'),
    ("[gpt-4.1]\ninput = 1.0\noutput = 1.0", r'\["gpt-4"\]: unknown key \'1\' \(quote model ids that contain dots'),
    ('["my-model"]\ninput = 1.0\noutput = 1.0\naliases = "m"', r'\["my-model"\]: aliases must be a list'),
    ('["my-model"]\ninput = 1.0\noutput = 2.0\n["my-model".long_context]\nabove = 0\ninput = 2.0\noutput = 4.0',
     r'\["my-model"\]\.long_context: above must be a positive whole number'),
    ('currency = "EUR"', r'\["currency"\]: expected a table of rates'),
    ('["my-model"]\ninput = 1.0\noutput = 1.0\n["MY-MODEL"]\ninput = 1.0\noutput = 1.0',
     r'\["MY-MODEL"\]: empty or duplicate model id'),
    ('["my-model"\ninput = 1.0', r"not valid TOML"),
])
def test_a_malformed_override_is_a_config_error_naming_the_file_and_the_entry(tmp_path, body, problem):
    path = override(tmp_path, body)
    with pytest.raises(ConfigError, match=re.escape(str(path)) + ": " + problem):
        PriceTable.load(path)


def test_a_missing_override_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path / "nope.toml")) + ": cannot read the pricing table"):
        PriceTable.load(tmp_path / "nope.toml")


def test_openai_style_cached_tokens_are_part_of_the_input_and_priced_at_the_cache_rate():
    # 1000 prompt tokens of which 400 cached: 600 x $2.50 + 400 x $1.25, and 100 x $10 out
    assert cost(GPT_4O, 1000, 100, 400, None, cache_included_in_input=True) == pytest.approx((0.002, 0.001, 0.003))


def test_anthropic_style_cache_tokens_come_on_top_of_the_input():
    # 100 x $3 + 1000 reads x $0.30 + 200 writes x $3.75, and 50 x $15 out
    assert cost(CLAUDE_3_5_SONNET, 100, 50, 1000, 200, cache_included_in_input=False) == pytest.approx(
        (0.00135, 0.00075, 0.0021))


def test_counts_that_cannot_contain_their_cache_are_priced_as_separate():
    assert cost(CLAUDE_3_5_SONNET, 100, 50, 1000, 200, cache_included_in_input=True) == pytest.approx(
        (0.00135, 0.00075, 0.0021))


def test_cache_tokens_of_a_model_without_a_cache_rate_cost_the_input_rate():
    gpt_4 = Price("gpt-4", 30.0, 60.0)
    assert cost(gpt_4, 1000, 0, 500, None, cache_included_in_input=True) == pytest.approx((0.03, 0.0, 0.03))


def test_a_known_model_with_zero_tokens_costs_zero():
    assert cost(GPT_4O, 0, 0, 0, 0, cache_included_in_input=True) == (0.0, 0.0, 0.0)


def test_an_unknown_model_or_unknown_counts_cost_none_not_zero():
    assert cost(None, 1000, 100, cache_included_in_input=True) == (None, None, None)
    assert cost(GPT_4O, None, None, 50, 0, cache_included_in_input=True) == (None, None, None)
    assert cost(GPT_4O, -5, -1, cache_included_in_input=True) == (None, None, None)


def test_a_missing_count_leaves_its_side_unknown_and_the_total_is_the_known_part():
    embedding = Price("text-embedding-3-small", 0.02, 0.0)
    assert cost(embedding, 1000, None, cache_included_in_input=True) == pytest.approx((0.00002, None, 0.00002))
    assert cost(GPT_4O, None, 100, cache_included_in_input=True) == pytest.approx((None, 0.001, 0.001))


def test_the_long_context_tier_prices_the_whole_request_above_its_threshold(table):
    gemini = table.lookup("gemini-2.5-pro")
    assert cost(gemini, 200_000, 1000, cache_included_in_input=True) == pytest.approx((0.25, 0.01, 0.26))
    assert cost(gemini, 250_000, 1000, cache_included_in_input=True) == pytest.approx((0.625, 0.015, 0.64))
    # Anthropic's prompt size counts the cache tokens that come on top of the input
    sonnet = table.lookup("claude-sonnet-4-5-20250929")
    assert cost(sonnet, 1000, 0, 250_000, 0, cache_included_in_input=False) == pytest.approx((0.156, 0.0, 0.156))


def test_reasoning_tokens_cost_the_output_rate_unless_the_model_has_its_own():
    assert cost(GPT_4O, 0, 100, reasoning_tokens=80, cache_included_in_input=True) == pytest.approx(
        (0.0, 0.001, 0.001))
    thinker = Price("thinker", 1.0, 10.0, reasoning=20.0)
    assert cost(thinker, 0, 100, reasoning_tokens=80, cache_included_in_input=True) == pytest.approx(
        (0.0, 0.0018, 0.0018))


def test_native_cache_inclusion_follows_each_providers_api():
    assert [native_cache_included(provider, model) for provider, model in [
        ("openai", "gpt-4o"), ("azure.ai.openai", "gpt-4o"), ("gcp.gemini", "gemini-2.5-pro"),
        ("gcp.vertex_ai", "gemini-2.5-pro"), ("anthropic", "claude-sonnet-4-5"),
        ("aws.bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0"), ("gcp.vertex_ai", "claude-3-5-sonnet@20240620"),
    ]] == [True, True, True, True, False, False, False]


counts = st.one_of(st.none(), st.integers(min_value=-10, max_value=10**9))
rates = st.floats(min_value=0, max_value=1000, allow_nan=False)
prices = st.builds(Price, st.just("m"), rates, rates, st.none() | rates, st.none() | rates, st.none() | rates,
                   long_context_above=st.none() | st.integers(1, 10**6),
                   long_context=st.none() | st.builds(Price, st.just("m"), rates, rates, st.none() | rates))


@given(prices, counts, counts, counts, counts, counts, st.booleans())
def test_costs_are_never_negative_and_the_total_adds_up(price, inputs, outputs, read, write, reasoning, included):
    input_cost, output_cost, total = cost(price, inputs, outputs, read, write,
                                          cache_included_in_input=included, reasoning_tokens=reasoning)
    assert all(part is None or part >= 0 for part in (input_cost, output_cost, total))
    assert (total is None) == (input_cost is None and output_cost is None)
    if input_cost is not None and output_cost is not None:
        assert total == pytest.approx(input_cost + output_cost)
