"""Cost in USD of one model call, from a pricing table, for spans whose instrumentation reports none.

The table: `prices.toml` shipped beside this module (its header documents the format, sources and
date), optionally overlaid by the user's TOML file of the same format. A user entry replaces the
shipped entry of the same id whole (no field merge) or adds a new one; the shipped aliases of a
replaced id follow it. Rates are USD per 1,000,000 tokens, as the providers publish them.

Model ids (`PriceTable.lookup`): matching is case-insensitive and tries, most specific first,
  1. the id as given (so a user can price `accounts/fireworks/models/x` or `ft:gpt-4o:acme::1`),
  2. the part after the last `/` (`openai/gpt-4o`, `models/gemini-1.5-pro`, `azure/...`, Vertex
     resource names, Bedrock ARNs), less a Bedrock region and vendor prefix (`us.anthropic.`),
  3. that id with one variant suffix stripped at a time: a Vertex `@version`, Bedrock `:0` and `-v2`,
     `-latest`, and dates (`-2024-08-06`, `-20241022`, `-08-2024`, `-05-06`, `-0613`, `-002`).
  At each step an entry keyed `<provider>/<id>` (provider as in `gen_ai.provider.name`) wins over
  `<id>`, and an exact entry always wins over a shorter family id, so a dated snapshot priced apart
  from its family (`gpt-4o-2024-05-13`) keeps its price. Only those suffixes are stripped: a name
  that differs from a family by anything else (`gpt-4o-mini`, `gpt-4o-audio-preview`, an unknown
  `gpt-4o-foo`) is not priced as the family. Guessing would put a wrong number where NULL is honest;
  such models are unknown and reported as unpriced. An unknown model costs None, never 0.

Token conventions (`cost`):
  * Cache tokens are priced at `cache_read` / `cache_write` (the input rate when a model has none)
    and count towards the input cost. Whether `input_tokens` already contains them depends on who
    counted, so the caller says so with `cache_included_in_input`:
      - OpenTelemetry GenAI spans: True. The convention says `gen_ai.usage.input_tokens` "SHOULD
        include all types of input tokens, including cached tokens", and the cache_read /
        cache_creation counts "SHOULD be included" in it.
      - A provider's raw usage copied as is: `native_cache_included(provider, model)`. OpenAI's
        `prompt_tokens` contains `cached_tokens`, Gemini's `prompt_token_count` contains
        `cached_content_token_count`; Anthropic's `input_tokens` excludes `cache_read_input_tokens`
        and `cache_creation_input_tokens` (the three are disjoint), as does Bedrock Converse.
    Counts that claim inclusion but cannot be (cache reads + writes > input tokens) are instrumentation
    that forwarded Anthropic-style numbers; they are priced as separate rather than made negative.
  * Reasoning tokens are part of `output_tokens` (OpenAI's `completion_tokens` includes
    `reasoning_tokens`) and are billed at the output rate, unless the model has a `reasoning` rate.
  * Long context: when a model has a `long_context` tier and the prompt (input plus cache tokens)
    exceeds its `above`, the whole request is billed at that tier's rates, as Google and Anthropic do.
  * Unknown counts are None and cost None; negative counts are garbage and count as unknown. The
    total is the sum of the known parts, like the derived total token count, so an embedding span
    with no output count still gets a total. Costs are never negative.

Lookups run per span: each (model, provider) pair is resolved once per table and then answered
from a dict; the memo is bounded so a flood of distinct garbage ids cannot grow it without limit.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from spanhouse.errors import ConfigError

PER_TOKENS = 1_000_000
"""Rates are USD per this many tokens."""

SHIPPED_TABLE = "prices.toml"

_RATES = ("input", "output", "cache_read", "cache_write", "reasoning")
_ENTRY_KEYS = frozenset({*_RATES, "provider", "aliases", "long_context"})
_LONG_CONTEXT_KEYS = frozenset({*_RATES, "above"})
_MEMO_LIMIT = 10_000

# Bedrock model ids: an optional cross-region inference prefix, then the vendor.
_BEDROCK_PREFIX = re.compile(
    r"^(?:(?:us|eu|apac|us-gov|global|jp|au|ca)\.)?"
    r"(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|writer)\."
)
# One variant suffix at the end of an id; anything else is part of the model's name.
_VARIANT_SUFFIX = re.compile(
    r"(?:@[\w.-]+|:\d+k?|-v\d+|-latest|-\d{4}-\d{2}-\d{2}|-\d{8}|-\d{2}-\d{4}|-\d{2}-\d{2}|-\d{3,4})$"
)
# Providers whose own API reports cache tokens apart from input tokens (see the module docstring).
_CACHE_APART = frozenset({"anthropic", "aws.bedrock"})


@dataclass(frozen=True, slots=True)
class Price:
    """One model's rates in USD per 1M tokens; an optional rate of None bills those tokens as `cost` says."""

    model: str
    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None
    reasoning: float | None = None
    provider: str = ""
    long_context_above: int | None = None
    long_context: Price | None = None


@dataclass
class _Layer:
    entries: dict[str, Price] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    as_of: str = ""
    source: str = ""


class PriceTable:
    """Model id -> `Price`, with the id normalisation described in the module docstring.

    `as_of` and `source` describe the shipped table; a user's table carries its own provenance.
    """

    def __init__(self, index: dict[str, Price], *, as_of: str = "", source: str = "") -> None:
        """Most callers want `load`. `index` maps lower-case model ids and aliases to their prices."""
        self._index = index
        self._memo: dict[tuple[str, str], Price | None] = {}
        self.as_of = as_of
        self.source = source

    @classmethod
    def load(cls, override_path: Path | None = None) -> PriceTable:
        """The shipped table, overlaid by the user's table when a path is given.

        Args:
            override_path: a TOML file in the shipped format; its entries replace or add to the shipped ones.

        Raises:
            ConfigError: a file cannot be read or parsed, or has an invalid entry; the message names
                the file and the entry.
        """
        layers = [_parse(*_read(resources.files("spanhouse.normalise").joinpath(SHIPPED_TABLE)))]
        if override_path is not None:
            layers.append(_parse(*_read(override_path)))
        merged = {key: price for layer in layers for key, price in layer.entries.items()}
        index: dict[str, Price] = {}
        for layer in layers:  # later layers win; within one, an id beats an alias
            index.update({alias: merged[key] for alias, key in layer.aliases.items()})
            index.update({key: merged[key] for key in layer.entries})
        return cls(index, as_of=layers[0].as_of, source=layers[0].source)

    def __len__(self) -> int:
        """Number of distinct priced models (aliases not counted)."""
        return len({price.model for price in self._index.values()})

    def __iter__(self) -> Iterator[Price]:
        """Each priced model once, by id."""
        return iter(sorted({price.model: price for price in self._index.values()}.values(), key=lambda p: p.model))

    def lookup(self, model: str, provider: str = "") -> Price | None:
        """The price of `model` as served by `provider` (a `gen_ai.provider.name`), or None when unknown."""
        key = (model, provider)
        try:
            return self._memo[key]
        except KeyError:
            pass
        price = self._resolve(model, provider)
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = price
        return price

    def is_priced(self, model: str, provider: str = "") -> bool:
        """Whether `lookup` finds a price: the test for the list of unpriced models."""
        return self.lookup(model, provider) is not None

    def _resolve(self, model: str, provider: str) -> Price | None:
        qualifier = provider.strip().lower()
        for candidate in candidates(model):
            if qualifier:
                price = self._index.get(f"{qualifier}/{candidate}")
                if price is not None:
                    return price
            price = self._index.get(candidate)
            if price is not None:
                return price
        return None


def candidates(model: str) -> list[str]:
    """The ids `PriceTable.lookup` tries for `model`, most specific first."""
    name = model.strip().lower()
    if not name:
        return []
    found = [name]
    name = _BEDROCK_PREFIX.sub("", name.rpartition("/")[2], count=1)
    while name:
        if name != found[-1]:
            found.append(name)
        shorter = _VARIANT_SUFFIX.sub("", name, count=1)
        if shorter == name:
            break
        name = shorter
    return found


def cost(
    price: Price | None,
    input_tokens: int | None,
    output_tokens: int | None,
    cache_read_tokens: int | None = None,
    cache_write_tokens: int | None = None,
    *,
    cache_included_in_input: bool,
    reasoning_tokens: int | None = None,
) -> tuple[float | None, float | None, float | None]:
    """(input cost, output cost, total cost) in USD; all None for an unknown price or unknown counts.

    Args:
        price: from `PriceTable.lookup`; None (an unknown model) gives no cost.
        input_tokens: prompt tokens; the input cost includes the cache tokens' cost.
        output_tokens: completion tokens, reasoning tokens included.
        cache_read_tokens: prompt tokens served from a cache.
        cache_write_tokens: prompt tokens written to a cache.
        cache_included_in_input: whether `input_tokens` already counts the cache tokens
            (see the module docstring and `native_cache_included`).
        reasoning_tokens: the part of `output_tokens` spent reasoning; used only when the
            model has its own `reasoning` rate.
    """
    inputs, outputs = _count(input_tokens), _count(output_tokens)
    if price is None or (inputs is None and outputs is None):
        return None, None, None
    read, write = _count(cache_read_tokens) or 0, _count(cache_write_tokens) or 0
    fresh = inputs
    if inputs is not None and cache_included_in_input and read + write <= inputs:
        fresh = inputs - read - write
    rates = price
    if (price.long_context is not None and price.long_context_above is not None and fresh is not None
            and fresh + read + write > price.long_context_above):
        rates = price.long_context
    input_cost = None
    if fresh is not None:
        cache_read_rate = rates.input if rates.cache_read is None else rates.cache_read
        cache_write_rate = rates.input if rates.cache_write is None else rates.cache_write
        input_cost = (fresh * rates.input + read * cache_read_rate + write * cache_write_rate) / PER_TOKENS
    output_cost = None
    if outputs is not None:
        thinking = 0 if rates.reasoning is None else min(_count(reasoning_tokens) or 0, outputs)
        output_cost = ((outputs - thinking) * rates.output + thinking * (rates.reasoning or 0.0)) / PER_TOKENS
    return input_cost, output_cost, (input_cost or 0.0) + (output_cost or 0.0)


def native_cache_included(provider: str, model: str = "") -> bool:
    """Whether `provider`'s own API counts cache reads and writes inside its input token count.

    False for Anthropic's Messages API, wherever it is served (Anthropic, Bedrock, Claude on
    Vertex AI), and for Bedrock Converse; True for OpenAI-style and Gemini usage.
    """
    provider = provider.strip().lower()
    if provider in _CACHE_APART:
        return False
    return not (provider == "gcp.vertex_ai" and "claude" in model.lower())


def _count(tokens: int | None) -> int | None:
    return tokens if tokens is not None and tokens >= 0 else None


def _read(path: Path | Traversable) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the pricing table: {exc}") from exc
    try:
        return tomllib.loads(text), str(path)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _parse(document: dict[str, Any], origin: str) -> _Layer:
    layer = _Layer()
    for name, body in document.items():
        if name in ("as_of", "source") and not isinstance(body, dict):
            setattr(layer, name, str(body))
            continue
        where = f'{origin}: ["{name}"]'
        if not isinstance(body, dict):
            raise ConfigError(f"{where}: expected a table of rates, got {body!r} "
                              "(the only top-level keys are as_of and source)")
        key = name.strip().lower()
        if not key or key in layer.entries or key in layer.aliases:
            raise ConfigError(f"{where}: empty or duplicate model id")
        layer.entries[key] = _price(key, body, where)
        aliases = body.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases):
            raise ConfigError(f"{where}: aliases must be a list of model ids, got {aliases!r}")
        for alias in (alias.strip().lower() for alias in aliases):
            if not alias or alias in layer.entries or alias in layer.aliases:
                raise ConfigError(f"{where}: alias {alias!r} is empty or already names a model")
            layer.aliases[alias] = key
    return layer


def _price(key: str, body: dict[str, Any], where: str) -> Price:
    _check_keys(body, where, _ENTRY_KEYS)
    provider = body.get("provider", "")
    if not isinstance(provider, str):
        raise ConfigError(f"{where}: provider must be a string, got {provider!r}")
    provider = provider.strip().lower()
    above, long_context = None, None
    if "long_context" in body:
        tier, tier_where = body["long_context"], f"{where}.long_context"
        if not isinstance(tier, dict):
            raise ConfigError(f"{tier_where}: expected a table with above, input and output, got {tier!r}")
        _check_keys(tier, tier_where, _LONG_CONTEXT_KEYS)
        above = tier.get("above")
        if isinstance(above, bool) or not isinstance(above, int) or above <= 0:
            raise ConfigError(f"{tier_where}: above must be a positive whole number of tokens, got {above!r}")
        long_context = Price(key, *_rates(tier, tier_where), provider=provider)
    return Price(key, *_rates(body, where), provider=provider, long_context_above=above, long_context=long_context)


def _check_keys(body: dict[str, Any], where: str, allowed: frozenset[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        # `[gpt-4.1]` unquoted parses as table "gpt-4" holding table "1".
        hint = ' (quote model ids that contain dots: ["gpt-4.1"])' if isinstance(body[unknown[0]], dict) else ""
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}{hint}; expected {', '.join(sorted(allowed))}")


def _rates(body: dict[str, Any], where: str) -> tuple[float, float, float | None, float | None, float | None]:
    for required in ("input", "output"):
        if required not in body:
            raise ConfigError(f"{where}: missing {required} (USD per 1M tokens)")
    read, write, reasoning = (None if name not in body else _rate(body[name], name, where)
                              for name in ("cache_read", "cache_write", "reasoning"))
    return _rate(body["input"], "input", where), _rate(body["output"], "output", where), read, write, reasoning


def _rate(value: Any, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {name} must be a number (USD per 1M tokens), got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{where}: {name} must be a finite number >= 0, got {value!r}")
    return float(value)
