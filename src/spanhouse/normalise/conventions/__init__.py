"""One module per instrumentation convention, each with `NAME` and `extract(attrs) -> Fields | None`.

`REGISTRY` lists them highest priority first: when two conventions fill the same field on one
span, the earlier one wins. Adding a convention is adding a module here and a test file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from spanhouse.normalise.conventions import genai
from spanhouse.normalise.fields import Fields


class Convention(NamedTuple):
    name: str
    extract: Callable[[Mapping[str, str]], Fields | None]


REGISTRY: tuple[Convention, ...] = (Convention(genai.NAME, genai.extract),)
