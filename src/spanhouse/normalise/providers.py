"""Provider and framework names: every convention's spelling -> one value.

Providers take the OTel GenAI registry spelling (`gen_ai.provider.name` well-known values).
Deprecated OTel values, OpenInference's `llm.system`, pre-0.5 OpenLLMetry's capitalised values,
OpenLIT's constants and the Vercel AI SDK's `<provider>.<api flavour>` ids are mapped onto it.
Framework names that conventions put in the provider attribute (`langchain`, `langgraph`, ...)
are not providers: `provider()` refuses them and `framework_of_provider()` names them.
"""

from __future__ import annotations

# The registry's current values (open-telemetry/semantic-conventions-genai registry.yaml).
OTEL_PROVIDERS = frozenset({
    "openai", "gcp.gen_ai", "gcp.vertex_ai", "gcp.gemini", "anthropic", "cohere", "azure.ai.inference",
    "azure.ai.openai", "ibm.watsonx.ai", "aws.bedrock", "perplexity", "x_ai", "deepseek", "groq", "mistral_ai",
    "moonshot_ai", "azure.ai.content_safety",
})

ALIASES = {
    "az.ai.openai": "azure.ai.openai",  # OTel before v1.35, OpenLLMetry GenAISystem.AZURE
    "az.ai.inference": "azure.ai.inference",
    "azure": "azure.ai.openai",  # OpenInference llm.provider, pre-0.5 OpenLLMetry "Azure"
    "azure-openai": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "vertex_ai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "google.vertex": "gcp.vertex_ai",  # Vercel @ai-sdk/google-vertex
    "google": "gcp.gemini",  # OpenInference llm.provider, Vercel @ai-sdk/google (the Gemini API)
    "gemini": "gcp.gemini",
    "google.generative-ai": "gcp.gemini",
    "xai": "x_ai",
    "mistralai": "mistral_ai",
    "mistral": "mistral_ai",
    "bedrock": "aws.bedrock",
    "amazon-bedrock": "aws.bedrock",
    "aws": "aws.bedrock",  # OpenInference llm.provider
    "ibm.watson.ai": "ibm.watsonx.ai",  # OpenLIT
    "watsonx": "ibm.watsonx.ai",
    "moonshot": "moonshot_ai",
    "moonshotai": "moonshot_ai",
}

# Values that name a framework, not a model provider (reference §9 case 10).
FRAMEWORKS = {
    "langchain": "langchain",
    "langgraph": "langgraph",
    "llama_index": "llama_index",
    "llamaindex": "llama_index",
    "crewai": "crewai",
    "autogen": "autogen",
    "haystack": "haystack",
    "dspy": "dspy",
    "semantic_kernel": "semantic_kernel",
}

# Instrumentation scope name -> framework (reference §7 `framework`). Scope names not listed here
# fall back to the part after `openinference.instrumentation.` / `opentelemetry.instrumentation.` /
# `openlit.instrumentation.`.
SCOPES = {
    "ai": "vercel_ai",  # Vercel AI SDK ai@6 built-in / ai@7 LegacyOpenTelemetry
    "gen_ai": "vercel_ai",  # ai@7 + @ai-sdk/otel OpenTelemetry integration
    "pydantic-ai": "pydantic_ai",
    "pydantic_ai": "pydantic_ai",
    "langsmith": "langsmith",
    "langfuse-sdk": "langfuse",
    "langfuse": "langfuse",
    "mlflow.tracing.provider": "mlflow",
    "traceloop.tracer": "traceloop",
    "openlit": "openlit",
}
_SCOPE_PREFIXES = ("openinference.instrumentation.", "opentelemetry.instrumentation.", "openlit.instrumentation.")
_SCOPE_RENAMES = {"openai_v2": "openai", "llamaindex": "llama_index", "llama-index": "llama_index"}
_scope_cache: dict[str, str] = {}


_provider_cache: dict[str, str | None] = {}


def provider(raw: str | None) -> str | None:
    """The OTel spelling of a provider value, or None for empty values and framework names."""
    if not raw:
        return None
    try:
        return _provider_cache[raw]
    except KeyError:
        pass
    name = _provider(raw)
    if len(_provider_cache) < 4096:
        _provider_cache[raw] = name
    return name


def _provider(raw: str) -> str | None:
    value = raw.strip().lower()
    if not value or value in FRAMEWORKS:
        return None
    if value in OTEL_PROVIDERS:
        return value
    alias = ALIASES.get(value)
    if alias:
        return alias
    # Vercel AI SDK: `openai.chat`, `anthropic.messages`, `google.vertex.chat` (provider + API flavour)
    head, dot, rest = value.partition(".")
    if dot:
        two = head + "." + rest.partition(".")[0]
        if two in ALIASES:
            return ALIASES[two]
        if head in OTEL_PROVIDERS:
            return head
        if head in ALIASES:
            return ALIASES[head]
    return value


def framework_of_provider(raw: str | None) -> str | None:
    if not raw:
        return None
    return FRAMEWORKS.get(raw.strip().lower())


def framework_of_scope(scope: str) -> str:
    """Framework named by an instrumentation scope ("" when the scope names none)."""
    cached = _scope_cache.get(scope)
    if cached is not None:
        return cached
    name = SCOPES.get(scope, "")
    if not name:
        for prefix in _SCOPE_PREFIXES:
            if scope.startswith(prefix):
                tail = scope[len(prefix):].split(".", 1)[0]
                name = _SCOPE_RENAMES.get(tail, tail)
                break
    if len(_scope_cache) < 1024:
        _scope_cache[scope] = name
    return name
