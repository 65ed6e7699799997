"""GenAI content in log records is held to the same content policy as span content."""

from __future__ import annotations

from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from spanhouse.decode.logs import decode_logs
from spanhouse.normalise.content import ContentPolicy
from spanhouse.normalise.logs import apply_content_policy
from tests.decode.test_logs import RECEIVED_NS, logs_request
from tests.factories import BASE_NS, kv


def records():
    user = LogRecord(time_unix_nano=BASE_NS, event_name="gen_ai.user.message",
                     attributes=[kv("gen_ai.system", "openai")])
    user.body.CopyFrom(kv("_", {"content": "mail me at jane@example.com"}).value)
    details = LogRecord(time_unix_nano=BASE_NS, event_name="gen_ai.client.inference.operation.details", attributes=[
        kv("gen_ai.operation.name", "chat"),
        kv("gen_ai.input.messages", [{"role": "user", "content": "key sk-abcdefghijklmnopqrstuvwx"}])])
    app_log = LogRecord(time_unix_nano=BASE_NS)
    app_log.body.string_value = "user jane@example.com logged in"
    return decode_logs(logs_request(user, details, app_log), "t", RECEIVED_NS)


def test_genai_event_bodies_and_content_attributes_are_redacted_and_app_logs_are_not():
    batch = apply_content_policy(records(), ContentPolicy())
    assert "jane@example.com" not in batch.columns["Body"][0]
    assert "sk-abcdefghijklmnopqrstuvwx" not in batch.columns["LogAttributes"][1]["gen_ai.input.messages"]
    assert batch.columns["LogAttributes"][1]["gen_ai.operation.name"] == "chat"
    assert batch.columns["Body"][2] == "user jane@example.com logged in"


def test_a_genai_event_body_nested_too_deep_to_read_is_redacted_as_text():
    record = LogRecord(time_unix_nano=BASE_NS, event_name="gen_ai.user.message")
    record.body.string_value = "[" * 1000 + '"jane@example.com"' + "]" * 1000
    batch = apply_content_policy(decode_logs(logs_request(record), "t", RECEIVED_NS), ContentPolicy())
    assert batch.columns["Body"] == ["[" * 1000 + '"[REDACTED:email]"' + "]" * 1000]


def test_with_capture_off_genai_events_keep_only_their_non_content_fields():
    batch = apply_content_policy(records(), ContentPolicy(capture=False))
    assert (batch.columns["Body"][0], batch.columns["BodyType"][0]) == ("", "")
    assert batch.columns["LogAttributes"][0] == {"gen_ai.system": "openai"}
    assert batch.columns["LogAttributes"][1] == {"gen_ai.operation.name": "chat"}
    assert batch.columns["LogAttributeTypes"][1] == {}
