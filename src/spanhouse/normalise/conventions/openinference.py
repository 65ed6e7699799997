"""OpenInference (Arize): `openinference.span.kind`, `llm.*`, flattened message and document lists.

Sources: Arize-ai/openinference `spec/semantic_conventions.md`, `spec/llm_spans.md` and
`python/openinference-semantic-conventions/.../semconv/trace/__init__.py` (reference §2, §10).
`llm.model_name` is the response model for the OpenAI instrumentor but the configured model for
LlamaIndex (§9.12), so it fills response_model, and request_model only as a last resort after
`llm.request.model_name` and `llm.invocation_parameters.model` (§10). Content is flattened:
`llm.input_messages.N.message.*` with `...tool_calls.M.tool_call.*` and
`...contents.K.message_content.*`, indices sorted numerically (§9.4). LlamaIndex nests an LLM
span in an LLM span for one call (§9.7): that needs the trace and is left to trace-level code.
"""

from __future__ import annotations

from collections.abc import Mapping

from spanhouse.normalise import messages, providers, values
from spanhouse.normalise.fields import Fields
from spanhouse.normalise.table import Row, SpanView, Table

NAME = "openinference"

SPAN_KIND = "openinference.span.kind"
MODEL_NAME = "llm.model_name"
REQUEST_MODEL = "llm.request.model_name"
RESPONSE_MODEL = "llm.response.model_name"
EMBEDDING_MODEL = "embedding.model_name"
RERANKER_MODEL = "reranker.model_name"
PROVIDER = "llm.provider"
SYSTEM = "llm.system"
PROMPT_TOKENS = "llm.token_count.prompt"
COMPLETION_TOKENS = "llm.token_count.completion"
TOTAL_TOKENS = "llm.token_count.total"
CACHE_READ_TOKENS = "llm.token_count.prompt_details.cache_read"
CACHE_WRITE_TOKENS = "llm.token_count.prompt_details.cache_write"
REASONING_TOKENS = "llm.token_count.completion_details.reasoning"
PROMPT_COST = "llm.cost.prompt"
COMPLETION_COST = "llm.cost.completion"
TOTAL_COST = "llm.cost.total"
SESSION_ID = "session.id"
USER_ID = "user.id"
AGENT_NAME = "agent.name"
TOOL_NAME = "tool.name"
TOOL_ID = "tool.id"
FINISH_REASON = "llm.finish_reason"
INVOCATION_PARAMETERS = "llm.invocation_parameters"
EMBEDDING_INVOCATION_PARAMETERS = "embedding.invocation_parameters"
METADATA = "metadata"
INPUT_VALUE = "input.value"
OUTPUT_VALUE = "output.value"
RERANKER_QUERY = "reranker.query"
INPUT_MESSAGES = "llm.input_messages."
OUTPUT_MESSAGES = "llm.output_messages."
PROMPTS = "llm.prompts."
CHOICES = "llm.choices."
DOCUMENTS = "retrieval.documents."
RERANKED = "reranker.output_documents."

KIND_CATEGORY = {"LLM": "LLM", "EMBEDDING": "EMBEDDING", "CHAIN": "CHAIN", "RETRIEVER": "RETRIEVAL",
                 "RERANKER": "RERANKER", "TOOL": "TOOL", "AGENT": "AGENT", "GUARDRAIL": "GUARDRAIL",
                 "EVALUATOR": "EVALUATOR", "PROMPT": "PROMPT"}
CATEGORY_OPERATION = {"EMBEDDING": "embeddings", "TOOL": "execute_tool", "AGENT": "invoke_agent",
                      "RETRIEVAL": "retrieval"}

TABLE = Table((
    Row(SPAN_KIND, "category", None, "LLM, EMBEDDING, CHAIN, RETRIEVER->RETRIEVAL, RERANKER, TOOL, AGENT, "
        "GUARDRAIL, EVALUATOR, PROMPT; UNKNOWN gives none"),
    Row(REQUEST_MODEL, "request_model", values.text),
    Row(INVOCATION_PARAMETERS, "request_model", None, "JSON; key `model` (also temperature, max_tokens, stream)"),
    Row(EMBEDDING_INVOCATION_PARAMETERS, "request_model", None, "JSON; key `model`"),
    Row(EMBEDDING_MODEL, "request_model", values.text),
    Row(RERANKER_MODEL, "request_model", values.text),
    Row(RESPONSE_MODEL, "response_model", values.text),
    Row(MODEL_NAME, "response_model", values.text, "response model (OpenAI); configured model (LlamaIndex)"),
    Row(EMBEDDING_MODEL, "response_model", values.text, "the response's model (OpenAI); configured (LlamaIndex)"),
    Row(MODEL_NAME, "request_model", values.text, "last resort"),
    Row(PROVIDER, "provider", providers.provider, "hosting provider: azure -> azure.ai.openai, google, aws"),
    Row(SYSTEM, "provider", providers.provider, "AI product: mistralai -> mistral_ai, xai -> x_ai"),
    Row(PROMPT_TOKENS, "input_tokens", values.count),
    Row(COMPLETION_TOKENS, "output_tokens", values.count),
    Row(TOTAL_TOKENS, "total_tokens", values.count),
    Row(CACHE_READ_TOKENS, "cache_read_tokens", values.count),
    Row(CACHE_WRITE_TOKENS, "cache_write_tokens", values.count),
    Row(REASONING_TOKENS, "reasoning_tokens", values.count),
    Row(PROMPT_COST, "input_cost", values.amount, "USD"),
    Row(COMPLETION_COST, "output_cost", values.amount, "USD"),
    Row(TOTAL_COST, "total_cost", values.amount, "USD; cost_source = span:llm.cost.total"),
    Row(SESSION_ID, "thread_id", values.text, marker=False),
    Row(USER_ID, "user_id", values.text, marker=False),
    Row(AGENT_NAME, "agent_name", values.text, "else the span name on AGENT spans", marker=False),
    Row(TOOL_NAME, "tool_name", values.text, "else the span name on TOOL spans", marker=False),
    Row(TOOL_ID, "tool_call_id", values.text, marker=False),
    Row("tag.tags", "tags", values.tags, "list of strings", marker=False),
    Row(FINISH_REASON, "finish_reasons", None, "single string"),
    Row(METADATA, "thread_id", None, "JSON; session_id / thread_id / conversation_id, user_id, lc_agent_name, "
        "ls_provider fill thread_id, user_id, agent_name, provider when still empty", marker=False),
    Row(INPUT_VALUE, "input_messages", None, "RETRIEVER: retrieval_query (LlamaIndex JSON: its query_str); "
        "TOOL: tool_arguments; LLM/AGENT without llm.input_messages: one user message", marker=False),
    Row(OUTPUT_VALUE, "output_messages", None, "TOOL: tool_result, and tool_call_id from a LangChain ToolMessage; "
        "LLM/AGENT without llm.output_messages: one assistant message", marker=False),
    Row(RERANKER_QUERY, "retrieval_query", values.text),
    Row("llm.input_messages.{N}.message.*", "input_messages", None, "role, content, contents.K.message_content.*, "
        "tool_calls.M.tool_call.{id,function.name,function.arguments}, tool_call_id"),
    Row("llm.output_messages.{N}.message.*", "output_messages", None, "same layout"),
    Row("llm.prompts.{N}.prompt.*", "input_messages", None, "completions API: prompt.text"),
    Row("llm.choices.{N}.completion.*", "output_messages", None, "completions API: completion.text"),
    Row("retrieval.documents.{N}.document.*", "document_count", None, "number of distinct N", content=True),
    Row("reranker.output_documents.{N}.document.*", "document_count", None, "number of distinct N",
        content=True),
    Row("reranker.input_documents.{N}.document.*", "", None, "", content=True),
    Row("embedding.embeddings.{N}.embedding.*", "", None, "embedded text", content=True),
    Row("llm.prompt_template.*", "", None, "template and variables", content=True),
))


def extract(span: SpanView) -> Fields | None:
    """Canonical fields from OpenInference attributes, or None when the span has none."""
    if TABLE.markers.isdisjoint(span.keys):
        return None
    attrs = span.attrs
    keys = span.keys
    fields = TABLE.read(span)
    if "total_cost" in fields or "input_cost" in fields or "output_cost" in fields:
        fields["cost_source"] = "span:" + (TOTAL_COST if "total_cost" in fields else "llm.cost.*")
    category = KIND_CATEGORY.get((attrs.get(SPAN_KIND) or "").strip().upper())
    if category:
        fields["category"] = category
        operation = CATEGORY_OPERATION.get(category)
        if category == "LLM":
            operation = "text_completion" if any(key.startswith(PROMPTS) for key in attrs) else "chat"
        if operation:
            fields["operation"] = operation
        # the span name is the agent's or tool's name, unless an attribute says otherwise
        if category == "AGENT" and "agent_name" not in fields and span.name and not attrs.get("gen_ai.agent.name"):
            fields["agent_name"] = span.name
        if category == "TOOL" and "tool_name" not in fields and span.name and not attrs.get("gen_ai.tool.name"):
            fields["tool_name"] = span.name
    if FINISH_REASON in keys and attrs[FINISH_REASON]:
        fields["finish_reasons"] = (messages.finish_reason(attrs[FINISH_REASON]),)
    if INVOCATION_PARAMETERS in keys:
        _invocation_parameters(values.mapping(attrs[INVOCATION_PARAMETERS]), attrs, fields)
    elif EMBEDDING_INVOCATION_PARAMETERS in keys:
        _invocation_parameters(values.mapping(attrs[EMBEDDING_INVOCATION_PARAMETERS]), attrs, fields)
    if METADATA in keys:
        _metadata(values.mapping(attrs[METADATA]), fields)
    if category == "RETRIEVAL":
        count = messages.indexed_count(attrs, DOCUMENTS)
        if count:
            fields["document_count"] = count
    elif category == "RERANKER":
        count = messages.indexed_count(attrs, RERANKED)
        if count:
            fields["document_count"] = count
    if category == "TOOL" and "tool_call_id" not in fields:
        call_id = _tool_message_call_id(attrs.get(OUTPUT_VALUE))
        if call_id:
            fields["tool_call_id"] = call_id
    if span.content:
        _content(attrs, category, fields)
    return fields


def _tool_message_call_id(output: str | None) -> str | None:
    """The tool call id in a LangChain ToolMessage a TOOL span returned (its `output.value`), if it is one.

    LangChain's tool run gets the model's ToolCall and answers with a ToolMessage naming it; the
    OpenInference instrumentor dumps it as `{"type": "tool", "data": {..., "tool_call_id"}}` (or in
    the `lc` constructor form with `kwargs`), and sets no `tool.id`.
    """
    if not output or not output.startswith("{") or '"tool_call_id"' not in output:
        return None
    message = values.loads(output)
    if not isinstance(message, dict):
        return None
    for key in ("data", "kwargs"):
        inner = message.get(key)
        if isinstance(inner, dict):
            message = inner
            break
    call_id = message.get("tool_call_id")
    return call_id if isinstance(call_id, str) and call_id else None


def _invocation_parameters(params: Mapping[str, object], attrs: Mapping[str, str], fields: Fields) -> None:
    model = params.get("model")
    if isinstance(model, str) and model and not values.text(attrs.get(REQUEST_MODEL)):
        fields["request_model"] = model  # beats embedding/reranker/llm.model_name (reference §10)
    values.numbers_from(params, (("temperature", ("temperature",)),), values.amount, fields)
    values.numbers_from(params, (("max_tokens", ("max_tokens", "max_completion_tokens")),), values.count, fields)
    stream = params.get("stream")
    if "streaming" not in fields and isinstance(stream, bool):
        fields["streaming"] = stream


def _metadata(metadata: Mapping[str, object], fields: Fields) -> None:
    for field, key in (("thread_id", "session_id"), ("thread_id", "thread_id"), ("thread_id", "conversation_id"),
                       ("user_id", "user_id"), ("agent_name", "lc_agent_name")):
        value = metadata.get(key)
        if field not in fields and isinstance(value, str) and value:
            fields[field] = value
    provider = metadata.get("ls_provider")
    if "provider" not in fields and isinstance(provider, str):
        name = providers.provider(provider)
        if name:
            fields["provider"] = name


def _content(attrs: Mapping[str, str], category: str | None, fields: Fields) -> None:
    inputs = [_message(group) for group in messages.group_indexed(attrs, INPUT_MESSAGES)]
    inputs += [messages.text_message("user", group.get("prompt.text", ""))
               for group in messages.group_indexed(attrs, PROMPTS)]
    outputs = [_message(group) for group in messages.group_indexed(attrs, OUTPUT_MESSAGES)]
    outputs += [messages.text_message("assistant", group.get("completion.text", ""))
                for group in messages.group_indexed(attrs, CHOICES)]
    input_value = attrs.get(INPUT_VALUE)
    output_value = attrs.get(OUTPUT_VALUE)
    if category == "RETRIEVAL" and input_value:
        fields.setdefault("retrieval_query", _query_text(input_value))
    elif category == "TOOL":
        if input_value:
            fields["tool_arguments"] = input_value
        if output_value:
            fields["tool_result"] = output_value
    elif category in ("LLM", "AGENT", None):
        if not inputs and input_value:
            inputs = _value_messages(input_value, "user")
        if not outputs and output_value:
            outputs = _value_messages(output_value, "assistant")
    inputs = [message for message in inputs if message["parts"]]
    outputs = [message for message in outputs if message["parts"]]
    if inputs:
        fields["input_messages"] = inputs
    if outputs:
        fields["output_messages"] = outputs


def _query_text(value: str) -> str:
    """A retriever's `input.value`: the query string, also out of LlamaIndex's JSON kwargs
    (`{"query_bundle": {"query_str": ...}}` on `_retrieve` spans) or `{"query": ...}`."""
    if not value.startswith("{"):
        return value
    kwargs = values.mapping(value)
    bundle = kwargs.get("query_bundle")
    for found in ((bundle or {}).get("query_str") if isinstance(bundle, dict) else None, kwargs.get("query_str"),
                  kwargs.get("query")):
        if isinstance(found, str) and found:
            return found
    return value


def _value_messages(value: str, role: str) -> list[messages.Message]:
    """`input.value` / `output.value`: messages when the JSON holds some, else the value as one text message."""
    return messages.coerce(values.json_or_text(value), role) or [messages.text_message(role, value)]


def _message(group: Mapping[str, str]) -> messages.Message:
    role = group.get("message.role") or "user"
    parts: list[dict[str, object]] = []
    content = group.get("message.content")
    call_id = group.get("message.tool_call_id")
    if role == "tool":
        parts.append(messages.tool_response(call_id, content if content is not None else ""))
    elif content:
        parts.append({"type": "text", "content": content})
    contents = messages.group_indexed(group, "message.contents.")
    for item in contents:
        if item.get("message_content.type", "text") == "text" and "message_content.text" in item:
            parts.append({"type": "text", "content": item["message_content.text"]})
        elif "message_content.image.image.url" in item:
            parts.append({"type": "uri", "modality": "image", "uri": item["message_content.image.image.url"]})
    for call in messages.group_indexed(group, "message.tool_calls."):
        parts.append(messages.tool_call(call.get("tool_call.id"), call.get("tool_call.function.name"),
                                        call.get("tool_call.function.arguments")))
    message: messages.Message = {"role": role, "parts": parts}
    name = group.get("message.name")
    if name and role != "tool":
        message["name"] = name
    return message
