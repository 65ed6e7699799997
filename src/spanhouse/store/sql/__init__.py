"""Statements the store runs besides migrations (retention, reloads at start), one per file, with
`{name:Type}` server-side parameters only."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """The text of `sql/<name>.sql` (`name` may hold a subfolder, e.g. `retention/otel_traces`)."""
    return resources.files(__name__).joinpath(f"{name}.sql").read_text(encoding="utf-8")
