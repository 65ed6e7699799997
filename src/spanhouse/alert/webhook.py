"""Posting to a webhook: one attempt (`post`), and the retry loop around it (`deliver`).

Retried: connection errors and timeouts, 5xx, and 429, with capped exponential backoff and
jitter; a `Retry-After` (seconds or an HTTP date) on a retried answer replaces the backoff, capped
at the route's max_backoff_s. Not retried: any other 4xx (the request itself is wrong: retrying
cannot help) and 3xx (redirects are not followed, so a route's headers never reach another
host). Waiting goes through the injected `sleep`, which returns True when the alerter is
stopping: a shutdown interrupts the backoff at once instead of sleeping it out.
The URL and header values never reach a log line or a detail: `redact` masks them in whatever
the webhook answered.
"""

from __future__ import annotations

import http.client
import logging
import random
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from spanhouse import __version__
from spanhouse.alert.routes import AlertRoute

logger = logging.getLogger(__name__)

_SNIPPET_BYTES = 300
_DRAIN_BYTES = 64 * 1024

Sleep = Callable[[float], bool]
Jitter = Callable[[float], float]
Clock = Callable[[], datetime]


def equal_jitter(delay: float) -> float:
    """Half the delay fixed, half random: retries of many alerts do not arrive in step."""
    return delay * (0.5 + random.random() / 2)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int  # 0 when no HTTP answer came
    detail: str  # empty for a 2xx
    retry_after: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    outcome: str  # "sent" or "failed"
    attempts: int
    http_status: int
    detail: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: urllib.request.Request, fp: object, code: int, msg: str, headers: object,
                         newurl: str) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


_OPENER = urllib.request.build_opener(_NoRedirects())


def post(url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> Answer:
    """One POST of `body` as JSON; never raises for what the network or the webhook does."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": f"spanhouse/{__version__}", **headers})
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            response.read(_DRAIN_BYTES)
            return Answer(response.status, "")
    except urllib.error.HTTPError as exc:
        try:
            snippet = exc.read(_SNIPPET_BYTES).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException):
            snippet = ""
        finally:
            exc.close()
        detail = f"HTTP {exc.code}" + (f": {' '.join(snippet.split())}" if snippet else "")
        if 300 <= exc.code < 400:
            detail += " (redirects are not followed)"
        return Answer(exc.code, detail, exc.headers.get("Retry-After") if exc.headers else None)
    except TimeoutError:
        return Answer(0, f"timed out after {timeout_s:g}s")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return Answer(0, f"timed out after {timeout_s:g}s")
        return Answer(0, f"connection error: {reason}")
    except (OSError, http.client.HTTPException) as exc:
        return Answer(0, f"connection error: {type(exc).__name__}: {exc}")


def deliver(route: AlertRoute, body: bytes, *, sleep: Sleep, jitter: Jitter = equal_jitter,
            clock: Clock | None = None, attempts: int | None = None) -> Outcome:
    """Post `body` to the route, retrying what may succeed later.

    Args:
        route: where, with its timeout and retry policy.
        sleep: waits up to the given seconds; returns True when the alerter is stopping.
        jitter: turns a backoff delay into the delay waited (tests pass `lambda d: d`).
        clock: now, for a Retry-After given as an HTTP date.
        attempts: overrides the route's attempts (a test message makes one).
    """
    most = attempts or route.attempts
    for attempt in range(1, most + 1):
        answer = post(route.url, body, route.headers, route.timeout_s)
        if 200 <= answer.status < 300:
            return Outcome("sent", attempt, answer.status, "")
        detail = redact(answer.detail, route.secrets)
        if not (answer.status == 0 or answer.status == 429 or answer.status >= 500):
            logger.error("alert route %s: %s; not retried", route.name, detail)
            return Outcome("failed", attempt, answer.status, f"{detail}; not retried")
        if attempt == most:
            break
        waited = _retry_after(answer.retry_after, clock)
        delay = (min(waited, route.max_backoff_s) if waited is not None
                 else jitter(min(route.backoff_s * 2 ** (attempt - 1), route.max_backoff_s)))
        logger.warning("alert route %s: attempt %d of %d failed (%s); retrying in %.1fs", route.name, attempt, most,
                       detail, delay)
        if sleep(delay):
            return Outcome("failed", attempt, answer.status, f"{detail}; stopped before retrying (shutting down)")
    if most > 1:
        detail = f"{detail}; gave up after {most} attempts"
    logger.error("alert route %s: %s", route.name, detail)
    return Outcome("failed", most, answer.status, detail)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def _retry_after(value: str | None, clock: Clock | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = clock() if clock is not None else datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())
