"""The query API's JSON response, how it shows sums, and what an unexpected error answers, in a
module of its own so every route module can use them without importing api.py (which imports them).

Sums of tokens and costs are shown saturated: at most 2^63-1 tokens, the largest integer JSON
readers that take integers as int64 hold (Python's sums have no limit, ClickHouse's UInt64 sums
reach 2^64-1, and orjson refuses more), and an overflowed cost sum (inf, which JSON cannot write)
as the largest float. Only counts and costs a client made up add up to that much (one span may
report 2^63-1 tokens), so the answer stays a valid document instead of a wrong or failed one.
"""

from __future__ import annotations

import logging
import secrets
import sys

import orjson
from starlette.responses import Response

logger = logging.getLogger(__name__)

MAX_COUNT = 2**63 - 1
MAX_AMOUNT = sys.float_info.max


def count(total: int) -> int:
    """A sum of tokens as the API shows it (saturated, see above)."""
    return min(total, MAX_COUNT)


def amount(total: float) -> float:
    """A sum of costs as the API shows it (saturated, see above)."""
    return min(total, MAX_AMOUNT)


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
