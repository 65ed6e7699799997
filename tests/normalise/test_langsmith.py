"""LangSmith OTel export -> canonical fields.

Fixtures follow langsmith 0.15 `langsmith/_internal/otel/_otel_exporter.py` (reference §6b, §9.9):
`gen_ai.operation.name` is written through a lossy map, `langsmith.span.kind` holds the run type.
"""

from __future__ import annotations

from spanhouse.normalise.conventions import langsmith, view
from spanhouse.normalise.spans import merge


def test_run_type_beats_the_lossy_operation_name():
    """§9.9: a retriever run is exported with gen_ai.operation.name=embeddings, a prompt with chat."""
    retriever, _ = merge(view({"langsmith.span.kind": "retriever", "gen_ai.operation.name": "embeddings",
                               "gen_ai.system": "langchain", "langsmith.trace.name": "VectorStoreRetriever"}))
    prompt, _ = merge(view({"langsmith.span.kind": "prompt", "gen_ai.operation.name": "chat",
                            "gen_ai.system": "langchain"}))
    parser, _ = merge(view({"langsmith.span.kind": "parser", "gen_ai.operation.name": "parser"}))
    assert [(f["category"], f.get("operation"), f.get("framework"), f.get("provider"))
            for f in (retriever, prompt, parser)] == [
        ("RETRIEVAL", "retrieval", "langchain", None), ("PROMPT", "chat", "langchain", None),
        ("CHAIN", "parser", None, None)]


def test_an_llm_run_with_langchain_messages():
    fields, _ = merge(view({
        "langsmith.span.kind": "llm", "gen_ai.operation.name": "chat", "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": "31", "gen_ai.usage.output_tokens": "9",
        "gen_ai.usage.total_tokens": "40", "langsmith.metadata.thread_id": "t-1", "langsmith.metadata.user_id": "u-1",
        "langsmith.trace.session_id": "project-uuid", "langsmith.trace.session_name": "capture-project",
        "gen_ai.prompt": '{"messages": [[{"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages",'
                         ' "HumanMessage"], "kwargs": {"content": "Hi", "type": "human"}}]]}',
        "gen_ai.completion": '{"generations": [[{"text": "Hello", "message": {"lc": 1, "type": "constructor", '
                             '"id": ["langchain", "schema", "messages", "AIMessage"], "kwargs": {"content": "Hello"}}'
                             '}]]}',
    }))
    assert fields == {
        "category": "LLM", "operation": "chat", "provider": "openai", "request_model": "gpt-4o-mini",
        "input_tokens": 31, "output_tokens": 9, "total_tokens": 40, "thread_id": "t-1", "user_id": "u-1",
        "input_messages": [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}],
        "output_messages": [{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}]}],
    }


def test_a_tool_run_and_a_retriever_run():
    assert langsmith.extract(view({"langsmith.span.kind": "tool", "langsmith.trace.name": "get_weather",
                                   "gen_ai.prompt": '{"input": "Paris"}', "gen_ai.completion": '{"output": "18C"}'})) \
        == {"category": "TOOL", "operation": "execute_tool", "tool_name": "get_weather",
            "tool_arguments": '{"input": "Paris"}', "tool_result": '{"output": "18C"}'}
    assert langsmith.extract(view({"langsmith.span.kind": "retriever", "gen_ai.prompt": '{"query": "refunds"}',
                                   "gen_ai.completion": '{"documents": [{"page_content": "a"}]}'})) == {
        "category": "RETRIEVAL", "operation": "retrieval", "document_count": 1, "retrieval_query": "refunds"}


def test_comma_joined_span_tags_fill_tags():
    """S8 `_otel_exporter.py` joins the run's tags with ", "."""
    assert langsmith.extract(view({"langsmith.span.kind": "chain",
                                   "langsmith.span.tags": "seq:step:1, beta"}))["tags"] == ("seq:step:1", "beta")
