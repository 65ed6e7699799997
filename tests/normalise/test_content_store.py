"""Content leaves the span row by hash: one row per distinct message, capped per message; long
raw content attributes move out uncut, short ones stay."""

from __future__ import annotations

import orjson

from spanhouse.normalise.content import ContentPolicy
from spanhouse.normalise.content_store import (
    INLINE_MAX_BYTES,
    JSON_ARRAY,
    MESSAGE_TEXT,
    content_hash,
    inflate_attribute,
    move_attributes,
    referenced_hashes,
    store_messages,
)
from tests.factories import llm_span
from tests.normalise.test_spans import normalised


def message(role: str, text: str) -> dict:
    return {"role": role, "parts": [{"type": "text", "content": text}]}


def test_each_message_is_stored_once_under_the_hash_of_its_text():
    blobs: dict[int, str] = {}
    history = [message("user", "hi"), message("assistant", "hello"), message("user", "hi")]
    hashes = store_messages(history, 16_384, blobs)

    assert hashes[0] == hashes[2] != hashes[1]
    assert {key: orjson.loads(text) for key, text in blobs.items()} == {
        hashes[0]: message("user", "hi"), hashes[1]: message("assistant", "hello")}
    assert hashes[1] == content_hash(blobs[hashes[1]])


def test_a_long_message_is_capped_on_its_own_and_its_neighbours_stay_whole():
    blobs: dict[int, str] = {}
    hashes = store_messages(orjson.dumps([message("user", "x" * 5000), message("assistant", "short")]).decode(),
                            1024, blobs)
    long, short = (orjson.loads(blobs[key]) for key in hashes)
    assert len(blobs[hashes[0]].encode()) <= 1024 and long["parts"][0]["truncated"] is True
    assert short == message("assistant", "short")


def test_only_long_content_attribute_values_move_out_and_uncut():
    attrs = {"input.value": "m" * 20_000, "llm.input_messages.0.message.role": "user", "other": "x" * 500}
    blobs: dict[int, str] = {}
    moved = move_attributes(attrs, ["input.value", "llm.input_messages.0.message.role"], blobs)

    assert attrs == {"llm.input_messages.0.message.role": "user", "other": "x" * 500}
    assert moved == {"input.value": [content_hash("m" * 20_000)]}
    assert blobs == {content_hash("m" * 20_000): "m" * 20_000}
    assert len("user") <= INLINE_MAX_BYTES
    assert inflate_attribute(moved["input.value"], blobs) == "m" * 20_000


def test_a_json_array_attribute_is_stored_element_by_element_so_history_dedups():
    blobs: dict[int, str] = {}
    turn_1 = [message("user", "first question " * 10)]
    turn_2 = [*turn_1, message("assistant", "first answer " * 10), message("user", "second question")]
    refs = [move_attributes({"gen_ai.input.messages": orjson.dumps(sent, option=orjson.OPT_INDENT_2).decode()},
                            ["gen_ai.input.messages"], blobs)["gen_ai.input.messages"] for sent in (turn_1, turn_2)]

    assert refs[0][0] == refs[1][0] == JSON_ARRAY and refs[0][1] == refs[1][1]
    assert len(blobs) == 3  # three distinct messages, not four
    assert [orjson.loads(inflate_attribute(ref, blobs)) for ref in refs] == [turn_1, turn_2]
    assert inflate_attribute(refs[1], {}) is None


def test_a_normalised_span_holds_hashes_in_order_and_the_batch_holds_the_text():
    sent = [message("system", "be brief"), message("user", "what is 2+2?")]
    span = llm_span(attributes={"gen_ai.input.messages": orjson.dumps(sent).decode(),
                                "gen_ai.output.messages": orjson.dumps([message("assistant", "4")]).decode()})
    batch = normalised(span, policy=ContentPolicy(deduplicate=True))

    columns = batch.columns
    assert (columns["InputMessages"][0], columns["OutputMessages"][0]) == ("", "")
    assert [orjson.loads(batch.content[key]) for key in columns["InputMessageHashes"][0]] == sent
    outputs = [orjson.loads(batch.content[key]) for key in columns["OutputMessageHashes"][0]]
    assert outputs == [message("assistant", "4")]
    moved = columns["ContentAttributes"][0]
    assert set(moved) == {"gen_ai.input.messages"}  # the output attribute is short: it stays
    assert "gen_ai.input.messages" not in columns["SpanAttributes"][0]
    assert orjson.loads(inflate_attribute(moved["gen_ai.input.messages"], batch.content)) == sent


def test_an_attribute_the_messages_came_from_references_their_hashes_and_is_not_stored_again():
    sent = [message("system", "be brief " * 20), message("user", "what is 2+2? " * 20)]
    plain = "the answer is four " * 20
    span = llm_span(attributes={"gen_ai.input.messages": orjson.dumps(sent).decode(),
                                "gen_ai.output.messages": plain})
    batch = normalised(span, policy=ContentPolicy(deduplicate=True))

    columns = batch.columns
    inputs, outputs = columns["InputMessageHashes"][0], columns["OutputMessageHashes"][0]
    assert columns["ContentAttributes"][0] == {"gen_ai.input.messages": [JSON_ARRAY, *inputs],
                                               "gen_ai.output.messages": [MESSAGE_TEXT, *outputs]}
    assert len(batch.content) == 3  # the three messages, and no copy of either attribute
    assert orjson.loads(inflate_attribute([JSON_ARRAY, *inputs], batch.content)) == sent
    assert inflate_attribute([MESSAGE_TEXT, *outputs], batch.content) == plain
    assert inflate_attribute([MESSAGE_TEXT, *outputs], {}) is None
    # what the timeline fetches for these references: the message hashes, never a marker
    assert referenced_hashes([JSON_ARRAY, *inputs]) == inputs
    assert referenced_hashes([MESSAGE_TEXT, *outputs]) == outputs
    assert referenced_hashes([content_hash(plain)]) == [content_hash(plain)]


def test_an_attribute_whose_message_had_to_be_cut_is_stored_uncut_on_its_own():
    plain = "y" * 5000
    span = llm_span(attributes={"gen_ai.input.messages": plain})
    batch = normalised(span, policy=ContentPolicy(deduplicate=True, max_bytes=1024))

    assert batch.columns["ContentAttributes"][0] == {"gen_ai.input.messages": [content_hash(plain)]}
    assert inflate_attribute(batch.columns["ContentAttributes"][0]["gen_ai.input.messages"], batch.content) == plain


def test_a_json_array_nested_too_deep_to_read_is_stored_whole():
    value = "[" * 300 + '"a"' + "]" * 300
    blobs: dict[int, str] = {}
    moved = move_attributes({"gen_ai.prompt": value}, ["gen_ai.prompt"], blobs)
    assert moved == {"gen_ai.prompt": [content_hash(value)]}
    assert inflate_attribute(moved["gen_ai.prompt"], blobs) == value
