"""The query API's JSON response, in a module of its own so every route module can use it
without importing api.py (which imports them)."""

from __future__ import annotations

import orjson
from starlette.responses import Response


class JSONResponse(Response):
    """JSON rendered by orjson; non-string dict keys (e.g. numbers) become strings."""

    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
