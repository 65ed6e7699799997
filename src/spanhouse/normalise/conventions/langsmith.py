"""LangSmith's OTel export (`langsmith.*`, plus lossy `gen_ai.*`).

Source: langsmith 0.15 `langsmith/_internal/otel/_otel_exporter.py` (reference §6b). The exporter
writes `gen_ai.operation.name` from the run type through a lossy map (retriever -> embeddings,
prompt -> chat), so `langsmith.span.kind` decides the category and operation (§8 step 3, §9.9);
this module sits before genai.py in the registry. `gen_ai.prompt` / `gen_ai.completion` hold
the run's whole inputs / outputs as JSON (LangChain message dicts on llm runs).
`langsmith.trace.session_id` names the LangSmith project, not a conversation (§7), so it is not
a thread id; thread ids come from run metadata (`langsmith.metadata.session_id` / `thread_id` /
`conversation_id`). LangSmith copies `LANGSMITH_*` environment variables into
`langsmith.metadata.*` (§9.20): stored as sent; not read.
"""

from __future__ import annotations

from collections.abc import Mapping

from spanhouse.normalise import messages, providers, values
from spanhouse.normalise.fields import Fields
from spanhouse.normalise.table import Row, SpanView, Table

NAME = "langsmith"

SPAN_KIND = "langsmith.span.kind"
TRACE_NAME = "langsmith.trace.name"
METADATA = "langsmith.metadata."
PROMPT = "gen_ai.prompt"
COMPLETION = "gen_ai.completion"

KIND = {"llm": ("LLM", "chat"), "chat_model": ("LLM", "chat"), "tool": ("TOOL", "execute_tool"),
        "retriever": ("RETRIEVAL", "retrieval"), "embedding": ("EMBEDDING", "embeddings"), "prompt": ("PROMPT", ""),
        "parser": ("CHAIN", ""), "chain": ("CHAIN", "")}

TABLE = Table((
    Row(SPAN_KIND, "category", None, "llm -> LLM, tool, retriever -> RETRIEVAL, embedding, prompt, "
        "parser/chain -> CHAIN; beats gen_ai.operation.name"),
    Row(TRACE_NAME, "tool_name", None, "run name; tool_name on tool runs"),
    Row("langsmith.trace.session_name", "", None, "LangSmith project name"),
    Row("langsmith.trace.session_id", "", None, "LangSmith project id, not a conversation"),
    Row(METADATA + "session_id", "thread_id", values.text, marker=False),
    Row(METADATA + "thread_id", "thread_id", values.text, marker=False),
    Row(METADATA + "conversation_id", "thread_id", values.text, marker=False),
    Row(METADATA + "user_id", "user_id", values.text, marker=False),
    Row(METADATA + "lc_agent_name", "agent_name", values.text, marker=False),
    Row(METADATA + "ls_provider", "provider", providers.provider, marker=False),
    Row(METADATA + "ls_model_name", "request_model", values.text, marker=False),
    Row(METADATA + "ls_temperature", "temperature", values.amount, marker=False),
    Row(METADATA + "ls_max_tokens", "max_tokens", values.count, marker=False),
    Row("langsmith.request.streaming", "streaming", values.flag),
    Row("langsmith.span.tags", "tags", values.tags, "comma-joined tags", marker=False),
    Row(PROMPT, "input_messages", None, "JSON run inputs; tool: tool_arguments; retriever: retrieval_query",
        marker=False),
    Row(COMPLETION, "output_messages", None, "JSON run outputs; tool: tool_result; retriever: document_count",
        marker=False),
))


def extract(span: SpanView) -> Fields | None:
    """Canonical fields from LangSmith attributes, or None when the span has none."""
    if TABLE.markers.isdisjoint(span.keys):
        return None
    attrs = span.attrs
    fields = TABLE.read(span)
    kind = KIND.get((attrs.get(SPAN_KIND) or "").strip().lower())
    category = kind[0] if kind else None
    if kind:
        fields["category"] = category
        if kind[1]:
            fields["operation"] = kind[1]
        if category == "TOOL" and not attrs.get("gen_ai.tool.name"):
            name = values.text(attrs.get(TRACE_NAME)) or span.name
            if name:
                fields["tool_name"] = name
    if category == "RETRIEVAL" and attrs.get(COMPLETION):
        documents = values.json_or_text(attrs[COMPLETION])
        if isinstance(documents, Mapping):
            documents = documents.get("documents")
        if isinstance(documents, list):
            fields["document_count"] = len(documents)
    if span.content:
        _content(attrs, category, fields)
    return fields


def _content(attrs: Mapping[str, str], category: str | None, fields: Fields) -> None:
    raw_prompt, raw_completion = attrs.get(PROMPT), attrs.get(COMPLETION)
    if category == "TOOL":
        if raw_prompt:
            fields["tool_arguments"] = raw_prompt
        if raw_completion:
            fields["tool_result"] = raw_completion
        return
    prompt = values.json_or_text(raw_prompt) if raw_prompt else None
    if category == "RETRIEVAL":
        query = prompt.get("query") if isinstance(prompt, Mapping) else prompt
        if isinstance(query, str) and query:
            fields["retrieval_query"] = query
        return
    if category != "LLM":
        return
    inputs = messages.coerce(prompt, "user") if prompt is not None else []
    completion = values.json_or_text(raw_completion) if raw_completion else None
    outputs = messages.coerce(completion, "assistant") if completion is not None else []
    if inputs:
        fields["input_messages"] = inputs
    if outputs:
        fields["output_messages"] = outputs
