"""The web console's user accounts: people (the compliance officer, the billing desk) who sign in with a name and a
password instead of pasting a suite token. Ops make them with `intelluxe console-user add NAME --role ROLE`; the
console (services/user/console) only reads them.

Passwords are hashed with scrypt from the standard library (no new dependency). The parameters are OWASP's
N=2^14, r=8, p=5 row of its equal-cost table: 16 MiB per hash, which several gevent workers can afford at once
where N=2^17 (128 MiB) could not. Each hash records its parameters, so they can be raised later without breaking
the accounts made before.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from core.auth import Role
from core.db import Database

# The roles a person at the console can hold: what each sees is decided by the console's navigation and, behind
# it, by the services themselves.
ACCOUNT_ROLES = (Role.ADMIN, Role.BILLING, Role.COMPLIANCE)
NAME_SHAPE = re.compile(r"^[a-z][a-z0-9_.-]{0,62}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
_N, _R, _P = 2**14, 8, 5
_MAXMEM = 64 * 1024 * 1024


class AccountError(ValueError):
    """A console account cannot be made or changed as asked; the message says why (never the password)."""


@dataclass(frozen=True)
class Account:
    name: str
    role: Role
    created_at: datetime
    password_set_at: datetime
    disabled_at: datetime | None

    @property
    def state(self) -> str:
        return "disabled" if self.disabled_at is not None else "active"


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash` (base64 without padding)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """Whether `password` matches the stored hash; a malformed hash matches nothing."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), maxmem=_MAXMEM, dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the account is unknown or disabled, so those cost the same time as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must have at most {MAX_PASSWORD} characters")


def add_account(db: Database, name: str, role: Role | str, password: str) -> Account:
    if not NAME_SHAPE.match(name):
        raise AccountError(
            f"account name {name!r} must start with a letter and hold up to 63 lower-case letters, digits, "
            "'_', '.', '-'"
        )
    role = Role(role)
    if role not in ACCOUNT_ROLES:
        raise AccountError(f"role must be one of {', '.join(r.value for r in ACCOUNT_ROLES)}")
    check_new_password(password)
    row = db.fetchone(
        """
        INSERT INTO console_users (name, role, password_hash) VALUES (%s, %s, %s)
        ON CONFLICT (name) DO NOTHING
        RETURNING name, role, created_at, password_set_at, disabled_at
        """,
        (name, role.value, hash_password(password)),
    )
    if row is None:
        raise AccountError(f"an account named {name!r} exists")
    return _account(row)


def set_password(db: Database, name: str, password: str) -> None:
    check_new_password(password)
    count = db.execute(
        "UPDATE console_users SET password_hash = %s, password_set_at = now() WHERE name = %s",
        (hash_password(password), name),
    )
    if count == 0:
        raise AccountError(f"no account named {name!r}")


def disable_account(db: Database, name: str) -> None:
    """Disable the account and end its console sessions (their tokens are revoked by the console's own sweep,
    and at once here when the administrator's connection allows it)."""
    count = db.execute("UPDATE console_users SET disabled_at = now() WHERE name = %s AND disabled_at IS NULL", (name,))
    if count == 0:
        raise AccountError(f"no active account named {name!r}")
    db.execute(
        """
        UPDATE api_tokens SET revoked_at = now()
        WHERE revoked_at IS NULL AND name IN (SELECT issued_token FROM console_sessions WHERE account = %s)
        """,
        (name,),
    )
    db.execute("DELETE FROM console_sessions WHERE account = %s", (name,))


def enable_account(db: Database, name: str) -> None:
    count = db.execute(
        "UPDATE console_users SET disabled_at = NULL WHERE name = %s AND disabled_at IS NOT NULL", (name,)
    )
    if count == 0:
        raise AccountError(f"no disabled account named {name!r}")


def list_accounts(db: Database) -> list[Account]:
    rows = db.fetchall("SELECT name, role, created_at, password_set_at, disabled_at FROM console_users ORDER BY name")
    return [_account(r) for r in rows]


def authenticate(db: Database, name: str, password: str) -> Account | None:
    """The active account `name` when `password` is its password, else None — in about the same time whether the
    account is unknown, disabled or the password wrong."""
    row = None
    if NAME_SHAPE.match(name) and len(password) <= MAX_PASSWORD:
        row = db.fetchone(
            "SELECT name, role, created_at, password_set_at, disabled_at, password_hash FROM console_users "
            "WHERE name = %s",
            (name,),
        )
    if row is None or row["disabled_at"] is not None:
        check_password(password[:MAX_PASSWORD], _dummy_hash())
        return None
    if not check_password(password, row["password_hash"]):
        return None
    return _account(row)


def _account(row: dict) -> Account:  # type: ignore[type-arg]
    return Account(row["name"], Role(row["role"]), row["created_at"], row["password_set_at"], row["disabled_at"])


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))
