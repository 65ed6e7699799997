"""A JSON Schema check for the subset of keywords the query API's OpenAPI schemas use (jsonschema
is not a dependency): type (one or a list), properties, required, additionalProperties, items,
enum, const, pattern, minimum, maximum, minLength, maxLength, minItems, maxItems, maxProperties,
propertyNames, format date-time. An unknown keyword fails loudly, so a schema is never checked only in part."""

from __future__ import annotations

import re
from typing import Any

_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
KNOWN = {"type", "properties", "required", "additionalProperties", "items", "enum", "const", "pattern", "minimum",
         "maximum", "minLength", "maxLength", "minItems", "maxItems", "maxProperties", "propertyNames", "format",
         "default", "description"}


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Every way `value` breaks `schema`, as 'path: reason' (empty when it conforms)."""
    unknown = set(schema) - KNOWN
    assert not unknown, f"{where}: schema keywords this check does not know: {unknown}"
    found: list[str] = []
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, kind) for kind in kinds):
            return [f"{where}: {type(value).__name__} {str(value)[:60]!r} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        found.append(f"{where}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{where}: {value[:60]!r} does not match {schema['pattern']}")
        if schema.get("format") == "date-time" and not _DATE_TIME.match(value):
            found.append(f"{where}: {value[:60]!r} is not an RFC 3339 date-time")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            found.append(f"{where}: length {len(value)} out of bounds")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: {value} > {schema['maximum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [f"{where}: missing {name!r}" for name in schema.get("required", []) if name not in value]
        if len(value) > schema.get("maxProperties", len(value)):
            found.append(f"{where}: more than {schema['maxProperties']} properties")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if "propertyNames" in schema:
                found += errors(name, schema["propertyNames"], f"{where}.<{name}>")
            if name in properties:
                found += errors(item, properties[name], f"{where}.{name}")
            elif extra is False:
                found.append(f"{where}: unexpected {name!r}")
            elif isinstance(extra, dict):
                found += errors(item, extra, f"{where}.{name}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            found.append(f"{where}: {len(value)} items")
        for index, item in enumerate(value if "items" in schema else ()):
            found += errors(item, schema["items"], f"{where}[{index}]")
    return found


def response_schema(openapi: dict[str, Any], path: str, status: int) -> dict[str, Any]:
    schema: dict[str, Any] = openapi[path]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    return schema


def assert_conforms(value: Any, schema: dict[str, Any]) -> None:
    problems = errors(value, schema)
    assert not problems, "\n".join(problems[:20])
