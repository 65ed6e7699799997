"""Straight-line readers for a table's rows, compiled once per set of present keys.

`Table.read` runs for every AI span, and on this hot path a loop over (key, field, parser)
triples spends more time in the loop and in calls to tiny parsers than in the work itself. So
for each key set seen (the spans of one instrumentation share one), the rows present are turned
into a Python function with no loop: per field, the present keys in row order, the plain-string
and whole-number parsers inlined, the first readable value winning. The generated source only
ever contains our own table constants (keys and field names via `repr`), never span data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from spanhouse.normalise import values

Reader = Callable[[Mapping[str, str]], dict[str, Any]]
Entry = tuple[str, str, Callable[[str | None], Any]]


def compile_reader(entries: Sequence[Entry]) -> Reader:
    """A function attrs -> fields for `entries` (key, field, parser), all keys present in attrs."""
    by_field: dict[str, list[tuple[str, Callable[[str | None], Any]]]] = {}
    for key, field, parse in entries:
        by_field.setdefault(field, []).append((key, parse))
    namespace: dict[str, Any] = {"count": values.count, "MAX": 2**63 - 1}
    lines = ["def read(attrs):", "    fields = {}"]
    for field, candidates in by_field.items():
        indent = "    "
        for position, (key, parse) in enumerate(candidates):
            if position:
                lines.append(f"{indent}if {field!r} not in fields:")
                indent += "    "
            lines.append(f"{indent}value = attrs[{key!r}]")
            if parse is values.text:
                lines.append(f"{indent}if value and not value.isspace():")
                lines.append(f"{indent}    fields[{field!r}] = value")
                continue
            if parse is values.count:
                lines += [f"{indent}try:", f"{indent}    parsed = int(value)", f"{indent}except ValueError:",
                          f"{indent}    parsed = count(value)", f"{indent}else:",
                          f"{indent}    if not 0 <= parsed <= MAX:", f"{indent}        parsed = None"]
            else:
                name = f"parse_{len(namespace)}"
                namespace[name] = parse
                lines.append(f"{indent}parsed = {name}(value)")
            lines.append(f"{indent}if parsed is not None:")
            lines.append(f"{indent}    fields[{field!r}] = parsed")
    lines.append("    return fields")
    exec("\n".join(lines), namespace)  # the source holds only our own constants (see module doc)
    reader: Reader = namespace["read"]
    return reader
