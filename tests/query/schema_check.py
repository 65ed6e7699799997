"""A JSON Schema check for the subset of keywords our OpenAPI schemas use (jsonschema is not a
dependency). An unknown keyword fails loudly, so a schema can never be checked only in part."""

from __future__ import annotations

import re
from typing import Any

_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
_KNOWN = {"type", "properties", "required", "additionalProperties", "items", "enum", "const", "pattern", "minimum",
          "maximum", "minItems", "maxItems", "maxLength", "maxProperties", "propertyNames", "description", "format",
          "default"}


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def errors(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Every way `value` fails `schema`, as `path: problem` lines (empty when it conforms)."""
    unknown = set(schema) - _KNOWN
    assert not unknown, f"{path}: schema keywords this check does not know: {sorted(unknown)}"
    found: list[str] = []
    kinds = schema.get("type")
    if kinds is not None and not any(_is(value, kind) for kind in ([kinds] if isinstance(kinds, str) else kinds)):
        return [f"{path}: {type(value).__name__} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        found.append(f"{path}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{path}: {value[:80]!r} does not match {schema['pattern']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{path}: longer than {schema['maxLength']}")
    if _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{path}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{path}: {value} > {schema['maximum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            found.append(f"{path}: {len(value)} items")
        for index, item in enumerate(value):
            found += errors(item, schema.get("items", {}), f"{path}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [f"{path}: missing {key!r}" for key in schema.get("required", []) if key not in value]
        if len(value) > schema.get("maxProperties", len(value)):
            found.append(f"{path}: more than {schema['maxProperties']} properties")
        for key, item in value.items():
            if "propertyNames" in schema:
                found += errors(key, schema["propertyNames"], f"{path}.<{key}>")
            if key in properties:
                found += errors(item, properties[key], f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{path}: unexpected {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                found += errors(item, schema["additionalProperties"], f"{path}.{key}")
    return found
