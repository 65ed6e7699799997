"""Cost from the price table: only when the span reported none, only for the span's own model call."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spanhouse.normalise.costs import price_call
from spanhouse.normalise.pricing import PriceTable, cost

PRICES = PriceTable.load()


def test_a_dated_model_is_priced_with_cached_tokens_at_the_cache_rate():
    fields = {"provider": "openai", "request_model": "gpt-4o-mini", "response_model": "gpt-4o-mini-2024-07-18",
              "input_tokens": 31, "output_tokens": 9, "cache_read_tokens": 8}
    price_call(fields, PRICES)
    # gpt-4o-mini: $0.15 / 1M input, $0.075 / 1M cached input, $0.60 / 1M output
    assert fields["input_cost"] == pytest.approx((23 * 0.15 + 8 * 0.075) / 1e6)
    assert fields["output_cost"] == pytest.approx(9 * 0.6 / 1e6)
    assert fields["total_cost"] == pytest.approx(fields["input_cost"] + fields["output_cost"])
    assert fields["cost_source"] == "price:gpt-4o-mini"


def test_a_cost_the_span_reported_is_kept():
    fields = {"response_model": "gpt-4o", "input_tokens": 10, "output_tokens": 5, "total_cost": 0.5,
              "cost_source": "span:llm.cost.total"}
    price_call(fields, PRICES)
    assert (fields["total_cost"], fields["cost_source"], "input_cost" in fields) == (0.5, "span:llm.cost.total", False)


def test_an_unknown_model_gets_no_cost_never_zero():
    fields = {"response_model": "my-finetune-7b", "input_tokens": 10, "output_tokens": 5}
    price_call(fields, PRICES)
    assert fields == {"response_model": "my-finetune-7b", "input_tokens": 10, "output_tokens": 5}


def test_a_span_without_token_counts_gets_no_cost():
    fields = {"response_model": "gpt-4o", "category": "AGENT"}
    price_call(fields, PRICES)
    assert "total_cost" not in fields


@given(inputs=st.one_of(st.none(), st.integers(0, 10**9)), outputs=st.one_of(st.none(), st.integers(0, 10**9)),
       model=st.sampled_from([price.model for price in PRICES]))
def test_a_call_without_cache_or_reasoning_tokens_costs_exactly_what_cost_computes(inputs, outputs, model):
    fields = {"response_model": model, "input_tokens": inputs, "output_tokens": outputs}
    price_call(fields, PRICES)
    price = PRICES.lookup(model)
    if inputs is None and outputs is None:
        assert "total_cost" not in fields
        return
    expected = cost(price, inputs, outputs, cache_included_in_input=True)
    assert (fields["input_cost"], fields["output_cost"], fields["total_cost"]) == expected
