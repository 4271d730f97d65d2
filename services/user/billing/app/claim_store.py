"""Claims in PostgreSQL: the claims table with its idempotency records, and the fee schedule.

Idempotency: the key's record and the claim are written in one transaction under an advisory lock on the key, so
concurrent requests with one key make exactly one claim; a later request with the key and the same body gets that
claim back, with another body a conflict.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import psycopg2.extensions
from psycopg2.extras import Json

from core.claims.claim_request import CreateClaim
from core.db import Database
from core.errors import ApiError

from .models import ClaimResponse, StoredClaim

Cursor = psycopg2.extensions.cursor

_IDEMPOTENCY_LOCK = 0x1A7E11D0
_COLUMNS = "claim_id, claim_data, status, paid_amount, patient_amount, updated_date"


class ClaimConflict(ApiError):
    """The idempotency key was used before with a different request body."""

    code = "idempotency_conflict"


def find_idempotent(cur: Cursor, principal: str, key: str, digest: str) -> ClaimResponse | None:
    """The claim an earlier request with this key made, or None; ClaimConflict if that request differed."""
    cur.execute(
        "SELECT request_hash, claim_id FROM claim_idempotency WHERE principal = %s AND idem_key = %s", (principal, key)
    )
    row = cur.fetchone()
    if row is None:
        return None
    if row["request_hash"] != digest:
        raise ClaimConflict()
    return load_claim(cur, row["claim_id"])


def store_claim(cur: Cursor, claim: StoredClaim, *, principal: str, idem_key: str | None, digest: str) -> ClaimResponse:
    """Insert the claim (and its idempotency record) unless the key's claim exists; returns the claim to answer."""
    if idem_key is not None:
        cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_IDEMPOTENCY_LOCK, f"{principal}\x1f{idem_key}"))
        existing = find_idempotent(cur, principal, idem_key, digest)
        if existing is not None:
            return existing
    response = claim.response
    cur.execute(
        """
        INSERT INTO claims (claim_id, patient_id, provider_id, member_id, service_date, claim_data, claim_total,
                            patient_responsibility, insurance_responsibility, status, created_date, updated_date,
                            payer_id, created_by)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'submitted', %s, %s, %s, %s)
        """,
        (
            response.claim_id,
            response.patient_id,
            response.provider_id,
            response.member_id,
            datetime.combine(response.service_date, time(), UTC),
            Json(claim.jsonb()),
            response.claim_total,
            response.patient_responsibility,
            response.insurance_responsibility,
            response.created_date,
            response.created_date,
            response.payer_id,
            principal,
        ),
    )
    if idem_key is not None:
        cur.execute(
            "INSERT INTO claim_idempotency (principal, idem_key, request_hash, claim_id) VALUES (%s, %s, %s, %s)",
            (principal, idem_key, digest, response.claim_id),
        )
    return response


def _view(row: dict[str, Any]) -> ClaimResponse:
    """The claim as first answered, with what the payer's 835s changed since (status, amounts, when)."""
    stored = StoredClaim.model_validate(row["claim_data"])
    changed = {name: row[name] for name in ("status", "paid_amount", "patient_amount", "updated_date")}
    # Payment fields appear once an 835 has set them: a replay answers exactly what the first call did.
    return stored.response.model_copy(update={k: v for k, v in changed.items() if v is not None})


def load_claim(cur: Cursor, claim_id: str) -> ClaimResponse | None:
    cur.execute(f"SELECT {_COLUMNS} FROM claims WHERE claim_id = %s", (claim_id,))  # noqa: S608
    row = cur.fetchone()
    return None if row is None else _view(row)


def load_stored(db: Database, claim_id: str) -> tuple[ClaimResponse, StoredClaim] | None:
    """The claim as answered and as stored (the 837 needs the stored subscriber and billing NPI)."""
    row = db.fetchone(f"SELECT {_COLUMNS} FROM claims WHERE claim_id = %s", (claim_id,))  # noqa: S608
    return None if row is None else (_view(row), StoredClaim.model_validate(row["claim_data"]))


def list_claims(
    db: Database, *, patient_id: str | None, status: str | None, member_id: str | None, limit: int, before: str | None
) -> list[ClaimResponse]:
    """Newest first; `before` is the last claim id of the previous page (ULIDs sort by creation time)."""
    clauses, params = [], []
    for column, value in (("patient_id", patient_id), ("status", status), ("member_id", member_id)):
        if value is not None:
            clauses.append(f"{column} = %s")
            params.append(value)
    if before is not None:
        clauses.append("claim_id < %s")
        params.append(before)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.fetchall(
        f"SELECT {_COLUMNS} FROM claims {where} ORDER BY claim_id DESC LIMIT %s",  # noqa: S608
        (*params, limit),
    )
    return [_view(r) for r in rows]


def allowed_amounts(db: Database, payer_id: str, body: CreateClaim, claim_date: date) -> list[tuple[Decimal, str]]:
    """(allowed, source) per line: the request's, else the fee schedule's in effect that day, else billed."""
    wanted = [(s.code, s.modifiers[0] if s.modifiers else "") for s in body.services if s.allowed_amount is None]
    fees: dict[tuple[str, str, date], Decimal] = {}
    if wanted:
        rows = db.fetchall(
            """
            SELECT DISTINCT ON (procedure_code, modifier, d.day) procedure_code, modifier, d.day, allowed_amount
            FROM fee_schedule f
            JOIN unnest(%s::date[]) AS d(day) ON f.effective_from <= d.day
            WHERE payer_id = %s AND procedure_code = ANY(%s)
            ORDER BY procedure_code, modifier, d.day, effective_from DESC
            """,
            ([s.service_date or claim_date for s in body.services], payer_id, [c for c, _ in wanted]),
        )
        fees = {(r["procedure_code"], r["modifier"], r["day"]): r["allowed_amount"] for r in rows}
    out = []
    for s in body.services:
        day = s.service_date or claim_date
        if s.allowed_amount is not None:
            out.append((s.allowed_amount, "request"))
            continue
        modifier = s.modifiers[0] if s.modifiers else ""
        fee = fees.get((s.code, modifier, day), fees.get((s.code, "", day)))
        out.append((fee, "fee_schedule") if fee is not None else (s.amount, "billed"))
    return out


def payer_claim_numbers(db: Database, claim_id: str) -> list[str]:
    """The payer's claim control numbers (835 CLP07) a replacement or void of the claim would name: those of its
    newest posted payment, distinct. A reversal (CLP02 22) names the adjudication it takes back, so a later or
    same-file payment that is not a reversal wins over it; one number is the usual answer, none or several leave
    the choice to the billing desk (export_837.payer_claim_control_number)."""
    rows = db.fetchall(
        """
        SELECT payer_claim_number, status_code = '22' AS reversal, created_at FROM claim_payments
        WHERE claim_id = %s AND coalesce(payer_claim_number, '') <> ''
        ORDER BY created_at DESC
        """,
        (claim_id,),
    )
    rows = [r for r in rows if not r["reversal"]] or rows
    newest = [r["payer_claim_number"] for r in rows if r["created_at"] == rows[0]["created_at"]] if rows else []
    return list(dict.fromkeys(newest))
