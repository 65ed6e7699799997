"""ClickHouse clients from a DSN, and the mapping of driver errors into spanhouse's tree.

`chdb://PATH` selects the embedded engine (one per process: every client opened on the same
path shares it); `http(s)://...` a ClickHouse server. Callers get a clickhouse-connect `Client`
either way, so the rest of spanhouse never asks which one it has.
"""

from __future__ import annotations

import fcntl
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError, OperationalError

from spanhouse.errors import ConfigError, StoreError, StoreUnavailable

logger = logging.getLogger(__name__)

# ClickHouse error codes worth another try: the server is busy or briefly unable to write.
RETRYABLE_CODES = frozenset(
    {
        159,  # TIMEOUT_EXCEEDED
        164,  # READONLY (replica lost its keeper session)
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        252,  # TOO_MANY_PARTS
        285,  # TOO_FEW_LIVE_REPLICAS
        319,  # UNKNOWN_STATUS_OF_INSERT
        425,  # SYSTEM_ERROR
    }
)


# The OS's words for a socket failure inside a driver message: "[Errno 111] Connection refused".
_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([A-Za-z ,-]{1,80})")


def resolve_dsn(dsn: str) -> str:
    """Make a `chdb://relative/path` DSN absolute; other DSNs pass through unchanged."""
    parsed = urlparse(dsn)
    if parsed.scheme == "chdb":
        if parsed.netloc in ("memory", ":memory:"):
            return dsn
        path = Path(parsed.netloc + parsed.path).expanduser()
        return "chdb://" + str(path.resolve())
    if parsed.scheme in ("http", "https"):
        return dsn
    raise ConfigError(f"clickhouse_dsn must start with chdb://, http:// or https://, got {dsn!r}")


def is_embedded(dsn: str) -> bool:
    return urlparse(dsn).scheme == "chdb"


def connect(dsn: str, database: str | None = None, **settings: Any) -> Client:
    """Open a client; the database must already exist when one is named.

    Args:
        dsn: `chdb://path`, `chdb://memory` or `http(s)://user:password@host:port`.
        database: the default database of every statement on this client.
        settings: ClickHouse settings applied to every statement.
    """
    transport: dict[str, Any] = {} if is_embedded(dsn) else {"connect_timeout": 5, "send_receive_timeout": 60}
    try:
        return clickhouse_connect.get_client(
            dsn=resolve_dsn(dsn), database=database or "", settings=settings or None, **transport
        )
    except Exception as exc:
        holder = _holder_of(dsn) if is_embedded(dsn) else None
        if holder is not None:
            raise StoreError(
                f"the embedded store {urlparse(resolve_dsn(dsn)).path} is in use by another process ({holder}): "
                "chDB opens a data directory in one process at a time. Stop that process first (a running "
                "`spanhouse serve`?), or query the running server with `spanhouse sql` or the query API."
            ) from exc
        raise map_error(exc, "connect to ClickHouse") from exc


def _holder_of(dsn: str) -> str | None:
    """Who holds an embedded store's lock, or None when no other process does.

    The engine takes an exclusive flock on `status` in the data directory and writes its PID
    there; its own refusal only says that initialising failed.
    """
    status = Path(urlparse(resolve_dsn(dsn)).path) / "status"
    try:
        with status.open("rb") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                text = fh.read(4096).decode("utf-8", "replace")
                pid = re.search(r"^PID: (\d+)", text, re.MULTILINE)
                return f"PID {pid.group(1)}" if pid else "its PID is not recorded"
            fcntl.flock(fh, fcntl.LOCK_UN)
    except OSError:
        return None
    return None


def map_error(exc: BaseException, doing: str) -> StoreError:
    """A driver exception as a StoreError (or StoreUnavailable when another try may succeed)."""
    if isinstance(exc, StoreError):
        return exc
    code = getattr(exc, "code", None)
    name = getattr(exc, "name", None)
    message = f"cannot {doing}: {exc}"
    public = f"cannot {doing}: " + _what_failed(exc, code, name)
    if isinstance(exc, OperationalError) or (code in RETRYABLE_CODES) or isinstance(exc, OSError):
        return StoreUnavailable(message, code=code, name=name, public=public)
    if isinstance(exc, ClickHouseError):
        return StoreError(message, code=code, name=name, public=public)
    return StoreError(message, public=public)


def _what_failed(exc: BaseException, code: int | None, name: str | None) -> str:
    """The failure without the driver's text, which names the store's URL and session."""
    if code is not None:
        return f"ClickHouse error {code}" + (f" ({name})" if name else "")
    if isinstance(exc, OperationalError | OSError):
        errno = _ERRNO_TEXT.search(str(exc))
        return "ClickHouse did not answer (" + (errno.group(1).strip() if errno else "see the server log") + ")"
    return f"{type(exc).__name__} (see the server log)"
