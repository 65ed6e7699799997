"""One module per instrumentation convention, each with `NAME`, `TABLE` and `extract(span) -> Fields | None`.

`REGISTRY` lists them highest priority first: when two conventions fill the same field on one
span, the earlier one wins. The order is the reference's category decision order (§8), where
explicit span kinds beat derived ones: Langfuse's observation type, OpenInference's span kind,
LangSmith's run type (beats the lossy `gen_ai.operation.name` LangSmith writes), MLflow's span
type, Traceloop's span kind (beats OpenLLMetry's `invoke_agent` on plain chains), then the OTel
GenAI names, the Vercel AI SDK's `ai.*`, and the extras of Pydantic AI and OpenLIT, which add
fields the others lack. The conventions rarely fill one field from different keys; where they do
(e.g. a Langfuse model name next to `gen_ai.request.model`), this order decides, not §7's
per-field lists. Adding a convention is adding a module here and a test file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from spanhouse.normalise.conventions import (
    genai,
    langfuse,
    langsmith,
    mlflow,
    openinference,
    openlit,
    openllmetry,
    pydantic_ai,
    vercel_ai,
)
from spanhouse.normalise.fields import Fields
from spanhouse.normalise.table import Event, SpanView, Table


class Convention(NamedTuple):
    name: str
    extract: Callable[[SpanView], Fields | None]
    table: Table = Table(())
    doc: str = ""


REGISTRY: tuple[Convention, ...] = tuple(
    Convention(module.NAME, module.extract, module.TABLE, module.__doc__ or "")
    for module in (langfuse, openinference, langsmith, mlflow, openllmetry, genai, vercel_ai, pydantic_ai, openlit)
)


def known_keys(conventions: Sequence[Convention] = REGISTRY) -> frozenset[str]:
    """Every exact attribute key some convention's table reads."""
    return frozenset().union(*(convention.table.keys for convention in conventions))


KNOWN = known_keys()


def view(attrs: Mapping[str, str], *, name: str = "", scope: str = "", events: Sequence[Event] = (),
         content: bool = True, known: frozenset[str] = KNOWN, start_ns: int = 0) -> SpanView:
    """A SpanView for one attribute map (tests, tools); the normaliser builds its own."""
    return SpanView(attrs, known.intersection(attrs), name=name, scope=scope, events=events, content=content,
                    event_times=[0] * len(events), start_ns=start_ns)
