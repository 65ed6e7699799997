"""normalise_batch: conventions merged by priority, derived fields last, roll-ups, errors, originals kept."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from spanhouse.decode.traces import decode_spans
from spanhouse.normalise.content import ContentPolicy
from spanhouse.normalise.conventions import REGISTRY, Convention, view
from spanhouse.normalise.fields import CANONICAL, CANONICAL_COLUMNS, CATEGORIES, NUMERIC_RANGES
from spanhouse.normalise.pricing import Price, PriceTable
from spanhouse.normalise.spans import derive, merge, normalise_batch
from tests.factories import BASE_NS, export_request, kv, llm_span, make_span


def normalised(*spans: Span, scope: str = "tests", policy: ContentPolicy | None = None):
    batch = decode_spans(export_request(*spans, scope=scope), "t")
    return normalise_batch(batch) if policy is None else normalise_batch(batch, policy)


def row(batch, index: int) -> dict[str, object]:
    """The non-empty canonical columns of one span."""
    return {column: batch.columns[column][index] for column, empty in
            [(column, empty) for column, empty in CANONICAL.values()] + [("Convention", [])]
            if batch.columns[column][index] != empty}


def test_an_llm_span_fills_the_canonical_columns_and_a_plain_span_keeps_empty_ones():
    batch = normalised(llm_span(), make_span(span=9, name="db", attributes={"db.system": "postgresql"}))
    assert row(batch, 0) == {
        "Category": "LLM", "Operation": "chat", "Provider": "openai", "RequestModel": "gpt-4o",
        "ResponseModel": "gpt-4o-2024-08-06", "InputTokens": 120, "OutputTokens": 30, "TotalTokens": 150,
        "FinishReasons": ("stop",), "Convention": ["otel_genai"]}
    assert [batch.columns[c][1] for c in CANONICAL_COLUMNS] == [empty for _, empty in CANONICAL.values()] + [[]]
    assert batch.columns["SpanAttributes"][1] == {"db.system": "postgresql"}


def test_every_canonical_column_has_one_value_per_span_and_a_second_call_adds_only_new_spans():
    batch = decode_spans(export_request(llm_span(), make_span(span=9)), "t")
    normalise_batch(batch)
    decode_spans(export_request(llm_span(span=3)), "t", batch)
    normalise_batch(batch)
    assert {len(batch.columns[c]) for c in CANONICAL_COLUMNS} == {3}
    assert batch.columns["Category"] == ["LLM", "", "LLM"]


def test_total_is_derived_only_when_not_reported():
    fields, _ = merge(view({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": "5"}))
    derive(fields, view({}))
    assert fields["total_tokens"] == 5
    fields, _ = merge(view({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": "5",
                            "gen_ai.usage.output_tokens": "1", "gen_ai.usage.total_tokens": "9"}))
    derive(fields, view({}))
    assert fields["total_tokens"] == 9


def test_category_is_derived_from_tool_or_usage_when_no_convention_gives_one():
    """§8 step 9."""
    tool, _ = merge(view({"gen_ai.tool.name": "t"}))
    llm, _ = merge(view({"gen_ai.request.model": "m", "gen_ai.usage.output_tokens": "2"}))
    model_only, _ = merge(view({"gen_ai.request.model": "m"}))
    for fields in (tool, llm, model_only):
        derive(fields, view({}))
    assert (tool["category"], llm["category"], model_only.get("category")) == ("TOOL", "LLM", None)


def test_the_higher_priority_convention_wins_each_field():
    markers = view({"a.marker": "x"}, known=frozenset({"a.marker"}))
    from spanhouse.normalise.table import Row, Table

    table = Table([Row("a.marker", "", None)])
    first = Convention("first", lambda span: {"request_model": "a"}, table)
    second = Convention("second", lambda span: {"request_model": "b", "provider": "p"}, table)
    assert merge(markers, (first, second)) == ({"request_model": "a", "provider": "p"}, ["first", "second"])


def test_the_registry_follows_the_category_decision_order():
    """§8: explicit kinds first (Langfuse, OpenInference, LangSmith, MLflow, Traceloop), then OTel names."""
    assert [c.name for c in REGISTRY] == ["langfuse", "openinference", "langsmith", "mlflow", "openllmetry",
                                          "otel_genai", "vercel_ai", "pydantic_ai", "openlit"]


def test_category_decision_order_across_conventions():
    """§8: each kind attribute beats every later one when several are on one span."""
    kinds = [("langfuse.observation.type", "tool", "TOOL"), ("openinference.span.kind", "EMBEDDING", "EMBEDDING"),
             ("langsmith.span.kind", "retriever", "RETRIEVAL"), ("mlflow.spanType", '"MEMORY"', "MEMORY"),
             ("traceloop.span.kind", "workflow", "CHAIN"), ("gen_ai.operation.name", "invoke_agent", "AGENT"),
             ("ai.operationId", "ai.generateText.doGenerate", "LLM")]
    for position, (_, _, expected) in enumerate(kinds):
        attrs = {key: value for key, value, _ in kinds[position:]}
        fields, _ = merge(view(attrs))
        assert fields["category"] == expected, attrs


def test_agent_and_chain_spans_are_roll_ups_without_tokens_or_cost():
    """Token accounting rule (§8): usage on agent/chain spans sums its children's (§9.6)."""
    batch = normalised(
        make_span(span=1, name="invoke_agent weather", attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather", "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 84, "gen_ai.usage.output_tokens": 34, "gen_ai.usage.cost": 0.01,
            "gen_ai.sdk.version": "1"}),
        llm_span(span=2, parent=1),
        make_span(span=3, name="fetch", attributes={"gen_ai.operation.name": "fetch_response",
                                                      "gen_ai.usage.input_tokens": 5}))
    assert row(batch, 0) == {"Category": "AGENT", "Operation": "invoke_agent", "RequestModel": "gpt-4o",
                             "AgentName": "weather", "Convention": ["otel_genai", "openlit"]}
    assert (batch.columns["InputTokens"][1], batch.columns["InputTokens"][2]) == (120, None)
    assert batch.columns["SpanAttributes"][0]["gen_ai.usage.input_tokens"] == "84"


def test_a_failed_ai_span_gets_error_type_and_message_from_its_exception_event():
    """§9.22: status ERROR + exception event; the exception message beats a traceback status message."""
    batch = normalised(llm_span(status=Status(code=Status.STATUS_CODE_ERROR, message="Traceback ..."),
                                events=[Span.Event(name="exception", time_unix_nano=BASE_NS, attributes=[
                                    kv("exception.type", "openai.RateLimitError"),
                                    kv("exception.message", "Rate limit reached for jane@example.com")])]),
                       make_span(span=9, status=Status(code=Status.STATUS_CODE_ERROR, message="boom")))
    assert (batch.columns["ErrorType"][0], batch.columns["ErrorMessage"][0]) == (
        "openai.RateLimitError", "Rate limit reached for [REDACTED:email]")
    assert (batch.columns["ErrorType"][1], batch.columns["ErrorMessage"][1]) == ("", "")


def test_the_status_message_is_used_when_there_is_no_exception_event():
    batch = normalised(llm_span(attributes={"error.type": "timeout"},
                                status=Status(code=Status.STATUS_CODE_ERROR, message="Request timed out.")))
    assert (batch.columns["ErrorType"][0], batch.columns["ErrorMessage"][0]) == ("timeout", "Request timed out.")


def test_framework_comes_from_the_scope_name():
    scopes = ["openinference.instrumentation.langchain", "opentelemetry.instrumentation.openai_v2", "pydantic-ai",
              "ai", "opentelemetry.util.genai.handler"]
    frameworks = [normalised(llm_span(), scope=scope).columns["Framework"][0] for scope in scopes]
    assert frameworks == ["langchain", "openai", "pydantic_ai", "vercel_ai", ""]


def test_time_to_first_token_from_a_first_chunk_event():
    batch = normalised(make_span(attributes={"openinference.span.kind": "LLM"}, events=[
        Span.Event(name="First Token Stream Event", time_unix_nano=BASE_NS + 120_000_000)]))
    assert batch.columns["TimeToFirstTokenMs"][0] == 120.0


def test_content_columns_are_rendered_as_json_and_capped():
    text = "word " * 5000
    batch = normalised(llm_span(attributes={"gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", '
                                                                      f'"content": "{text}"}}]}}]',
                                            "gen_ai.tool.call.arguments": text}),
                       policy=ContentPolicy(max_bytes=1024))
    rendered, arguments = batch.columns["InputMessages"][0], batch.columns["ToolArguments"][0]
    assert (len(rendered.encode()) <= 1024, rendered.startswith('[{"role":"user","parts":[{"type":"text","content":'),
            rendered.endswith('"truncated":true}]}]'), len(arguments.encode()) <= 1024,
            arguments.endswith("…[truncated]")) == (True, True, True, True, True)


def test_capture_off_removes_content_attributes_events_and_columns():
    span = llm_span(attributes={"gen_ai.input.messages": '[{"role": "user", "parts": []}]',
                                "gen_ai.system_instructions": "[]", "gen_ai.tool.call.arguments": {"q": 1},
                                "llm.input_messages.0.message.content": "hi", "openinference.span.kind": "LLM"},
                    events=[Span.Event(name="gen_ai.user.message", time_unix_nano=BASE_NS,
                                       attributes=[kv("content", "secret"), kv("gen_ai.system", "openai")])])
    batch = normalised(span, policy=ContentPolicy(capture=False))
    assert batch.columns["SpanAttributes"][0] == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.usage.input_tokens": "120",
        "gen_ai.usage.output_tokens": "30", "gen_ai.response.finish_reasons": '["stop"]',
        "openinference.span.kind": "LLM"}
    assert batch.columns["SpanAttributeTypes"][0] == {
        "gen_ai.usage.input_tokens": "int", "gen_ai.usage.output_tokens": "int",
        "gen_ai.response.finish_reasons": "array"}
    assert batch.columns["Events.Attributes"][0] == [{"gen_ai.system": "openai"}]
    assert [batch.columns[c][0] for c in ("InputMessages", "OutputMessages", "ToolArguments")] == ["", "", ""]


def test_redaction_masks_raw_attributes_event_attributes_and_columns():
    span = llm_span(attributes={
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": '
                                 '"mail bob@corp.io, key sk-abcdefghijklmnopqrstuvwx"}]}]'},
        events=[Span.Event(name="gen_ai.user.message", time_unix_nano=BASE_NS,
                           attributes=[kv("content", "card 4111 1111 1111 1111")])])
    batch = normalised(span)
    assert batch.columns["SpanAttributes"][0]["gen_ai.input.messages"] == (
        '[{"role":"user","parts":[{"type":"text","content":"mail [REDACTED:email], key [REDACTED:api_key]"}]}]')
    assert batch.columns["Events.Attributes"][0] == [{"content": "card [REDACTED:card]"}]
    assert batch.columns["InputMessages"][0] == (
        '[{"role":"user","parts":[{"type":"text","content":"mail [REDACTED:email], key [REDACTED:api_key]"}]},'
        '{"role":"user","parts":[{"type":"text","content":"card [REDACTED:card]"}]}]')


# --- property test ---------------------------------------------------------------------------

KNOWN_KEYS = sorted(set().union(*(c.table.keys for c in REGISTRY)))
PREFIXES = ["llm.input_messages.0.message.", "llm.output_messages.1.message.", "gen_ai.prompt.0.",
            "gen_ai.completion.10.", "retrieval.documents.2.document.", "traceloop.association.properties.",
            "ai.telemetry.metadata.", "langsmith.metadata.", "gen_ai.aggregated_usage."]
CONTENT_KEYS = set().union(*(c.table.content_keys for c in REGISTRY))
CONTENT_PREFIXES = tuple(p for c in REGISTRY for p in c.table.content_prefixes)
NUMERIC = ("_tokens", "_cost", "cost", "count", "tokens", "temperature", "max_tokens", "Tokens", "token_count")

keys = st.one_of(st.sampled_from(KNOWN_KEYS),
                 st.builds(lambda p, s: p + s, st.sampled_from(PREFIXES), st.sampled_from(
                     ["role", "content", "0.tool_call.id", "tool_calls.0.name", "session_id", "x"])),
                 st.text(max_size=20))
texts = st.one_of(st.text(max_size=40), st.integers().map(str), st.floats().map(repr),
                  st.sampled_from(["", "None", "Infinity", "-1", "1e400", "5000000000", "1e308", "18446744073709551616",
                                   '"12"', "[]", "{}", "[1, null, \"x\"]",
                                   '{"input": -5, "total": "x"}', '[{"role": "user", "parts": 3}]', '"\\"LLM\\""',
                                   "LLM", "chat", "invoke_agent", "ai.generateText", "tool", "ERROR"]))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, texts, max_size=12), st.sampled_from(["tests", "ai", "pydantic-ai"]), st.booleans())
def test_any_attribute_map_normalises_without_error_loss_or_negative_numbers(attrs, scope, capture):
    batch = normalised(make_span(attributes=attrs), scope=scope, policy=ContentPolicy(capture=capture))
    stored = batch.columns["SpanAttributes"][0]
    kept = {key: value for key, value in attrs.items()
            if key not in CONTENT_KEYS and not key.startswith(CONTENT_PREFIXES)}
    assert {key: stored[key] for key in kept} == kept
    if capture:
        assert stored.keys() == attrs.keys()
    for field, (column, _) in CANONICAL.items():
        value = batch.columns[column][0]
        if isinstance(value, int | float) and not isinstance(value, bool):
            lowest, highest = NUMERIC_RANGES[field]
            assert value >= 0 and math.isfinite(value) and lowest <= value <= highest, (field, value)
    assert batch.columns["Category"][0] in CATEGORIES | {""}


def test_a_document_count_beyond_uint32_leaves_the_column_null_and_the_attribute_as_sent():
    batch = normalised(make_span(attributes={"gen_ai.operation.name": "retrieval", "gen_ai.sdk.version": "1.45",
                                             "gen_ai.retrieval.document_count": 2**32}),
                       make_span(span=2, attributes={"gen_ai.operation.name": "retrieval",
                                                     "gen_ai.sdk.version": "1.45",
                                                     "gen_ai.retrieval.document_count": 2**32 - 1}))
    assert batch.columns["DocumentCount"] == [None, 2**32 - 1]
    assert batch.columns["SpanAttributes"][0]["gen_ai.retrieval.document_count"] == str(2**32)


def test_a_cost_that_overflows_float64_leaves_the_column_null_and_the_tokens_as_sent():
    prices = PriceTable({"dear-model": Price("dear-model", input=1e300, output=1e300)})
    batch = decode_spans(export_request(llm_span(attributes={
        "gen_ai.request.model": "dear-model", "gen_ai.response.model": "dear-model",
        "gen_ai.usage.input_tokens": 2**62, "gen_ai.usage.output_tokens": 1})), "t")
    normalise_batch(batch, prices=prices)
    assert [batch.columns[column][0] for column in ("InputTokens", "InputCost", "OutputCost", "TotalCost")] == [
        2**62, None, 1e294, None]


def test_canonical_json_content_is_stored_as_sent_once_redacted():
    raw = '[{"role": "user", "parts": [{"type": "text", "content": "I am jane@example.com"}]}]'
    batch = normalised(llm_span(attributes={"gen_ai.input.messages": raw}))
    masked = '[{"role":"user","parts":[{"type":"text","content":"I am [REDACTED:email]"}]}]'
    assert (batch.columns["SpanAttributes"][0]["gen_ai.input.messages"], batch.columns["InputMessages"][0]) == (
        masked, masked)


def test_langfuse_completion_start_time_is_measured_from_the_span_start():
    generation = make_span(span=2, start_ns=BASE_NS, attributes={
        "langfuse.observation.type": "generation", "langfuse.observation.model.name": "gpt-4o",
        "langfuse.observation.completion_start_time": '"2025-11-22T08:26:40.125000+00:00"'})
    assert row(normalised(generation), 0)["TimeToFirstTokenMs"] == 125.0
