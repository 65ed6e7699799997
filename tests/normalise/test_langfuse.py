"""Langfuse SDK attributes -> canonical fields.

Fixtures follow langfuse/langfuse `packages/shared/src/server/otel/attributes.ts` and
`ObservationTypeMapper.ts` (reference §5a, §5b); values as the Python SDK writes them.
"""

from __future__ import annotations

from spanhouse.normalise.conventions import langfuse, view
from spanhouse.normalise.spans import merge


def test_a_generation_with_usage_cost_and_parameters():
    """attributes.ts: usage_details / cost_details / model.parameters are JSON objects."""
    assert langfuse.extract(view({
        "langfuse.observation.type": "generation", "langfuse.observation.model.name": "gpt-4o",
        "langfuse.observation.usage_details": '{"input": 31, "output": 9, "total": 40, "cache_read_input_tokens": 8}',
        "langfuse.observation.cost_details": '{"input": 0.0001, "output": 0.0002, "total": 0.0003}',
        "langfuse.observation.model.parameters": '{"temperature": 1, "max_tokens": "Infinity"}',
        "session.id": "s-1", "user.id": "u-1",
    }, content=False)) == {
        "category": "LLM", "request_model": "gpt-4o", "input_tokens": 31, "output_tokens": 9, "total_tokens": 40,
        "cache_read_tokens": 8, "input_cost": 0.0001, "output_cost": 0.0002, "total_cost": 0.0003,
        "cost_source": "span:langfuse.observation.cost_details", "temperature": 1.0, "thread_id": "s-1",
        "user_id": "u-1",
    }


def test_observation_types_map_to_categories():
    categories = {kind: langfuse.extract(view({"langfuse.observation.type": kind})).get("category") for kind in (
        "generation", "embedding", "agent", "tool", "chain", "retriever", "guardrail", "evaluator", "event", "span")}
    assert categories == {"generation": "LLM", "embedding": "EMBEDDING", "agent": "AGENT", "tool": "TOOL",
                          "chain": "CHAIN", "retriever": "RETRIEVAL", "guardrail": "GUARDRAIL",
                          "evaluator": "EVALUATOR", "event": None, "span": None}


def test_langfuse_observation_type_beats_every_other_kind():
    """§8 step 1."""
    fields, matched = merge(view({"langfuse.observation.type": "agent", "gen_ai.operation.name": "chat",
                                  "openinference.span.kind": "LLM"}, name="planner"))
    assert (fields["category"], fields["agent_name"], matched) == ("AGENT", "planner",
                                                                   ["langfuse", "openinference", "otel_genai"])


def test_double_encoded_metadata_ids_are_decoded():
    """§9.2: Langfuse metadata values may be JSON-encoded twice."""
    assert langfuse.extract(view({"langfuse.observation.type": "span",
                                  "langfuse.trace.metadata.langfuse_session_id": '"conv-7"',
                                  "langfuse.trace.metadata.langfuse_user_id": '"alice"'})) == {
        "thread_id": "conv-7", "user_id": "alice"}


def test_error_level_gives_the_error_message():
    assert langfuse.extract(view({"langfuse.observation.type": "generation", "langfuse.observation.level": "ERROR",
                                  "langfuse.observation.status_message": "quota exceeded"})) == {
        "category": "LLM", "error_message": "quota exceeded"}


def test_input_and_output_become_messages_or_tool_io():
    fields = langfuse.extract(view({"langfuse.observation.type": "generation",
                                    "langfuse.observation.input": '[{"role": "user", "content": "Hi"}]',
                                    "langfuse.observation.output": '{"role": "assistant", "content": "Hello"}'}))
    assert (fields["input_messages"], fields["output_messages"]) == (
        [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}],
        [{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}]}])
    assert langfuse.extract(view({"langfuse.observation.type": "tool", "langfuse.observation.input": '{"q": 1}',
                                  "langfuse.observation.output": "42"}, name="calc")) == {
        "category": "TOOL", "tool_name": "calc", "tool_arguments": '{"q": 1}', "tool_result": "42"}


START_NS = 1_763_800_000_000_000_000  # 2025-11-22T08:26:40Z


def test_completion_start_time_gives_the_time_to_first_token_however_it_is_encoded():
    """The Python SDK JSON-encodes the ISO time (`_serialize`); Langfuse's server JSON.parses it."""
    for encoded in ('"2025-11-22T08:26:40.250000+00:00"', '"\\"2025-11-22T08:26:40.250Z\\""',
                    "2025-11-22T08:26:40.250Z", "2025-11-22T08:26:40.25"):
        fields = langfuse.extract(view({"langfuse.observation.type": "generation",
                                        "langfuse.observation.completion_start_time": encoded}, start_ns=START_NS))
        assert fields["time_to_first_token_ms"] == 250.0, encoded


def test_an_unreadable_or_earlier_completion_start_time_gives_no_time_to_first_token():
    for encoded in ("soon", '"2025-11-22T08:26:39Z"', "[]", ""):
        fields = langfuse.extract(view({"langfuse.observation.type": "generation",
                                        "langfuse.observation.completion_start_time": encoded}, start_ns=START_NS))
        assert "time_to_first_token_ms" not in fields, encoded


def test_trace_name_and_tags_fill_workflow_name_and_tags_and_metadata_stays_in_the_attributes():
    attrs = {"langfuse.trace.name": "support-bot", "langfuse.trace.tags": '["prod","vip","prod"]',
             "langfuse.trace.metadata.tenant": '"acme"', "langfuse.observation.type": "span"}
    assert langfuse.extract(view(attrs)) == {"workflow_name": "support-bot", "tags": ("prod", "vip")}


def test_tags_may_come_from_older_keys_comma_joined_or_json_encoded_in_metadata():
    assert langfuse.extract(view({"langfuse.observation.type": "span", "langfuse.tags": "a, b"}))["tags"] == ("a", "b")
    assert langfuse.extract(view({"langfuse.observation.type": "span",
                                  "langfuse.trace.metadata.langfuse_tags": '"[\\"x\\"]"'}))["tags"] == ("x",)
