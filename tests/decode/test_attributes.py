"""Attribute maps are stored as the exporter writes them, and typed back without loss."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from spanhouse.decode.attributes import flatten, typed_map
from tests.factories import kv


def test_values_render_like_the_clickhouse_exporter_and_types_are_kept():
    values, types = flatten([
        kv("s", "text"), kv("i", -42), kv("d", 3.0), kv("f", 0.25), kv("b", False), kv("raw", b"\x00\xff"),
        kv("arr", ["x", 2, True]), kv("map", {"k": 1, "nested": {"a": [1.5]}}), kv("none", None),
    ])
    assert values == {
        "s": "text", "i": "-42", "d": "3", "f": "0.25", "b": "false", "raw": "AP8=", "arr": '["x",2,true]',
        "map": '{"k":1,"nested":{"a":[1.5]}}', "none": "",
    }
    assert types == {"i": "int", "d": "double", "f": "double", "b": "bool", "raw": "bytes", "arr": "array",
                     "map": "kvlist", "none": "empty"}


def test_typed_map_restores_json_values():
    values, types = flatten([kv("i", 7), kv("f", 0.5), kv("b", True), kv("arr", ["a"]), kv("s", "7")])
    assert typed_map(values, types) == {"i": 7, "f": 0.5, "b": True, "arr": ["a"], "s": "7"}


def test_a_repeated_key_keeps_the_last_value():
    assert flatten([kv("k", "first"), kv("k", 2)]) == ({"k": "2"}, {"k": "int"})


def test_a_repeated_key_keeps_the_type_of_its_last_value_too():
    values, types = flatten([kv("a", 5), kv("a", "007"), kv("b", True), kv("b", "no"), kv("c", 1.5), kv("c", "2")])
    assert (values, types) == ({"a": "007", "b": "no", "c": "2"}, {})
    assert typed_map(values, types) == {"a": "007", "b": "no", "c": "2"}


def test_non_finite_doubles_are_kept_as_text():
    values, types = flatten([kv("nan", math.nan), kv("inf", math.inf)])
    assert values == {"nan": "nan", "inf": "inf"}
    assert typed_map(values, types) == {"nan": "nan", "inf": "inf"}


scalars = st.one_of(st.text(), st.integers(min_value=-(2**63), max_value=2**63 - 1), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False))


@given(st.dictionaries(st.text(min_size=1), scalars, max_size=8))
def test_every_scalar_survives_the_round_trip(attrs):
    values, types = flatten([kv(k, v) for k, v in attrs.items()])
    restored = typed_map(values, types)
    for key, value in attrs.items():
        if isinstance(value, float):
            assert math.isclose(restored[key], value, rel_tol=1e-15, abs_tol=0) or restored[key] == value
        else:
            assert restored[key] == value
