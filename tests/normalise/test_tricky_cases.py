"""The tricky cases of reference §9, each as seen on one span (the trace-level ones say so).

Case numbers are the reference's. Attribute values come from the reference's description of the
real capture, or from tests/captures where one exists.
"""

from __future__ import annotations

import json

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from spanhouse.decode.traces import decode_spans
from spanhouse.normalise.conventions import view
from spanhouse.normalise.spans import derive, merge, normalise_batch
from tests.factories import export_request, make_span


def fields_of(attrs: dict[str, str], **context: object) -> dict[str, object]:
    span = view(attrs, **context)  # type: ignore[arg-type]
    fields, _ = merge(span)
    derive(fields, span)
    return fields


def columns_of(*spans: Span, scope: str = "tests") -> dict[str, list[object]]:
    return normalise_batch(decode_spans(export_request(*spans, scope=scope), "t")).columns


def test_case_01_json_in_strings_is_parsed_and_structured_values_too():
    columns = columns_of(
        make_span(attributes={"gen_ai.operation.name": "chat", "gen_ai.input.messages":
                              '[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]'}),
        make_span(span=2, attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "f",
                                      "gen_ai.tool.call.arguments": {"city": "Paris"}}))
    assert columns["InputMessages"][0] == '[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]'
    assert columns["ToolArguments"][1] == '{"city":"Paris"}'  # a kvlist attribute arrives flattened to JSON


def test_case_02_double_json_encoding_of_mlflow_scalars_and_langfuse_metadata():
    assert fields_of({"mlflow.spanType": '"TOOL"', "mlflow.spanFunctionName": '"lookup"', "model": '"gpt-4o"'}) == {
        "category": "TOOL", "operation": "execute_tool", "tool_name": "lookup", "request_model": "gpt-4o"}
    assert fields_of({"langfuse.observation.type": "span",
                      "langfuse.trace.metadata.langfuse_session_id": '"acme"'})["thread_id"] == "acme"


def test_case_03_tool_call_arguments_as_a_json_string_or_an_object_end_up_the_same():
    call = '[{"role":"assistant","parts":[{"type":"tool_call","id":"c","name":"w","arguments":%s}]}]'
    columns = columns_of(*(make_span(span=n, attributes={"gen_ai.operation.name": "chat",
                                                         "gen_ai.output.messages": call % arguments})
                           for n, arguments in ((1, '"{\\"city\\": 1}"'), (2, '{"city": 1}'))))
    assert [json.loads(value) for value in columns["OutputMessages"]] == 2 * [
        [{"role": "assistant", "parts": [{"type": "tool_call", "id": "c", "name": "w", "arguments": {"city": 1}}]}]]


def test_case_04_flattened_lists_sort_numerically_with_gaps():
    attrs = {"openinference.span.kind": "LLM", "llm.input_messages.10.message.content": "third",
             "llm.input_messages.2.message.content": "second", "llm.input_messages.0.message.content": "first"}
    assert [m["parts"][0]["content"] for m in fields_of(attrs)["input_messages"]] == ["first", "second", "third"]


def test_case_05_numbers_of_other_types_are_accepted_or_refused_without_losing_the_span():
    columns = columns_of(make_span(attributes={
        "llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 42.0, "gen_ai.usage.output_tokens": 17.5, "llm.headers": "None",
        "llm.request.reasoning_effort": [], "gen_ai.request.max_tokens": "Infinity"}))
    assert [columns[c][0] for c in ("Category", "InputTokens", "OutputTokens", "MaxTokens")] == ["LLM", 42, None, None]


def test_case_06_a_vercel_ai7_invoke_agent_with_summed_usage_is_a_roll_up():
    fields = fields_of({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather-agent",
                        "gen_ai.request.model": "gpt-4o-mini", "gen_ai.provider.name": "openai",
                        "gen_ai.usage.input_tokens": "84", "gen_ai.usage.output_tokens": "34"}, scope="gen_ai")
    assert (fields["category"], fields["agent_name"], fields["framework"], "input_tokens" in fields) == (
        "AGENT", "weather-agent", "vercel_ai", False)


def test_case_07_nested_llm_spans_are_trace_level_and_a_token_less_llm_span_adds_nothing():
    """LlamaIndex OpenAI.predict (LLM, no tokens) > OpenAI.chat (LLM, tokens): per span, only the child counts."""
    outer = fields_of({"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini"}, name="OpenAI.predict")
    assert (outer["category"], outer.get("input_tokens"), outer.get("total_tokens")) == ("LLM", None, None)


def test_case_08_openllmetry_invoke_agent_on_a_plain_chain_is_a_chain():
    assert fields_of({"traceloop.span.kind": "workflow", "gen_ai.operation.name": "invoke_agent",
                      "gen_ai.agent.name": "RunnableSequence"})["category"] == "CHAIN"


def test_case_09_langsmith_prompt_and_retriever_runs_are_not_chat_or_embeddings():
    assert [fields_of({"langsmith.span.kind": kind, "gen_ai.operation.name": op})["category"]
            for kind, op in (("prompt", "chat"), ("retriever", "embeddings"), ("parser", "parser"))] == [
        "PROMPT", "RETRIEVAL", "CHAIN"]


def test_case_10_a_framework_in_the_provider_field_becomes_the_framework():
    assert [(f.get("provider"), f.get("framework")) for f in (
        fields_of({"gen_ai.operation.name": "execute_task", "gen_ai.provider.name": "langgraph"}),
        fields_of({"gen_ai.operation.name": "chat", "gen_ai.system": "openai.chat"}),
        fields_of({"gen_ai.operation.name": "retrieval", "gen_ai.provider.name": "chroma"}))] == [
        (None, "langgraph"), ("openai", None), ("chroma", None)]


def test_case_11_provider_spellings_of_each_convention_agree():
    assert {fields_of(attrs)["provider"] for attrs in (
        {"gen_ai.provider.name": "x_ai", "gen_ai.operation.name": "chat"}, {"gen_ai.system": "xai"},
        {"openinference.span.kind": "LLM", "llm.system": "xai"})} == {"x_ai"}


def test_case_12_request_and_response_models_are_kept_apart():
    """OpenInference: llm.model_name is the response model; the request model is in the invocation parameters."""
    fields = fields_of({"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini-2024-07-18",
                        "llm.invocation_parameters": '{"model": "gpt-4o-mini"}'})
    assert (fields["request_model"], fields["response_model"]) == ("gpt-4o-mini", "gpt-4o-mini-2024-07-18")


def test_case_13_finish_reason_spellings_agree():
    assert {fields_of(attrs)["finish_reasons"] for attrs in (
        {"gen_ai.operation.name": "chat", "gen_ai.response.finish_reasons": '["tool-calls"]'},
        {"gen_ai.operation.name": "chat", "gen_ai.response.finish_reasons": '["tool_call"]'},
        {"openinference.span.kind": "LLM", "llm.finish_reason": "tool_calls"})} == {("tool_calls",)}


def test_case_14_vercel_input_tokens_already_include_cached_ones():
    fields = fields_of({"ai.operationId": "ai.generateText.doGenerate", "ai.usage.inputTokens": "42",
                        "ai.usage.inputTokenDetails.noCacheTokens": "32",
                        "ai.usage.inputTokenDetails.cacheReadTokens": "10"})
    assert (fields["input_tokens"], fields["cache_read_tokens"]) == (42, 10)


def test_case_15_defaults_reported_as_requested_are_stored_as_reported():
    """Nothing in one span tells a default from a request; only temperature and max tokens are read."""
    fields = fields_of({"gen_ai.operation.name": "chat", "gen_ai.request.seed": "0", "gen_ai.request.top_p": "1.0",
                        "gen_ai.request.temperature": "1.0", "gen_ai.sdk.version": "1.45.0"})
    assert (fields["temperature"], "seed" in fields) == (1.0, False)


def test_case_16_langsmith_project_session_is_not_a_thread():
    fields = fields_of({"langsmith.span.kind": "llm", "langsmith.trace.session_id": "project-uuid",
                        "langsmith.trace.session_name": "capture-project"})
    assert "thread_id" not in fields


def test_case_17_content_in_log_records_is_trace_level_but_span_events_are_read():
    """Log records are joined by the lead; the same event shapes as span events are read here."""
    columns = columns_of(make_span(attributes={"gen_ai.system": "openai", "gen_ai.operation.name": "chat"},
                                   events=[Span.Event(name="gen_ai.user.message", time_unix_nano=1,
                                                      attributes=[])]))
    assert columns["InputMessages"] == [""]


def test_case_18_metric_names_used_as_span_attributes():
    fields = fields_of({"gen_ai.operation.name": "chat", "gen_ai.client.operation.time_to_first_chunk": "0.3",
                        "gen_ai.client.token.usage": "40", "gen_ai.client.operation.duration": "1.2"})
    assert (fields["time_to_first_token_ms"], fields["total_tokens"]) == (300.0, 40)


def test_case_19_resource_attributes_on_spans_do_not_make_an_ai_span():
    assert merge(view({"service.name": "app", "telemetry.sdk.name": "openlit", "resource.name": "fn"})) == ({}, [])


def test_case_20_metadata_pollution_is_stored_as_sent():
    columns = columns_of(make_span(attributes={"langsmith.span.kind": "chain",
                                               "langsmith.metadata.LANGSMITH_PROJECT": "p",
                                               "langsmith.metadata.ls_run_depth": 2}))
    assert (columns["Category"][0], columns["SpanAttributes"][0]["langsmith.metadata.LANGSMITH_PROJECT"]) == (
        "CHAIN", "p")


def test_case_21_span_kind_is_not_used_to_classify():
    columns = columns_of(make_span(kind=Span.SPAN_KIND_CLIENT, attributes={"gen_ai.operation.name": "execute_tool"}),
                         make_span(span=2, kind=Span.SPAN_KIND_INTERNAL, attributes={"gen_ai.operation.name": "chat"}))
    assert columns["Category"] == ["TOOL", "LLM"]


def test_case_22_ok_and_unset_status_are_alike_and_error_fills_the_error_columns():
    columns = columns_of(
        make_span(attributes={"openinference.span.kind": "LLM"}, status=Status(code=Status.STATUS_CODE_OK)),
        make_span(span=2, attributes={"gen_ai.operation.name": "chat"}),
        make_span(span=3, attributes={"gen_ai.operation.name": "chat"},
                  status=Status(code=Status.STATUS_CODE_ERROR, message="429")))
    assert [(columns["Category"][i], columns["ErrorMessage"][i]) for i in range(3)] == [
        ("LLM", ""), ("LLM", ""), ("LLM", "429")]


def test_case_23_old_and_new_layouts_of_one_package_agree():
    old = fields_of({"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "m",
                     "gen_ai.usage.input_tokens": "3"})
    new = fields_of({"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "m",
                     "gen_ai.usage.input_tokens": "3"})
    assert old == new


def test_case_24_a_tool_span_without_a_call_id_keeps_it_empty_for_the_trace_level_join():
    assert "tool_call_id" not in fields_of({"openinference.span.kind": "TOOL", "tool.name": "get_weather"})


def test_case_25_document_counts_from_every_documents_shape():
    assert [fields_of(attrs)["document_count"] for attrs in (
        {"gen_ai.operation.name": "retrieval", "gen_ai.retrieval.documents": '[{"id": "a", "score": 0.5}]'},
        {"openinference.span.kind": "RETRIEVER", "retrieval.documents.0.document.content": "x",
         "retrieval.documents.3.document.content": "y"},
        {"mlflow.spanType": '"RETRIEVER"', "mlflow.spanOutputs": '[{"page_content": "x", "metadata": {}, "id": "1"}]'},
    )] == [1, 2, 1]


def test_case_26_an_orphan_span_normalises_like_any_other():
    columns = columns_of(make_span(parent=77, attributes={"gen_ai.operation.name": "chat"}))
    assert (columns["ParentSpanId"][0] != "", columns["Category"][0]) == (True, "LLM")
