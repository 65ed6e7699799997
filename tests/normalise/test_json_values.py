"""JSON read from attribute values: nested at most MAX_DEPTH levels, deeper is refused like text that is not JSON."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spanhouse.normalise.json_values import MAX_DEPTH, loads, nested_deeper


def nested(levels: int, leaf: str = "1") -> str:
    return "[" * levels + leaf + "]" * levels


def test_json_nested_max_depth_levels_is_read():
    assert loads(nested(MAX_DEPTH)) == orjson.loads(nested(MAX_DEPTH))


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 255, 1024, 5000])
def test_deeper_json_is_refused_as_orjson_refuses_text_that_is_not_json(levels):
    with pytest.raises(orjson.JSONDecodeError, match=f"nested deeper than {MAX_DEPTH} levels|depth limit"):
        loads(nested(levels))


def test_objects_count_as_levels_as_arrays_do():
    value = '{"a":' * (MAX_DEPTH // 2) + nested(MAX_DEPTH // 2 + 1) + "}" * (MAX_DEPTH // 2)
    with pytest.raises(orjson.JSONDecodeError):
        loads(value)


def test_brackets_inside_strings_are_text_not_nesting():
    value = '["' + "[{" * 200 + '"]'
    assert loads(value) == ["[{" * 200]


def test_a_wide_shallow_value_is_read_whole():
    value = orjson.dumps([{"role": "user", "parts": [{"type": "text", "content": "hi"}]}] * 500).decode()
    assert loads(value) == orjson.loads(value)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


json_values = st.recursive(st.none() | st.integers() | st.text(max_size=3),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner,
                                                                                      max_size=3), max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(json_values, st.integers(min_value=0, max_value=12))
def test_nested_deeper_agrees_with_the_recursive_definition_of_depth(value, limit):
    assert nested_deeper(value, limit) == (depth(value) > limit)
