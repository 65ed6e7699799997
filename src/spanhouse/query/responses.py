"""The query API's JSON response, and what an unexpected error answers, in a module of its own so
every route module can use them without importing api.py (which imports them)."""

from __future__ import annotations

import logging
import secrets

import orjson
from starlette.responses import Response

logger = logging.getLogger(__name__)


def unexpected(what: str) -> str:
    """Log the exception being handled, traceback included, under a new incident id; the message
    that answers it, which names the id and nothing of the exception (its text may hold SQL, paths
    or data)."""
    incident = secrets.token_hex(4)
    logger.exception("unexpected error answering %r (incident %s)", what, incident)
    return f"internal error (incident {incident}): the server log has the details"


class JSONResponse(Response):
    """JSON rendered by orjson; non-string dict keys (e.g. numbers) become strings."""

    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
