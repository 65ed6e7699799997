"""Cost of a span's own model call, from the price table, when the span reported none.

Runs after `spans.derive`, so roll-up spans (whose tokens were cleared) get no cost either and a
trace's cost is the sum over its model calls. The canonical token columns are defined inclusive
of cache tokens (the OTel GenAI definition; conventions that report them apart are converted
on the way in), so cached tokens are priced at the cache rates out of the input count.
A model missing from the table gets NULL cost, never 0: `unpriced_models` (a view) lists them.
`CostSource` says where a cost came from: `span:<attribute>` when reported, `price:<table id>`
when computed here.
"""

from __future__ import annotations

from spanhouse.normalise.fields import Fields
from spanhouse.normalise.pricing import PER_TOKENS, PriceTable, cost


def price_call(fields: Fields, prices: PriceTable) -> None:
    """Fill input, output and total cost in place from `prices`, unless the span reported a cost."""
    get = fields.get
    if get("total_cost") is not None or get("cost_source"):
        return
    inputs, outputs = get("input_tokens"), get("output_tokens")
    if inputs is None and outputs is None:
        return
    provider = get("provider", "")
    model = get("response_model")
    price = prices.lookup(model, provider) if model else None
    if price is None:
        model = get("request_model")
        price = prices.lookup(model, provider) if model else None
        if price is None:
            return
    cache_read, cache_write, reasoning = get("cache_read_tokens"), get("cache_write_tokens"), get("reasoning_tokens")
    if (price.long_context is None and not cache_read and not cache_write
            and (not reasoning or price.reasoning is None)):
        # the usual call, computed here as `cost` would (same float operations, a third of the time)
        input_cost = None if inputs is None else inputs * price.input / PER_TOKENS
        output_cost = None if outputs is None else outputs * price.output / PER_TOKENS
        total_cost = (input_cost or 0.0) + (output_cost or 0.0)
    else:
        input_cost, output_cost, total_cost = cost(
            price, inputs, outputs, cache_read, cache_write, cache_included_in_input=True,
            reasoning_tokens=reasoning,
        )
    fields["input_cost"], fields["output_cost"], fields["total_cost"] = input_cost, output_cost, total_cost
    fields["cost_source"] = _SOURCES.get(price.model) or _source(price.model)


_SOURCES: dict[str, str] = {}


def _source(model: str) -> str:
    if len(_SOURCES) >= 4096:
        _SOURCES.clear()
    source = _SOURCES[model] = f"price:{model}"
    return source
