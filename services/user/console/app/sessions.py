"""Server-side sessions: the browser holds one random id in an HttpOnly, Secure, SameSite=Strict cookie; everything
else is a `console_sessions` row (postgres/init/10-console.sql).

Theory of operation:
- The id is 32 random bytes. The row is keyed by SHA-256("console-session:" + id), so the table alone cannot be
  turned back into a cookie.
- The suite token the session calls the services with is sealed (Fernet) under SHA-256("console-seal:" + id): only
  a request that presents the cookie can unseal it. A database reader gets neither a session nor a token.
- The CSRF token of the session is HMAC-SHA256(id, "csrf"): bound to the session, nothing to store, compared in
  constant time. Before sign-in, the sign-in form is protected the same way by a random pre-session cookie
  (double submit: the form must carry the value the cookie holds).
- A session ends on sign-out, after `idle` without a request, or at its absolute `expires_at`. Ending one deletes
  its row and, for an account's session, revokes the token issued for it — the services then refuse it within
  their token cache time (INTELLUXE_TOKEN_CACHE_SECONDS).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken

from core.auth import Role
from core.db import Database

COOKIE = "ilx_console"
PRE_COOKIE = "ilx_console_pre"  # the sign-in form's CSRF value, before there is a session
_ID_SHAPE_LENGTH = 43  # token_urlsafe(32)


@dataclass(frozen=True)
class ConsoleSession:
    """A live session as a request sees it; `token` is the unsealed suite token (never logged, never rendered)."""

    session_hash: str
    kind: str
    principal: str
    role: Role
    account: str | None
    token: str
    csrf: str
    expires_at: datetime

    def may(self, *roles: Role) -> bool:
        return self.role is Role.ADMIN or self.role in roles


@dataclass(frozen=True)
class Ended:
    """The cookie named a session that has ended (idle or past its end): why, for the sign-in page."""

    reason: str  # "idle" | "expired"
    principal: str


def session_hash(session_id: str) -> str:
    return hashlib.sha256(b"console-session:" + session_id.encode("ascii", "replace")).hexdigest()


def csrf_of(session_id: str) -> str:
    return hmac.new(session_id.encode("ascii", "replace"), b"csrf", hashlib.sha256).hexdigest()


def csrf_matches(expected: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(expected.encode(), (presented or "").encode())


def _sealer(session_id: str) -> Fernet:
    key = hashlib.sha256(b"console-seal:" + session_id.encode("ascii", "replace")).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def create(
    db: Database,
    *,
    kind: str,
    principal: str,
    role: Role,
    token: str,
    expires_at: datetime,
    account: str | None = None,
    issued_token: str | None = None,
) -> str:
    """Store a new session and return its id (for the cookie; it exists nowhere else)."""
    session_id = secrets.token_urlsafe(32)
    db.execute(
        """
        INSERT INTO console_sessions (session_hash, kind, principal, role, account, issued_token, sealed_token,
                                      expires_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            session_hash(session_id),
            kind,
            principal,
            role.value,
            account,
            issued_token,
            _sealer(session_id).encrypt(token.encode()),
            expires_at,
        ),
    )
    return session_id


def load(db: Database, session_id: str | None, *, idle: timedelta) -> ConsoleSession | Ended | None:
    """The live session the cookie names (its last use moved to now), `Ended` when it has just ended, else None."""
    if not session_id or len(session_id) != _ID_SHAPE_LENGTH:
        return None
    key = session_hash(session_id)
    row = db.fetchone(
        """
        UPDATE console_sessions SET last_seen_at = now()
        WHERE session_hash = %s AND last_seen_at > now() - %s AND expires_at > now()
        RETURNING kind, principal, role, account, sealed_token, expires_at
        """,
        (key, idle),
    )
    if row is None:
        gone = end(db, key)
        if gone is None:
            return None
        principal, expired = gone
        return Ended("expired" if expired else "idle", principal)
    try:
        token = _sealer(session_id).decrypt(bytes(row["sealed_token"])).decode()
    except InvalidToken:
        end(db, key)
        return None
    return ConsoleSession(
        session_hash=key,
        kind=row["kind"],
        principal=row["principal"],
        role=Role(row["role"]),
        account=row["account"],
        token=token,
        csrf=csrf_of(session_id),
        expires_at=row["expires_at"],
    )


def end(db: Database, key: str) -> tuple[str, bool] | None:
    """Delete the session (and revoke the token issued for it); (principal, past its absolute end) or None."""

    def work(cur):  # type: ignore[no-untyped-def]
        cur.execute(
            "DELETE FROM console_sessions WHERE session_hash = %s RETURNING principal, issued_token, expires_at",
            (key,),
        )
        row = cur.fetchone()
        if row is None:
            return None
        _revoke(cur, [row["issued_token"]])
        return row["principal"], row["expires_at"] <= datetime.now(UTC)

    return db.run(work)


def end_account_sessions(db: Database, account: str) -> int:
    """End every session of a console account (one session per account: a new sign-in ends the earlier one)."""

    def work(cur):  # type: ignore[no-untyped-def]
        cur.execute("DELETE FROM console_sessions WHERE account = %s RETURNING issued_token", (account,))
        rows = cur.fetchall()
        _revoke(cur, [r["issued_token"] for r in rows])
        return len(rows)

    return db.run(work)


def sweep(db: Database, *, idle: timedelta) -> int:
    """End sessions idle or past their end that nobody came back to, revoking their tokens; how many."""

    def work(cur):  # type: ignore[no-untyped-def]
        cur.execute(
            "DELETE FROM console_sessions WHERE last_seen_at <= now() - %s OR expires_at <= now() "
            "RETURNING issued_token",
            (idle,),
        )
        rows = cur.fetchall()
        _revoke(cur, [r["issued_token"] for r in rows])
        return len(rows)

    return db.run(work)


def _revoke(cur, names: list[str | None]) -> None:  # type: ignore[no-untyped-def]
    live = [n for n in names if n]
    if live:
        cur.execute("UPDATE api_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND name = ANY(%s)", (live,))
