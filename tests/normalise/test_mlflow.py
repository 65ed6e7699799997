"""MLflow Tracing native attributes -> canonical fields (every value JSON-encoded).

Fixtures follow mlflow-tracing 3.x `mlflow/tracing/constant.py` and `mlflow/entities/span.py`
(reference §6c, §9.2).
"""

from __future__ import annotations

from spanhouse.normalise.conventions import mlflow, view


def test_a_chat_model_span_with_json_encoded_scalars_usage_and_cost():
    assert mlflow.extract(view({
        "mlflow.spanType": '"CHAT_MODEL"', "mlflow.traceRequestId": '"tr-1"', "model": '"gpt-4o-mini"',
        "mlflow.llm.model": '"gpt-4o-mini-2024-07-18"', "mlflow.llm.provider": '"openai"',
        "mlflow.chat.tokenUsage": '{"input_tokens": 31, "output_tokens": 9, "total_tokens": 40, '
                                  '"cache_read_input_tokens": 8}',
        "mlflow.llm.cost": '{"input_cost": 0.1, "output_cost": 0.2, "total_cost": 0.3}',
        "mlflow.spanInputs": '{"messages": [{"role": "user", "content": "Hi"}], "model": "gpt-4o-mini"}',
        "mlflow.spanOutputs": '{"choices": [{"index": 0, "finish_reason": "stop", '
                              '"message": {"role": "assistant", "content": "Hello"}}]}',
    })) == {
        "category": "LLM", "operation": "chat", "request_model": "gpt-4o-mini",
        "response_model": "gpt-4o-mini-2024-07-18", "provider": "openai", "input_tokens": 31, "output_tokens": 9,
        "total_tokens": 40, "cache_read_tokens": 8, "input_cost": 0.1, "output_cost": 0.2, "total_cost": 0.3,
        "cost_source": "span:mlflow.llm.cost",
        "input_messages": [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}],
        "output_messages": [{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}],
                             "finish_reason": "stop"}],
    }


def test_a_tool_span_is_named_by_its_function():
    assert mlflow.extract(view({"mlflow.spanType": '"TOOL"', "mlflow.spanFunctionName": '"get_weather"',
                                "mlflow.spanInputs": '{"city": "Paris"}', "mlflow.spanOutputs": '"18C"'})) == {
        "category": "TOOL", "operation": "execute_tool", "tool_name": "get_weather",
        "tool_arguments": '{"city": "Paris"}', "tool_result": '"18C"'}


def test_a_retriever_span_gives_query_and_document_count():
    """§9.25: MLflow documents are [{page_content, metadata, id}]."""
    assert mlflow.extract(view({
        "mlflow.spanType": '"RETRIEVER"', "mlflow.spanInputs": '{"query": "refunds"}',
        "mlflow.spanOutputs": '[{"page_content": "a", "metadata": {}, "id": "1"}, {"page_content": "b"}]',
    })) == {"category": "RETRIEVAL", "operation": "retrieval", "document_count": 2, "retrieval_query": "refunds"}


def test_span_types_map_to_categories():
    categories = {kind: mlflow.extract(view({"mlflow.spanType": f'"{kind}"'})).get("category") for kind in (
        "LLM", "CHAIN", "AGENT", "PARSER", "EMBEDDING", "RERANKER", "MEMORY", "WORKFLOW", "TASK", "GUARDRAIL",
        "EVALUATOR", "UNKNOWN")}
    assert categories == {"LLM": "LLM", "CHAIN": "CHAIN", "AGENT": "AGENT", "PARSER": "CHAIN",
                          "EMBEDDING": "EMBEDDING", "RERANKER": "RERANKER", "MEMORY": "MEMORY", "WORKFLOW": "CHAIN",
                          "TASK": "CHAIN", "GUARDRAIL": "GUARDRAIL", "EVALUATOR": "EVALUATOR", "UNKNOWN": None}
