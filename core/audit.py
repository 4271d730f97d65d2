"""The append-only, hash-chained audit log (45 CFR 164.312(b): record and examine activity).

Theory of operation:
- Each row stores `prev_hash` (the previous row's `row_hash`, or GENESIS for the first) and
  `row_hash = sha256(prev_hash, every field)`. Changing, removing or reordering any row breaks the chain from there
  on, and `verify` names the first row where it breaks.
- The hash has one definition, the SQL function `audit_row_hash` (postgres/init/01-core-schema.sql). Appends go
  through `audit_append`, which takes a transaction-scoped advisory lock before reading the chain head, so two
  writers never chain onto the same row (a fork); the lock lasts until the caller's transaction ends, so a business
  write and its audit row commit together. `verify` streams each row with the hash PostgreSQL recomputes for it and
  checks sequence, links and hashes — fast because the hashing happens next to the data.
- Triggers refuse UPDATE, DELETE and TRUNCATE. A superuser can still disable them; the chain is what makes such
  tampering visible, and the head hash (`intelluxe audit verify`) is what to record outside the database.
- No PHI in free text by design: the fields hold ids, actions, outcomes and sizes. `details` must be too.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import psycopg2.extensions

from core.db import Database

GENESIS = "0" * 64
OUTCOMES = ("success", "denied", "failure", "error")


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


class RequestTrail(Protocol):
    """The audit row of the request being served, as domain code sees it: `note` what it touched (ids, counts —
    never PHI), or `write_in` the row inside the domain's own transaction, so a business write and its audit row
    commit together (core.web provides it; the row is otherwise written when the answer leaves)."""

    def note(self, resource_id: str | None, **details: Any) -> None: ...

    def write_in(self, cur: psycopg2.extensions.cursor) -> None: ...


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


def append_in(cur: psycopg2.extensions.cursor, event: AuditEvent, *, at: datetime | None = None) -> AuditRecord:
    """Append inside the caller's transaction (the row commits or rolls back with it).

    `at` is when the event happened, for events reported after the fact; it defaults to now.
    """
    audit_id = str(uuid.uuid4())
    created_at = (at or datetime.now(UTC)).astimezone(UTC)
    cur.execute(
        "SELECT seq, row_hash FROM audit_append(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            audit_id,
            created_at,
            event.service,
            event.user_id,
            event.actor_role,
            event.action,
            event.resource_type,
            event.resource_id,
            event.outcome,
            event.http_status,
            event.client_ip,
            event.request_id,
            json.dumps(event.details, default=str),
        ),
    )
    row = cur.fetchone()
    seq, row_hash = (row["seq"], row["row_hash"]) if isinstance(row, dict) else row
    return AuditRecord(seq=seq, audit_id=audit_id, created_at=created_at, row_hash=row_hash)


@dataclass
class _Pending:
    event: AuditEvent
    done: threading.Event = field(default_factory=threading.Event)
    promoted: bool = False
    record: AuditRecord | None = None
    error: BaseException | None = None

    def result(self) -> AuditRecord:
        if self.error is not None:
            raise self.error
        assert self.record is not None
        return self.record


class AuditWriter:
    """Group commit for appends from many request threads of one process.

    Each caller still returns only after the transaction holding its row has committed (durable before the
    response), but rows that arrive while a commit is under way wait for the next one and share it: one advisory
    lock round and one commit for many rows instead of one each. No background thread: the first caller in leads
    a batch; when it is done it hands leadership to the oldest waiter, if any.
    """

    def __init__(self, db: Database, max_batch: int = 64) -> None:
        self.db = db
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._writing = False

    def append(self, event: AuditEvent) -> AuditRecord:
        me = _Pending(event)
        with self._lock:
            self._queue.append(me)
            lead = not self._writing
            self._writing = True
        if not lead:
            me.done.wait()
            if not me.promoted:
                return me.result()
        with self._lock:
            batch = self._queue[: self.max_batch]
            del self._queue[: len(batch)]
        try:
            records = self.db.run(lambda cur: [append_in(cur, p.event) for p in batch])
            for pending, record in zip(batch, records, strict=True):
                pending.record = record
        except BaseException as exc:  # noqa: BLE001 - every waiter of the batch must hear of it
            for pending in batch:
                pending.error = exc
        for pending in batch:
            if pending is not me:
                pending.promoted = False
                pending.done.set()
        with self._lock:
            if self._queue:
                successor = self._queue[0]
                successor.promoted = True
                successor.done.set()
            else:
                self._writing = False
        return me.result()


def append(db: Database, event: AuditEvent) -> AuditRecord:
    """Append in a transaction of its own; durable when this returns."""
    return db.run(lambda cur: append_in(cur, event))


_VERIFY_SQL = """
SELECT seq, audit_id, prev_hash, row_hash,
       audit_row_hash(prev_hash, seq, audit_id, created_at, service, user_id, actor_role, action, resource_type,
                      resource_id, outcome, http_status, client_ip, request_id, details) AS computed
FROM audit_log ORDER BY seq
"""


def _rows(db: Database, batch: int) -> Iterator[tuple[Any, ...]]:
    with db.connection() as conn:
        # A named (server-side) cursor streams the table instead of loading it whole; plain tuples are cheapest.
        with conn.cursor(name="audit_verify") as cur:
            cur.itersize = batch
            cur.execute(_VERIFY_SQL)
            yield from cur


def verify(db: Database, batch: int = 10000) -> VerifyResult:
    """Walk the chain from the first row; stop at and name the first row whose links or hash do not hold."""
    prev_hash = GENESIS
    expected_seq = 1
    for seq, audit_id, row_prev, row_hash, computed in _rows(db, batch):
        problem = None
        if seq != expected_seq:
            problem = f"sequence jumps from {expected_seq - 1} to {seq} (rows missing)"
        elif row_prev != prev_hash:
            problem = "prev_hash does not match the previous row's hash"
        elif computed != row_hash:
            problem = "row contents do not match its hash (altered)"
        if problem is not None:
            checked = expected_seq - 1
            return VerifyResult(
                ok=False,
                rows_checked=checked,
                head_seq=checked or None,
                head_hash=prev_hash,
                first_bad_seq=seq,
                first_bad_audit_id=str(audit_id),
                reason=problem,
            )
        prev_hash = row_hash
        expected_seq += 1
    checked = expected_seq - 1
    return VerifyResult(ok=True, rows_checked=checked, head_seq=checked or None, head_hash=prev_hash)
