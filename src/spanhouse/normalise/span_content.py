"""The content policy applied to one span: its raw attributes, its events, its canonical fields.

Called by `spans.normalise_batch` for AI spans only. `keys` are the span's exact content keys,
`prefixes` the content key families to look for (see content.py for what counts as content).
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from spanhouse.normalise.content import ContentPolicy, clip, render_messages
from spanhouse.normalise.content_store import store_messages
from spanhouse.normalise.events import CONTENT_EVENTS, NON_CONTENT_KEYS
from spanhouse.normalise.fields import MESSAGE_FIELDS, TEXT_CONTENT_FIELDS, Fields
from spanhouse.normalise.table import Event

HASH_FIELDS = {"input_messages": "input_message_hashes", "output_messages": "output_message_hashes"}


def redact_span(attrs: dict[str, str], keys: Sequence[str], prefixes: tuple[str, ...], events: Sequence[Event],
                policy: ContentPolicy) -> None:
    """Mask the content attributes and content event attributes in place.

    All of the span's content is screened in one pass first (`ContentPolicy.may_change`), so a
    span with nothing to mask costs one `bytes.translate` over its content.
    """
    if prefixes:
        keys = [*keys, *(key for key in attrs if key.startswith(prefixes))]
    if events:
        targets = [event for name, event in events if name in CONTENT_EVENTS]
        texts = list(map(attrs.__getitem__, keys))
        for event in targets:
            texts += event.values()
        text = "\x00".join(texts)
    else:
        targets = []
        text = attrs[keys[0]] if len(keys) == 1 else "\x00".join(map(attrs.__getitem__, keys))
    if not text or not policy.may_change(text):
        return
    for key in keys:
        value = attrs[key]
        masked = policy.redact_value(value)
        if masked is not value:
            attrs[key] = masked
    for event in targets:
        for key, value in event.items():
            masked = policy.redact_value(value)
            if masked is not value:
                event[key] = masked  # type: ignore[index]


def remove_content(attrs: dict[str, str], types: dict[str, str], keys: Sequence[str], prefixes: tuple[str, ...],
                   events: Sequence[Event]) -> None:
    """Capture off: drop the content attributes (and their types); content events keep non-content keys."""
    for key in [*keys, *(key for key in attrs if key.startswith(prefixes))]:
        if attrs.pop(key, None) is not None:
            types.pop(key, None)
    for name, event in events:
        if name in CONTENT_EVENTS:
            for key in [key for key in event if key not in NON_CONTENT_KEYS]:
                del event[key]  # type: ignore[attr-defined]


def render_fields(fields: Fields, max_bytes: int, blobs: dict[int, str] | None = None,
                  sent: dict[str, list[int]] | None = None) -> None:
    """Canonical content fields as stored: text fields clipped; message lists (or canonical JSON
    text) capped as a whole into the row, or, given `blobs`, message by message into `blobs`
    with the row keeping their hashes (content_store.py; `sent` as `store_messages` says)."""
    if blobs is not None:
        for field, hashes in HASH_FIELDS.items():
            found = fields.pop(field, None)
            if found:
                fields[hashes] = store_messages(found, max_bytes, blobs, sent)
    for field in MESSAGE_FIELDS:
        found = fields.get(field)
        if found is None:
            continue
        if isinstance(found, str):  # already canonical JSON (messages.parse_rendered)
            if len(found) * 4 > max_bytes and len(found.encode("utf-8", "surrogatepass")) > max_bytes:
                fields[field] = render_messages(orjson.loads(found), max_bytes)
        else:
            fields[field] = render_messages(found, max_bytes)
    for field in TEXT_CONTENT_FIELDS:
        found = fields.get(field)
        if found is not None:
            fields[field] = clip(found, max_bytes)
