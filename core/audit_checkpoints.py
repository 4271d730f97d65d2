"""Signed checkpoints of the audit chain's head, kept outside the database.

Why: the chain (core.audit) shows a changed or removed row only while a later row still links to it. Whoever can
write the table as a superuser can delete the newest rows, or change a row and re-chain everything after it with
the database's own `audit_row_hash()`: the chain verifies again. A checkpoint is the head (seq and row hash) at a
moment, signed with HMAC-SHA256 under a key the database never holds (INTELLUXE_AUDIT_KEY, else
$INTELLUXE_HOME/audit.key, made once with mode 0600), appended to a file beside it. `intelluxe audit verify` checks
the chain, then that the newest checkpoint's row is still there with the same hash, and only then signs the current
head. So anything deleted or rewritten at or before the last checkpoint is named; what an attacker removes between
two checkpoints is not: run `intelluxe audit verify` on a schedule (a cron or systemd timer, e.g. hourly) to keep
that window short.

One file per database (named by a hash of the connection URL without its password), so checkpoints of one
install's database are never compared with another's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.audit import VerifyResult
from core.config import Settings
from core.db import Database, without_password
from core.keys import secret_file


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    row_hash: str
    signed_at: str
    mac: str

    def message(self) -> bytes:
        return f"{self.seq}|{self.row_hash}|{self.signed_at}".encode()


@dataclass(frozen=True)
class CheckpointCheck:
    """What the newest checkpoint says of the chain: `problem` None when it holds (or there is none yet)."""

    problem: str | None
    last: Checkpoint | None
    file: Path


def key(settings: Settings) -> bytes:
    """The signing key: INTELLUXE_AUDIT_KEY, else the key file under INTELLUXE_HOME (made on first use)."""
    configured = settings.environ.get("INTELLUXE_AUDIT_KEY", "")
    if configured:
        return configured.encode()
    return secret_file(settings.home / "audit.key", lambda: secrets.token_hex(32)).encode()


def checkpoint_file(settings: Settings, db: Database) -> Path:
    name = hashlib.sha256(without_password(db.url).encode()).hexdigest()[:16]
    return settings.home / "audit-checkpoints" / f"{name}.jsonl"


def _sign(secret: bytes, seq: int, row_hash: str, signed_at: str) -> Checkpoint:
    unsigned = Checkpoint(seq, row_hash, signed_at, "")
    return Checkpoint(seq, row_hash, signed_at, hmac.new(secret, unsigned.message(), hashlib.sha256).hexdigest())


def check(settings: Settings, db: Database) -> CheckpointCheck:
    """The newest checkpoint against the database: is its row still there, unchanged?"""
    path = checkpoint_file(settings, db)
    if not path.exists():
        return CheckpointCheck(None, None, path)
    secret = key(settings)
    last: Checkpoint | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            found = Checkpoint(**json.loads(line))
        except (ValueError, TypeError):
            return CheckpointCheck(f"checkpoint file {path} line {number} is not a checkpoint (edited?)", last, path)
        expected = _sign(secret, found.seq, found.row_hash, found.signed_at)
        if not hmac.compare_digest(found.mac, expected.mac):
            return CheckpointCheck(
                f"checkpoint file {path} line {number} is not signed with this install's audit key (edited?)",
                last,
                path,
            )
        if last is not None and found.seq < last.seq:
            return CheckpointCheck(f"checkpoint file {path} line {number} goes back in the chain (edited?)", last, path)
        last = found
    if last is None:
        return CheckpointCheck(None, None, path)
    row = db.fetchone("SELECT row_hash FROM audit_log WHERE seq = %s", (last.seq,))
    if row is None:
        head = db.fetchone("SELECT coalesce(max(seq), 0) AS seq FROM audit_log")
        ends = head["seq"] if head else 0
        return CheckpointCheck(
            f"row {last.seq}, the head signed at {last.signed_at}, is gone: rows were deleted from the end of the "
            f"chain (it now ends at seq {ends})",
            last,
            path,
        )
    if row["row_hash"] != last.row_hash:
        return CheckpointCheck(
            f"row {last.seq} is not the row signed at {last.signed_at}: the chain was rewritten and re-hashed "
            "up to or past it",
            last,
            path,
        )
    return CheckpointCheck(None, last, path)


def record(settings: Settings, db: Database, result: VerifyResult) -> Checkpoint | None:
    """Sign the verified head and append it (durably) to the database's checkpoint file; None for an empty log."""
    if not result.ok or result.head_seq is None:
        return None
    signed = _sign(key(settings), result.head_seq, result.head_hash, datetime.now(UTC).isoformat(timespec="seconds"))
    path = checkpoint_file(settings, db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(signed)) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return signed
