"""spanhouse's exception tree. Driver errors are mapped into it at the store boundary."""

from __future__ import annotations


class SpanhouseError(Exception):
    """Base of every error spanhouse raises on purpose."""


class ConfigError(SpanhouseError):
    """A setting is missing, malformed or out of range."""


class DecodeError(SpanhouseError):
    """An export request cannot be decoded at all (OTLP: INVALID_ARGUMENT / HTTP 400)."""


class Overloaded(SpanhouseError):
    """The ingest queue is full; the client should retry later (HTTP 429 / RESOURCE_EXHAUSTED)."""

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StoreError(SpanhouseError):
    """ClickHouse refused or failed a statement. Keeps ClickHouse's error code and name.

    `public` is what a client may be told: the driver's own text (the message) can hold the store's
    URL, host, session id and database, which belong in the server's log, not in an answer.
    """

    def __init__(self, message: str, code: int | None = None, name: str | None = None,
                 public: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.name = name
        self.public = public or message


class StoreUnavailable(StoreError):
    """ClickHouse cannot be reached, or did not make the data durable in time (retryable)."""


class QueryRefused(SpanhouseError):
    """An ad-hoc SQL statement spanhouse will not run (not a read, or one that reaches outside the response), or
    whose result it cannot decode. `code` names which, for the API's error answer."""

    def __init__(self, message: str, code: str = "statement_not_allowed") -> None:
        super().__init__(message)
        self.code = code
