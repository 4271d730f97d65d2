"""The append-only, hash-chained audit log (45 CFR 164.312(b): record and examine activity).

Theory of operation:
- Each row stores `prev_hash` (the previous row's `row_hash`, or GENESIS for the first) and
  `row_hash = sha256(prev_hash || canonical(row))`, where canonical(row) is the row's fields as compact, key-sorted
  JSON. Changing, removing or reordering any row breaks every hash from there on, and `verify` names the first.
- Appends take a transaction-scoped advisory lock before reading the chain head, so two writers can never both
  chain onto the same row (a fork). The lock is held until the caller's transaction ends, which lets a business
  write and its audit row commit together.
- Triggers refuse UPDATE, DELETE and TRUNCATE (postgres/init/01-core-schema.sql). A superuser can still disable
  them; the chain is what makes such tampering visible, and the head hash is what to export off the database.
- No PHI in free text by design: the fields hold ids, actions, outcomes and sizes. `details` must be too.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg2.extensions
import psycopg2.extras

from core.db import Database

GENESIS = "0" * 64
_APPEND_LOCK_KEY = 0x1A7E11C6
OUTCOMES = ("success", "denied", "failure", "error")

# Column order of the canonical form; changing it invalidates every existing chain, so it is fixed here.
_CANONICAL_FIELDS = (
    "seq", "audit_id", "created_at", "service", "user_id", "actor_role", "action", "resource_type",
    "resource_id", "outcome", "http_status", "client_ip", "request_id", "details",
)  # fmt: skip


@dataclass(frozen=True)
class AuditEvent:
    """What happened; `details` holds sizes, counts and codes — never names, notes or other PHI."""

    service: str
    user_id: str
    action: str
    resource_type: str
    outcome: str
    actor_role: str | None = None
    resource_id: str | None = None
    http_status: int | None = None
    client_ip: str | None = None
    request_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {self.outcome!r}")
        for name in ("service", "user_id", "action", "resource_type"):
            if not getattr(self, name):
                raise ValueError(f"audit event needs a non-empty {name}")


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    audit_id: str
    created_at: datetime
    row_hash: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows_checked: int
    head_seq: int | None
    head_hash: str
    first_bad_seq: int | None = None
    first_bad_audit_id: str | None = None
    reason: str | None = None


def _canonical(row: dict[str, Any]) -> bytes:
    created = row["created_at"]
    values = dict(row)
    values["created_at"] = created.astimezone(UTC).isoformat(timespec="microseconds")
    values["audit_id"] = str(values["audit_id"])
    ordered = {name: values[name] for name in _CANONICAL_FIELDS}
    return json.dumps(ordered, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def chain_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + _canonical(row)).hexdigest()


def append_in(cur: psycopg2.extensions.cursor, event: AuditEvent, *, at: datetime | None = None) -> AuditRecord:
    """Append inside the caller's transaction (the row commits or rolls back with it).

    `at` is when the event happened, for events reported after the fact; it defaults to now.
    """
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (_APPEND_LOCK_KEY,))
    cur.execute("SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    head = cur.fetchone()
    if head is None:
        seq, prev_hash = 1, GENESIS
    elif isinstance(head, dict):
        seq, prev_hash = head["seq"] + 1, head["row_hash"]
    else:
        seq, prev_hash = head[0] + 1, head[1]
    row: dict[str, Any] = {
        "seq": seq,
        "audit_id": str(uuid.uuid4()),
        "created_at": (at or datetime.now(UTC)).astimezone(UTC),
        "service": event.service,
        "user_id": event.user_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "outcome": event.outcome,
        "http_status": event.http_status,
        "client_ip": event.client_ip,
        "request_id": event.request_id,
        "details": event.details,
    }
    # Round-trip details through JSON first so the hash covers exactly what jsonb will give back.
    row["details"] = json.loads(json.dumps(event.details, default=str))
    row_hash = chain_hash(prev_hash, row)
    cur.execute(
        """
        INSERT INTO audit_log (seq, audit_id, created_at, service, user_id, actor_role, action, resource_type,
                               resource_id, outcome, http_status, client_ip, request_id, details, prev_hash, row_hash)
        VALUES (%(seq)s, %(audit_id)s, %(created_at)s, %(service)s, %(user_id)s, %(actor_role)s, %(action)s,
                %(resource_type)s, %(resource_id)s, %(outcome)s, %(http_status)s, %(client_ip)s, %(request_id)s,
                %(details)s, %(prev_hash)s, %(row_hash)s)
        """,
        {**row, "details": json.dumps(row["details"]), "prev_hash": prev_hash, "row_hash": row_hash},
    )
    return AuditRecord(seq=seq, audit_id=row["audit_id"], created_at=row["created_at"], row_hash=row_hash)


def append(db: Database, event: AuditEvent) -> AuditRecord:
    """Append in a transaction of its own; durable when this returns."""
    return db.run(lambda cur: append_in(cur, event))


def _rows(db: Database, batch: int) -> Iterator[dict[str, Any]]:
    columns = ", ".join((*_CANONICAL_FIELDS, "prev_hash", "row_hash"))
    with db.connection() as conn:
        # A named (server-side) cursor streams the table instead of loading it whole.
        with conn.cursor(name="audit_verify", cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.itersize = batch
            cur.execute(f"SELECT {columns} FROM audit_log ORDER BY seq")  # noqa: S608 - fixed column list
            yield from cur


def verify(db: Database, batch: int = 5000) -> VerifyResult:
    """Walk the chain from the first row; stop at and name the first row whose links or hash do not hold."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for row in _rows(db, batch):
        problem = None
        if row["seq"] != expected_seq:
            problem = f"sequence jumps from {expected_seq - 1} to {row['seq']} (rows missing)"
        elif row["prev_hash"] != prev_hash:
            problem = "prev_hash does not match the previous row's hash"
        elif chain_hash(prev_hash, row) != row["row_hash"]:
            problem = "row contents do not match its hash (altered)"
        if problem is not None:
            return VerifyResult(
                ok=False,
                rows_checked=checked,
                head_seq=expected_seq - 1 if checked else None,
                head_hash=prev_hash,
                first_bad_seq=row["seq"],
                first_bad_audit_id=str(row["audit_id"]),
                reason=problem,
            )
        prev_hash = row["row_hash"]
        expected_seq += 1
        checked += 1
    return VerifyResult(ok=True, rows_checked=checked, head_seq=checked or None, head_hash=prev_hash)
