"""Prompt and completion text leaves the span row for `message_content`, stored once per
tenant by a hash of its text (see schema/0024_message_content.sql for why).

Per AI span, with content capture on and `ContentPolicy.deduplicate`:
  * canonical input / output messages: each message is rendered as canonical JSON on its own,
    capped at `max_bytes` (a long message is cut like a long list, see truncate.py), hashed, and
    the span keeps the hashes in order. Capping per message rather than per list keeps a long
    conversation's history whole: every message is stored once, however often it is re-sent.
  * raw content attributes (each convention's content keys, e.g. `gen_ai.input.messages`,
    `llm.input_messages.3.message.content`): values longer than `INLINE_MAX_BYTES` move out of
    SpanAttributes, uncut, and the span keeps key -> reference in ContentAttributes (a JSON array
    value is stored element by element, so re-sent history dedups here too); their types stay in
    SpanAttributeTypes. Short values (roles, ids) stay inline, where they cost less than a hash.

Hashes are the first 128 bits of BLAKE2b over the UTF-8 text: collisions are not a practical
concern at any volume, and every process computes the same hash for the same text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from spanhouse.normalise import json_values
from spanhouse.normalise.truncate import fit

INLINE_MAX_BYTES = 128
# First element of an attribute reference that stands for a JSON array of the following hashes
# (no BLAKE2b digest is 0 or 1 in practice).
JSON_ARRAY = 0
# First element of a reference to the text of the one text part of the message whose hash
# follows: a plain-text attribute that became that message is not stored a second time.
MESSAGE_TEXT = 1


def content_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest(), "big")


def store_messages(messages: str | list[Any], max_bytes: int, blobs: dict[int, str],
                   sent: dict[str, list[int]] | None = None) -> list[int]:
    """Hashes of `messages` (a list, or its canonical JSON text), each message added to `blobs`.

    `sent`, when given, learns the references (see `move_attributes`) of what was stored whole:
    the JSON text `messages` -> its elements, and the text of a one-text-part message -> that
    message. A content attribute holding either is then not parsed, serialised, hashed and stored
    a second time.
    """
    # text from messages.parse_rendered, which read it within json_values.MAX_DEPTH
    found = orjson.loads(messages) if isinstance(messages, str) else messages
    hashes: list[int] = []
    whole = True
    for message in found:
        text = orjson.dumps(message, default=str).decode()
        cut = len(text) > max_bytes // 4 and len(text.encode("utf-8", "surrogatepass")) > max_bytes
        if cut:
            text = fit([message], max_bytes)[1:-1]  # a one-message list: its element
            whole = False
            if not text:
                continue
        key = content_hash(text)
        blobs[key] = text
        hashes.append(key)
        if sent is not None and not cut:
            parts = message.get("parts")
            if type(parts) is list and len(parts) == 1 and type(parts[0]) is dict:
                content = parts[0].get("content")
                # only what move_attributes could move (see INLINE_MAX_BYTES)
                if type(content) is str and len(content) > INLINE_MAX_BYTES // 4 and parts[0].get("type") == "text":
                    sent[content] = [MESSAGE_TEXT, key]
    if sent is not None and whole and isinstance(messages, str):
        sent[messages] = [JSON_ARRAY, *hashes]
    return hashes


def move_attributes(attrs: dict[str, str], keys: Iterable[str], blobs: dict[int, str],
                    sent: dict[str, list[int]] | None = None) -> dict[str, list[int]]:
    """Move the long values of `keys` out of `attrs` into `blobs`; return key -> reference of what moved.

    A value holding a JSON array (the usual form of a message list, e.g. `gen_ai.input.messages`)
    is stored element by element, so the history a conversation re-sends is stored once; its
    reference is `JSON_ARRAY` followed by the elements' hashes, and it reads back as the same
    JSON with whitespace normalised. Any other value is stored whole: a reference of one hash.
    `sent` (from `store_messages`) holds the element hashes of values already stored as messages.
    """
    moved: dict[str, list[int]] = {}
    for key in keys:
        value = attrs.get(key)
        if value is None or len(value) <= INLINE_MAX_BYTES // 4 or \
                len(value.encode("utf-8", "surrogatepass")) <= INLINE_MAX_BYTES:
            continue
        known = sent.get(value) if sent else None
        if known is not None:
            moved[key] = known
        else:
            moved[key] = _array_reference(value, blobs) or [_store(value, blobs)]
        del attrs[key]
    return moved


def referenced_hashes(reference: list[int]) -> list[int]:
    """The message_content hashes a `move_attributes` reference needs (its marker left out)."""
    if reference and reference[0] in (JSON_ARRAY, MESSAGE_TEXT):
        return reference[1:]
    return reference


def inflate_attribute(reference: list[int], texts: dict[int, str]) -> str | None:
    """The attribute value a `move_attributes` reference stands for; None when some text is gone."""
    if reference and reference[0] == JSON_ARRAY:
        elements = [texts.get(key) for key in reference[1:]]
        return None if None in elements else "[" + ",".join(elements) + "]"  # type: ignore[arg-type]
    if len(reference) == 2 and reference[0] == MESSAGE_TEXT:
        return _message_text(texts.get(reference[1]))
    return texts.get(reference[0]) if len(reference) == 1 else None


def _message_text(message: str | None) -> str | None:
    try:
        content = orjson.loads(message or "")["parts"][0]["content"]
    except (orjson.JSONDecodeError, LookupError, TypeError):
        return None
    return content if isinstance(content, str) else None


def _array_reference(value: str, blobs: dict[int, str]) -> list[int] | None:
    if value[0] != "[" and not (value[0].isspace() and value.lstrip().startswith("[")):
        return None
    try:
        elements = json_values.loads(value)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(elements, list):
        return None
    return [JSON_ARRAY, *(_store(orjson.dumps(element).decode(), blobs) for element in elements)]


def _store(text: str, blobs: dict[int, str]) -> int:
    key = content_hash(text)
    blobs[key] = text
    return key
