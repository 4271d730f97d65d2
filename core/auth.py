"""API tokens: random, shown once, stored only as SHA-256, checked in constant time, with roles.

A token reads `ilx_<key_id>_<secret>`. The key id is a public lookup handle, so verification fetches one row by
key id and compares hashes with `hmac.compare_digest` — the database never searches by a secret-derived value and
the comparison time does not depend on how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from core.errors import ApiError

if TYPE_CHECKING:
    from core.db import Database


class Role(StrEnum):
    ADMIN = "admin"
    CLINICIAN = "clinician"
    BILLING = "billing"
    COMPLIANCE = "compliance"
    SERVICE = "service"


TOKEN_PREFIX = "ilx_"  # noqa: S105 - a public prefix, not a secret
_TOKEN_SHAPE = re.compile(r"^ilx_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
NAME_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$")
# Compared against when the key id is unknown, so an unknown token costs the same as a wrong one.
_DUMMY_HASH = hashlib.sha256(b"intelluxe-no-such-token").hexdigest()


class AuthError(ApiError):
    """Authentication failed (HTTP 401). `reason` is safe to show: it never contains the token."""

    code = "unauthorized"

    def __init__(self, reason: str) -> None:
        super().__init__(message=reason)
        self.reason = reason


class ForbiddenError(AuthError):
    """Authenticated, but the role may not do this (HTTP 403)."""

    code = "forbidden"


class TokenNameError(ValueError):
    """A token name is malformed or already in use."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name (the audit actor) and its role."""

    name: str
    role: Role
    token_id: str

    def require(self, *roles: Role | str) -> None:
        """Raise ForbiddenError unless this principal holds one of `roles`; admin holds them all."""
        allowed = {Role(r) for r in roles}
        if self.role is not Role.ADMIN and self.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise ForbiddenError(f"role {self.role.value!r} may not do this (needs one of: {names})")


@dataclass(frozen=True)
class TokenInfo:
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime | None = None) -> str:
        """ "revoked", "expired" or "live": what `verify` would make of the token at `now` (default: now)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC)):
            return "expired"
        return "live"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    db: Database,
    name: str,
    role: Role | str,
    expires_days: int | None = None,
    *,
    expires_at: datetime | None = None,
) -> str:
    """Create a token and return it; this is the only time it exists outside the caller's hands. `expires_at` is
    for short-lived tokens (the web console's, which last one sign-in); ops give `expires_days`."""
    if not NAME_SHAPE.match(name):
        raise TokenNameError(f"token name {name!r} must be 1-128 characters of letters, digits, '_', '.', '@' or '-'")
    role = Role(role)
    if expires_days is not None and expires_days < 1:
        raise ValueError("expires_days must be at least 1")
    if expires_days is not None and expires_at is not None:
        raise ValueError("give expires_days or expires_at, not both")
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= datetime.now(UTC)):
        raise ValueError("expires_at must be a timezone-aware time in the future")
    key_id = secrets.token_hex(8)
    token = f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    if expires_days:
        expires_at = datetime.now(UTC) + timedelta(days=expires_days)

    def work(cur):  # type: ignore[no-untyped-def]
        cur.execute("SELECT 1 FROM api_tokens WHERE name = %s AND revoked_at IS NULL", (name,))
        if cur.fetchone() is not None:
            raise TokenNameError(f"a live token named {name!r} exists; revoke it first")
        cur.execute(
            "INSERT INTO api_tokens (key_id, name, role, token_hash, expires_at) VALUES (%s, %s, %s, %s, %s)",
            (key_id, name, role.value, hash_token(token), expires_at),
        )

    db.run(work)
    return token


def revoke_token(db: Database, name: str) -> bool:
    """Revoke the live token called `name`; False when there is none."""
    count = db.execute("UPDATE api_tokens SET revoked_at = now() WHERE name = %s AND revoked_at IS NULL", (name,))
    return count > 0


def list_tokens(db: Database) -> list[TokenInfo]:
    rows = db.fetchall(
        "SELECT name, role, created_at, expires_at, revoked_at FROM api_tokens ORDER BY name, created_at"
    )
    return [TokenInfo(r["name"], Role(r["role"]), r["created_at"], r["expires_at"], r["revoked_at"]) for r in rows]


def verify_token(db: Database, token: str | None) -> Principal:
    """The principal a presented token stands for; AuthError when missing, malformed, unknown, expired or revoked."""
    return _verify_with_expiry(db, token)[0]


def _verify_with_expiry(db: Database, token: str | None) -> tuple[Principal, datetime | None]:
    if not token:
        raise AuthError("missing bearer token")
    match = _TOKEN_SHAPE.match(token)
    if match is None:
        hmac.compare_digest(hash_token(token), _DUMMY_HASH)
        raise AuthError("invalid token")
    row = db.fetchone(
        "SELECT token_id, name, role, token_hash, expires_at, revoked_at FROM api_tokens WHERE key_id = %s",
        (match.group(1),),
    )
    presented = hash_token(token)
    if row is None:
        hmac.compare_digest(presented, _DUMMY_HASH)
        raise AuthError("invalid token")
    if not hmac.compare_digest(presented, row["token_hash"]):
        raise AuthError("invalid token")
    if row["revoked_at"] is not None:
        raise AuthError("token revoked")
    if row["expires_at"] is not None and row["expires_at"] <= datetime.now(UTC):
        raise AuthError("token expired")
    return Principal(name=row["name"], role=Role(row["role"]), token_id=str(row["token_id"])), row["expires_at"]


class VerifiedTokens:
    """A short-lived, per-process memory of tokens that verified, so a busy service does not look up the same
    token for every request. A revocation takes effect within `ttl_seconds` (INTELLUXE_TOKEN_CACHE_SECONDS, default
    10; 0 turns the memory off); an expiry is checked on every use. Keys are hashes, never tokens."""

    MAX_ENTRIES = 4096

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[str, tuple[float, Principal, datetime | None]] = {}
        self._lock = threading.Lock()

    def verify(self, db: Database, token: str | None) -> Principal:
        if self.ttl <= 0 or not token:
            return verify_token(db, token)
        key = hash_token(token)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            _, principal, expires_at = entry
            if expires_at is None or expires_at > datetime.now(UTC):
                return principal
        principal, expires_at = _verify_with_expiry(db, token)
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now + self.ttl, principal, expires_at)
        return principal


def bearer_token(authorization_header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization_header:
        return None
    scheme, _, value = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
