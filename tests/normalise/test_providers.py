"""Provider spellings -> the OTel registry's; framework names are not providers (§9.10, §9.11)."""

from __future__ import annotations

from spanhouse.normalise import providers


def test_every_conventions_spelling_maps_to_the_registry_value():
    raw = ["openai", "az.ai.openai", "Azure", "az.ai.inference", "vertex_ai", "vertexai", "gemini", "xai", "mistralai",
           "MistralAI", "Anthropic", "openai.chat", "openai.embedding", "anthropic.messages", "google.vertex.chat",
           "amazon-bedrock", "ibm.watson.ai", "gcp.vertex_ai", "some-new-provider"]
    assert [providers.provider(value) for value in raw] == [
        "openai", "azure.ai.openai", "azure.ai.openai", "azure.ai.inference", "gcp.vertex_ai", "gcp.vertex_ai",
        "gcp.gemini", "x_ai", "mistral_ai", "mistral_ai", "anthropic", "openai", "openai", "anthropic",
        "gcp.vertex_ai", "aws.bedrock", "ibm.watsonx.ai", "gcp.vertex_ai", "some-new-provider"]


def test_framework_names_are_not_providers():
    assert [(providers.provider(v), providers.framework_of_provider(v)) for v in ("langchain", "LangGraph", "")] == [
        (None, "langchain"), (None, "langgraph"), (None, None)]


def test_frameworks_from_scope_names():
    assert [providers.framework_of_scope(scope) for scope in (
        "openinference.instrumentation.llama_index", "opentelemetry.instrumentation.langchain",
        "opentelemetry.instrumentation.openai.v1", "openlit.instrumentation.crewai", "langfuse-sdk",
        "mlflow.tracing.provider", "my.app")] == [
        "llama_index", "langchain", "openai", "crewai", "langfuse", "mlflow", ""]
