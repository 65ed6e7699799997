"""The content policy for OTLP log records: GenAI content events are redacted (or emptied) before storage.

GenAI instrumentations send prompts and completions as log records (`events.CONTENT_EVENTS`,
named by `event_name` or, in older SDKs, the `event.name` attribute); the policy that guards
span content must guard them too, or a redacted prompt would still sit in `otel_logs`. Other
log records are the application's own logs and are stored as sent.
"""

from __future__ import annotations

from spanhouse.decode.traces import SpanBatch
from spanhouse.normalise.content import ContentPolicy
from spanhouse.normalise.events import CONTENT_EVENTS, NON_CONTENT_KEYS


def apply_content_policy(batch: SpanBatch, policy: ContentPolicy) -> SpanBatch:
    """Redact (capture on) or remove (capture off) the content of GenAI events in an `otel_logs` batch."""
    columns = batch.columns
    names, bodies, body_types = columns["EventName"], columns["Body"], columns["BodyType"]
    attributes, types = columns["LogAttributes"], columns["LogAttributeTypes"]
    for index, name in enumerate(names):
        if name not in CONTENT_EVENTS and attributes[index].get("event.name") not in CONTENT_EVENTS:
            continue
        attrs = attributes[index]
        if not policy.capture:
            bodies[index], body_types[index] = "", ""
            for key in [key for key in attrs if key not in NON_CONTENT_KEYS]:
                del attrs[key]
                types[index].pop(key, None)
            continue
        bodies[index] = policy.redact_value(bodies[index])
        for key, value in attrs.items():
            if key not in NON_CONTENT_KEYS:
                attrs[key] = policy.redact_value(value)
    return batch
