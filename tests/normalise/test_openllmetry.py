"""OpenLLMetry / Traceloop attributes -> canonical fields, current and pre-0.5 layouts.

Fixtures follow traceloop/openllmetry `packages/opentelemetry-semantic-conventions-ai/.../semconv_ai/__init__.py`
and MIGRATION.md (reference §3); the current layout is checked against
tests/captures/openllmetry_openai (opentelemetry-instrumentation-openai 0.62).
"""

from __future__ import annotations

from spanhouse.normalise.conventions import openllmetry, view
from spanhouse.normalise.spans import merge


def test_a_legacy_chat_span_with_indexed_prompts_and_tool_calls():
    """semconv-ai 0.4.x: gen_ai.prompt.N.* / gen_ai.completion.N.*, llm.request.type, llm.usage.total_tokens."""
    fields = openllmetry.extract(view({
        "llm.request.type": "chat", "gen_ai.system": "OpenAI", "gen_ai.request.model": "gpt-4o-mini",
        "llm.usage.total_tokens": "74", "gen_ai.usage.cache_read_input_tokens": "8", "llm.is_streaming": "false",
        "llm.headers": "None", "llm.request.reasoning_effort": "[]", "llm.user": "u-7",
        "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "Be terse.",
        "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "Weather?",
        "gen_ai.prompt.2.role": "assistant", "gen_ai.prompt.2.tool_calls.0.id": "c1",
        "gen_ai.prompt.2.tool_calls.0.name": "get_weather", "gen_ai.prompt.2.tool_calls.0.arguments": '{"city": "P"}',
        "gen_ai.prompt.3.role": "tool", "gen_ai.prompt.3.tool_call_id": "c1", "gen_ai.prompt.3.content": "18C",
        "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Sunny.",
        "gen_ai.completion.0.finish_reason": "stop",
    }))
    assert fields == {
        "category": "LLM", "operation": "chat", "total_tokens": 74, "cache_read_tokens": 8, "streaming": False,
        "user_id": "u-7", "finish_reasons": ("stop",),
        "input_messages": [
            {"role": "system", "parts": [{"type": "text", "content": "Be terse."}]},
            {"role": "user", "parts": [{"type": "text", "content": "Weather?"}]},
            {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather",
                                             "arguments": {"city": "P"}}]},
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "18C"}]},
        ],
        "output_messages": [{"role": "assistant", "parts": [{"type": "text", "content": "Sunny."}],
                             "finish_reason": "stop"}],
    }


def test_legacy_capitalised_provider_is_mapped_by_genai():
    """MIGRATION.md: pre-0.5 GenAISystem values were capitalised ("MistralAI", "Azure")."""
    fields, matched = merge(view({"llm.request.type": "chat", "gen_ai.system": "MistralAI"}))
    assert (fields["provider"], matched) == ("mistral_ai", ["openllmetry", "otel_genai"])


def test_span_kind_beats_an_agent_operation_on_a_plain_chain():
    """§9.8: the LangChain instrumentation labels a plain LCEL chain invoke_agent."""
    fields, _ = merge(view({"traceloop.span.kind": "workflow", "traceloop.workflow.name": "RunnableSequence",
                            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "RunnableSequence"}))
    assert (fields["category"], fields["operation"]) == ("CHAIN", "invoke_agent")


def test_vector_db_retrieve_task_spans_stay_retrievals():
    """§10 correction: vector_db_retrieve spans also carry traceloop.span.kind=task."""
    fields, _ = merge(view({"traceloop.span.kind": "task", "gen_ai.operation.name": "vector_db_retrieve"}))
    assert fields["category"] == "RETRIEVAL"


def test_a_tool_task_names_the_tool_and_takes_the_entity_io():
    fields, _ = merge(view({"traceloop.span.kind": "tool", "traceloop.entity.name": "get_weather",
                            "traceloop.entity.input": '{"inputs": {"city": "Paris"}}',
                            "traceloop.entity.output": '{"outputs": "18C"}'}))
    assert fields == {"category": "TOOL", "tool_name": "get_weather",
                      "tool_arguments": '{"inputs": {"city": "Paris"}}', "tool_result": '{"outputs": "18C"}'}


def test_association_properties_fill_thread_and_user_but_mark_nothing():
    """§9.16: association properties exist only with traceloop-sdk and are copied to every span."""
    props = {"traceloop.association.properties.session_id": "s-1", "traceloop.association.properties.user_id": "u-1"}
    assert openllmetry.extract(view(props)) is None
    fields, _ = merge(view({**props, "traceloop.span.kind": "agent", "traceloop.entity.name": "planner"}))
    assert fields == {"category": "AGENT", "thread_id": "s-1", "user_id": "u-1", "agent_name": "planner"}


def test_legacy_request_types_map_to_categories():
    categories = {kind: openllmetry.extract(view({"llm.request.type": kind})).get("category")
                  for kind in ("chat", "completion", "embedding", "rerank", "unknown")}
    assert categories == {"chat": "LLM", "completion": "LLM", "embedding": "EMBEDDING", "rerank": "RERANKER",
                          "unknown": None}


def test_the_workflow_name_fills_workflow_name():
    fields = openllmetry.extract(view({"traceloop.span.kind": "task", "traceloop.workflow.name": "answer_question",
                                       "traceloop.entity.name": "retrieve"}))
    assert fields["workflow_name"] == "answer_question"
