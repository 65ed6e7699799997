"""API keys: who may send spans, who may read them, and which tenant each key belongs to.

Keys live in a TOML file (`SPANHOUSE_API_KEYS_FILE`), one `[[keys]]` table per key:

    [[keys]]
    sha256 = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"  # or: key = "..."
    tenant = "acme"
    roles = ["ingest"]          # any of "ingest", "read", "admin" (admin can also read)
    name = "acme production"    # optional, shown in logs, never the key

Storing the SHA-256 of a key instead of the key keeps the file free of secrets. A key arrives as
`Authorization: Bearer <key>` or `x-api-key: <key>` (HTTP headers or gRPC metadata). The
tenant of every span comes from its ingest key, and every query answers with the data of its
key's tenant only; an admin key may also run ad-hoc SQL, which sees every tenant.

With no keys configured spanhouse runs open: every request acts for the default tenant with
every role. That is meant for a laptop (the default bind is 127.0.0.1); `spanhouse serve` warns
loudly when it runs open on another address.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from spanhouse.errors import ConfigError, SpanhouseError

logger = logging.getLogger(__name__)

Role = Literal["ingest", "read", "admin"]
ROLES: frozenset[str] = frozenset({"ingest", "read", "admin"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class AuthError(SpanhouseError):
    """401 (no key, unknown key) or 403 (the key lacks the role)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    tenant: str
    roles: frozenset[str]

    def may(self, role: Role) -> bool:
        return role in self.roles or (role == "read" and "admin" in self.roles)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def credentials(headers: Iterable[tuple[str, str | bytes]] | Mapping[str, str]) -> str | None:
    """The API key of a request: `Authorization: Bearer <key>`, else `x-api-key`; None when neither."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    bearer = api_key = None
    for name, value in pairs:
        if isinstance(value, bytes):
            continue
        lowered = name.lower()
        if lowered == "authorization":
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                bearer = token.strip()
        elif lowered == "x-api-key" and value.strip():
            api_key = value.strip()
    return bearer or api_key


class KeyRing:
    """The configured keys, looked up by the SHA-256 of the key presented."""

    def __init__(self, principals: Mapping[str, Principal], default_tenant: str) -> None:
        self._by_digest = dict(principals)
        self._default = Principal("open access", default_tenant, ROLES)

    @property
    def open(self) -> bool:
        return not self._by_digest

    def __len__(self) -> int:
        return len(self._by_digest)

    @classmethod
    def load(cls, path: str | Path | None, default_tenant: str) -> KeyRing:
        """The keys of a TOML file (see the module doc); no path: no keys, open access."""
        if not path:
            return cls({}, default_tenant)
        try:
            with Path(path).open("rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"cannot read the API keys file {path}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"API keys file {path} is not valid TOML: {exc}") from exc
        entries = data.get("keys")
        if not isinstance(entries, list) or not entries:
            raise ConfigError(f"API keys file {path} has no [[keys]] tables")
        principals: dict[str, Principal] = {}
        for number, entry in enumerate(entries, 1):
            where = f"API keys file {path}, key {number}"
            found = _principal(entry, where)
            key_digest = _digest_of(entry, where)
            if key_digest in principals:
                raise ConfigError(f"{where}: the same key is listed twice")
            principals[key_digest] = found
        return cls(principals, default_tenant)

    def authenticate(self, key: str | None, role: Role) -> Principal:
        """Who sent `key`, when it may act as `role`; AuthError (401 / 403) otherwise."""
        if self.open:
            return self._default
        if key is None:
            raise AuthError(401, "missing API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'")
        principal = self._by_digest.get(digest(key))
        if principal is None:
            raise AuthError(401, "unknown API key")
        if not principal.may(role):
            roles = ", ".join(sorted(principal.roles))
            raise AuthError(403, f"this API key may not {_ACTIONS[role]} (its roles: {roles})")
        return principal


_ACTIONS = {"ingest": "send telemetry", "read": "read data", "admin": "run administrative requests"}


def _principal(entry: object, where: str) -> Principal:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a table")
    unknown = sorted(set(entry) - {"key", "sha256", "tenant", "roles", "name"})
    if unknown:
        raise ConfigError(f"{where}: unknown fields {', '.join(unknown)}")
    tenant = entry.get("tenant")
    if not isinstance(tenant, str) or not _TENANT.fullmatch(tenant):
        raise ConfigError(f"{where}: tenant must be 1-128 letters, digits, '_', '.' or '-', got {tenant!r}")
    roles = entry.get("roles")
    if not isinstance(roles, list) or not roles or not set(roles) <= ROLES:
        raise ConfigError(f"{where}: roles must be a non-empty list of {', '.join(sorted(ROLES))}, got {roles!r}")
    name = entry.get("name", f"key for {tenant}")
    return Principal(str(name), tenant, frozenset(roles))


def _digest_of(entry: dict[str, object], where: str) -> str:
    key, sha = entry.get("key"), entry.get("sha256")
    if (key is None) == (sha is None):
        raise ConfigError(f"{where}: give exactly one of key or sha256")
    if key is not None:
        if not isinstance(key, str) or len(key) < 16:
            raise ConfigError(f"{where}: key must be a string of at least 16 characters")
        return digest(key)
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha.lower()):
        raise ConfigError(f"{where}: sha256 must be 64 hex characters")
    return sha.lower()
