"""Doctor enrollment for dictation: the doctor's token, Fernet key and vocabulary, and the client's config file.

Why the server issues the key: the client encrypts every audio chunk with a key the receiver must already hold. The
seed's client made a random key per run that the server could never know. Here `intelluxe enroll-doctor` makes
the key, stores it encrypted under the master key, and writes it into the config file the doctor installs.

Rotation keeps the previous keys for a grace period (MultiFernet: the newest encrypts, all unexpired ones
decrypt), so a client still using the old key keeps working until its new config is installed. Revocation ends the
token and forgets the keys.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from core import auth
from core.db import Database

DOCTOR_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")
# A rotation's token is named dictation-<id>-<20 digits>; an id may not end like that, so a name maps to one doctor.
_ROTATION_SUFFIX = re.compile(r"-\d{20}$")
_TOKEN_NAME = re.compile(r"^dictation-(?P<doctor>.+?)(?:-\d{20})?$")
MAX_VOCABULARY = 4000  # characters; Whisper's initial prompt holds about 224 tokens, the rest is ignored


class EnrollmentError(Exception):
    """The doctor id is malformed, already enrolled, not enrolled or revoked; the message says which."""


@dataclass(frozen=True)
class ClientConfig:
    """What the doctor's client needs: where to connect, who it is, its token and key, and the CA to trust."""

    server_url: str
    doctor_id: str
    token: str
    fernet_key: str
    ca_certificate: str

    def write(self, path: Path) -> None:
        """Written with mode 0600: the file holds the doctor's token and key."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2)
            handle.write("\n")


def token_name(doctor_id: str) -> str:
    return f"dictation-{doctor_id}"


def _revoke_tokens(db: Database, doctor_id: str) -> None:
    """Every token the doctor was ever issued (the first, and one per rotation)."""
    db.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE (name = %s OR name LIKE %s) AND revoked_at IS NULL",
        (token_name(doctor_id), token_name(doctor_id) + "-%"),
    )


def doctor_for_token(name: str) -> str | None:
    """The doctor a dictation token belongs to, from its name (the first one's or a rotation's); None for a token
    that is not a dictation token (a service's, a billing clerk's)."""
    match = _TOKEN_NAME.match(name)
    if match is None or not DOCTOR_ID.match(match["doctor"]):
        return None
    return match["doctor"]


def _check_id(doctor_id: str) -> None:
    if not DOCTOR_ID.match(doctor_id):
        raise EnrollmentError(
            f"doctor id {doctor_id!r} must be lowercase letters, digits, '_', '.' or '-' (at most 128)"
        )
    if _ROTATION_SUFFIX.search(doctor_id):
        raise EnrollmentError(f"doctor id {doctor_id!r} may not end in '-' and 20 digits (rotated tokens are named so)")


def _seal(master: MultiFernet, keys: list[dict[str, str | None]]) -> str:
    return master.encrypt(json.dumps(keys).encode()).decode()


def _unseal(master: MultiFernet, sealed: str) -> list[dict[str, str | None]]:
    return json.loads(master.decrypt(sealed.encode()))


def enroll(db: Database, master: MultiFernet, doctor_id: str, vocabulary: str = "") -> tuple[str, str]:
    """A new doctor: (token, fernet key). Refused when the doctor is enrolled already (rotate instead)."""
    _check_id(doctor_id)
    if len(vocabulary) > MAX_VOCABULARY:
        raise EnrollmentError(f"vocabulary is {len(vocabulary)} characters; at most {MAX_VOCABULARY} are used")
    existing = db.fetchone("SELECT revoked_at FROM doctors WHERE doctor_id = %s", (doctor_id,))
    if existing is not None and existing["revoked_at"] is None:
        raise EnrollmentError(f"doctor {doctor_id!r} is enrolled already; use --rotate for a new key")
    _revoke_tokens(db, doctor_id)
    token = auth.issue_token(db, token_name(doctor_id), auth.Role.CLINICIAN)
    key = Fernet.generate_key().decode()
    sealed = _seal(master, [{"key": key, "expires_at": None}])
    db.execute(
        """
        INSERT INTO doctors (doctor_id, token_name, keys_encrypted, vocabulary) VALUES (%s, %s, %s, %s)
        ON CONFLICT (doctor_id) DO UPDATE SET token_name = EXCLUDED.token_name,
            keys_encrypted = EXCLUDED.keys_encrypted, vocabulary = EXCLUDED.vocabulary, enrolled_at = now(),
            rotated_at = NULL, revoked_at = NULL
        """,
        (doctor_id, token_name(doctor_id), sealed, vocabulary),
    )
    return token, key


def rotate(
    db: Database, master: MultiFernet, doctor_id: str, grace: timedelta = timedelta(hours=24)
) -> tuple[str, str]:
    """A new token and key for an enrolled doctor: (token, key). The previous token and keys keep working for
    `grace`, so the doctor's client runs on until the new config file is installed."""
    _check_id(doctor_id)
    row = db.fetchone("SELECT keys_encrypted, token_name, revoked_at FROM doctors WHERE doctor_id = %s", (doctor_id,))
    if row is None or row["revoked_at"] is not None:
        raise EnrollmentError(f"doctor {doctor_id!r} is not enrolled")
    now = datetime.now(UTC)
    until = now + grace
    old = []
    for entry in _unseal(master, row["keys_encrypted"]):
        expires = datetime.fromisoformat(entry["expires_at"]) if entry["expires_at"] else None
        if expires is None or expires > now:
            old.append({"key": entry["key"], "expires_at": min(expires or until, until).isoformat()})
    db.execute(
        "UPDATE api_tokens SET expires_at = LEAST(COALESCE(expires_at, %s), %s) WHERE name = %s AND revoked_at IS NULL",
        (until, until, row["token_name"]),
    )
    new_name = f"{token_name(doctor_id)}-{now:%Y%m%d%H%M%S%f}"
    token = auth.issue_token(db, new_name, auth.Role.CLINICIAN)
    key = Fernet.generate_key().decode()
    db.execute(
        "UPDATE doctors SET keys_encrypted = %s, token_name = %s, rotated_at = now() WHERE doctor_id = %s",
        (_seal(master, [{"key": key, "expires_at": None}, *old]), new_name, doctor_id),
    )
    return token, key


def revoke(db: Database, doctor_id: str) -> bool:
    """End the doctor's access: every token of the doctor is revoked and the keys are forgotten. False when the
    doctor is not enrolled."""
    _check_id(doctor_id)
    count = db.execute(
        "UPDATE doctors SET revoked_at = now(), keys_encrypted = '' WHERE doctor_id = %s AND revoked_at IS NULL",
        (doctor_id,),
    )
    _revoke_tokens(db, doctor_id)
    return count > 0


def set_vocabulary(db: Database, doctor_id: str, vocabulary: str) -> None:
    if len(vocabulary) > MAX_VOCABULARY:
        raise EnrollmentError(f"vocabulary is {len(vocabulary)} characters; at most {MAX_VOCABULARY} are used")
    if db.execute("UPDATE doctors SET vocabulary = %s WHERE doctor_id = %s", (vocabulary, doctor_id)) == 0:
        raise EnrollmentError(f"doctor {doctor_id!r} is not enrolled")


@dataclass(frozen=True)
class DoctorKeys:
    """What the receiver needs for one session: the keys that decrypt now (newest first) and the vocabulary."""

    fernet: MultiFernet
    vocabulary: str


def doctor_keys(db: Database, master: MultiFernet, doctor_id: str) -> DoctorKeys | None:
    """The doctor's unexpired keys, or None when the doctor is unknown or revoked."""
    row = db.fetchone("SELECT keys_encrypted, vocabulary, revoked_at FROM doctors WHERE doctor_id = %s", (doctor_id,))
    if row is None or row["revoked_at"] is not None or not row["keys_encrypted"]:
        return None
    now = datetime.now(UTC)
    keys = [
        Fernet(k["key"].encode())
        for k in _unseal(master, row["keys_encrypted"])
        if k["expires_at"] is None or datetime.fromisoformat(k["expires_at"]) > now
    ]
    return DoctorKeys(MultiFernet(keys), row["vocabulary"]) if keys else None
