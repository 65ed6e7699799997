"""OpenTelemetry GenAI semantic conventions (`gen_ai.*`), current names and the deprecated ones.

Sources: open-telemetry/semantic-conventions-genai `model/gen-ai/registry.yaml` (current names),
open-telemetry/semantic-conventions `model/gen-ai/deprecated/registry-deprecated.yaml` (renames:
`gen_ai.system` -> `gen_ai.provider.name` in v1.37, `gen_ai.usage.prompt_tokens` ->
`input_tokens` in v1.27). Where both spellings are present the current one wins.
"""

from __future__ import annotations

from collections.abc import Mapping

from spanhouse.normalise import values
from spanhouse.normalise.fields import Fields

NAME = "otel_genai"

OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
SYSTEM_DEPRECATED = "gen_ai.system"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
PROMPT_TOKENS_DEPRECATED = "gen_ai.usage.prompt_tokens"
COMPLETION_TOKENS_DEPRECATED = "gen_ai.usage.completion_tokens"
TOTAL_TOKENS = "gen_ai.usage.total_tokens"  # not in the spec; emitted by several SDKs
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_WRITE_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
CONVERSATION_ID = "gen_ai.conversation.id"
AGENT_NAME = "gen_ai.agent.name"
AGENT_ID = "gen_ai.agent.id"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
TEMPERATURE = "gen_ai.request.temperature"
MAX_TOKENS = "gen_ai.request.max_tokens"
ERROR_TYPE = "error.type"

# Any of these on a span makes it a GenAI span; `error.type` alone does not.
MARKERS = (OPERATION, PROVIDER, SYSTEM_DEPRECATED, REQUEST_MODEL, RESPONSE_MODEL, INPUT_TOKENS, OUTPUT_TOKENS,
           PROMPT_TOKENS_DEPRECATED, COMPLETION_TOKENS_DEPRECATED, CONVERSATION_ID, AGENT_NAME, TOOL_NAME)

# gen_ai.operation.name -> category (registry well-known values, plus values seen in the wild).
OPERATION_CATEGORY = {
    "chat": "LLM",
    "text_completion": "LLM",
    "generate_content": "LLM",
    "completion": "LLM",
    "fetch_response": "LLM",
    "embeddings": "EMBEDDING",
    "execute_tool": "TOOL",
    "retrieval": "RETRIEVAL",
    "invoke_agent": "AGENT",
    "create_agent": "AGENT",
    "invoke_workflow": "CHAIN",
    "plan": "CHAIN",
    "apply_guardrail": "GUARDRAIL",
    "search_memory": "MEMORY",
    "create_memory": "MEMORY",
    "update_memory": "MEMORY",
    "upsert_memory": "MEMORY",
    "delete_memory": "MEMORY",
    "create_memory_store": "MEMORY",
    "delete_memory_store": "MEMORY",
}

# Deprecated or non-standard provider spellings -> the registry's current value.
PROVIDER_ALIASES = {
    "az.ai.openai": "azure.ai.openai",
    "az.ai.inference": "azure.ai.inference",
    "azure": "azure.ai.openai",
    "vertex_ai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "xai": "x_ai",
    "mistralai": "mistral_ai",
    "bedrock": "aws.bedrock",
}


def provider_name(raw: str) -> str:
    value = raw.strip().lower()
    return PROVIDER_ALIASES.get(value, value)


def extract(attrs: Mapping[str, str]) -> Fields | None:
    """Canonical fields from a span's `gen_ai.*` attributes, or None when it has none."""
    get = attrs.get
    if not any(key in attrs for key in MARKERS):
        return None
    fields: Fields = {}
    operation = (get(OPERATION) or "").strip().lower()
    if operation:
        fields["operation"] = operation
        category = OPERATION_CATEGORY.get(operation)
        if category:
            fields["category"] = category
    provider = get(PROVIDER) or get(SYSTEM_DEPRECATED)
    if provider:
        fields["provider"] = provider_name(provider)
    for field, key in (
        ("request_model", REQUEST_MODEL),
        ("response_model", RESPONSE_MODEL),
        ("thread_id", CONVERSATION_ID),
        ("agent_name", AGENT_NAME),
        ("agent_id", AGENT_ID),
        ("tool_name", TOOL_NAME),
        ("tool_call_id", TOOL_CALL_ID),
        ("error_type", ERROR_TYPE),
    ):
        value = get(key)
        if value:
            fields[field] = value
    for field, keys in (
        ("input_tokens", (INPUT_TOKENS, PROMPT_TOKENS_DEPRECATED)),
        ("output_tokens", (OUTPUT_TOKENS, COMPLETION_TOKENS_DEPRECATED)),
        ("total_tokens", (TOTAL_TOKENS,)),
        ("cache_read_tokens", (CACHE_READ_TOKENS,)),
        ("cache_write_tokens", (CACHE_WRITE_TOKENS,)),
        ("reasoning_tokens", (REASONING_TOKENS,)),
        ("max_tokens", (MAX_TOKENS,)),
    ):
        for key in keys:
            number = values.count(get(key))
            if number is not None:
                fields[field] = number
                break
    temperature = values.real(get(TEMPERATURE))
    if temperature is not None and temperature >= 0:
        fields["temperature"] = temperature
    reasons = values.string_list(get(FINISH_REASONS))
    if reasons:
        fields["finish_reasons"] = reasons
    return fields
