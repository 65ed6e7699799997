"""Lenient parsing of attribute values, which arrive as strings in whatever form the emitter chose."""

from __future__ import annotations

import math

import orjson

_MAX_COUNT = 2**63 - 1


def count(text: str | None) -> int | None:
    """A non-negative whole number from "12", "12.0" or " 12 "; None for garbage or negatives."""
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        try:
            real = float(text)
        except ValueError:
            return None
        if not math.isfinite(real) or real != int(real):
            return None
        number = int(real)
    return number if 0 <= number <= _MAX_COUNT else None


def real(text: str | None) -> float | None:
    """A finite float, or None."""
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def string_list(text: str | None) -> tuple[str, ...]:
    """A JSON array of strings (how arrays are stored) or a single bare string."""
    if not text:
        return ()
    if text.startswith("["):
        try:
            items = orjson.loads(text)
        except orjson.JSONDecodeError:
            return (text,)
        if isinstance(items, list):
            return tuple(str(item) for item in items if item not in (None, ""))
    return (text,)
