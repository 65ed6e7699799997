"""normalise_batch: conventions merged by priority, derived fields last, originals untouched."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spanhouse.decode.traces import decode_spans
from spanhouse.normalise.conventions import Convention
from spanhouse.normalise.fields import CANONICAL, CANONICAL_COLUMNS
from spanhouse.normalise.spans import merge, normalise_batch
from tests.factories import export_request, llm_span, make_span


def test_an_llm_span_fills_the_canonical_columns():
    batch = normalise_batch(decode_spans(export_request(llm_span(), make_span(span=9, name="db")), "t"))
    columns = batch.columns
    assert [columns[c][0] for c in ("Category", "Operation", "Provider", "RequestModel", "ResponseModel",
                                     "InputTokens", "OutputTokens", "TotalTokens", "FinishReasons", "Convention")] \
        == ["LLM", "chat", "openai", "gpt-4o", "gpt-4o-2024-08-06", 120, 30, 150, ("stop",), ["otel_genai"]]
    # the non-AI span keeps empty values
    assert [columns[c][1] for c in CANONICAL_COLUMNS] == [empty for _, empty in CANONICAL.values()] + [[]]


def test_total_is_derived_only_when_not_reported():
    assert merge({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": "5"})[0]["total_tokens"] == 5
    fields, _ = merge({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": "5",
                       "gen_ai.usage.output_tokens": "1", "gen_ai.usage.total_tokens": "9"})
    assert fields["total_tokens"] == 9


def test_category_is_derived_from_tool_or_usage_when_no_operation():
    assert merge({"gen_ai.tool.name": "t"})[0]["category"] == "TOOL"
    assert merge({"gen_ai.request.model": "m", "gen_ai.usage.output_tokens": "2"})[0]["category"] == "LLM"


def test_the_higher_priority_convention_wins_each_field():
    first = Convention("first", lambda attrs: {"request_model": "a"})
    second = Convention("second", lambda attrs: {"request_model": "b", "provider": "p"})
    assert merge({}, (first, second)) == ({"request_model": "a", "provider": "p"}, ["first", "second"])


attribute_maps = st.dictionaries(
    st.one_of(st.sampled_from([
        "gen_ai.operation.name", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.total_tokens",
        "gen_ai.usage.cache_read.input_tokens", "gen_ai.request.model", "gen_ai.system", "gen_ai.request.temperature",
        "gen_ai.request.max_tokens", "gen_ai.response.finish_reasons", "gen_ai.tool.name",
    ]), st.text()),
    st.one_of(st.text(), st.integers().map(str), st.floats().map(repr), st.just("[1, null, \"x\"]")),
)


@given(attribute_maps)
def test_any_attribute_map_normalises_without_error_or_negative_numbers(attrs):
    original = dict(attrs)
    fields, _ = merge(attrs)
    assert attrs == original
    for key in ("input_tokens", "output_tokens", "total_tokens", "cache_read_tokens", "max_tokens", "temperature"):
        assert fields.get(key) is None or fields[key] >= 0
