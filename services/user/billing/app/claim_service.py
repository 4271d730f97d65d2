"""billing's domain step: a claim from a request, its estimate, its storage with idempotency, its 837P.

Creating a claim: validate → ask insurance-verify (inactive/rejected → refused with the payer's reason) → allowed
amounts (request, else the fee schedule in effect on the service date, else billed) → the adjudication-order
estimate (core.claims.estimate, the same function `intelluxe billing estimate` runs) → one transaction holding the
claim, its idempotency record and its audit row.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from claim_models import CreateClaim
from psycopg2.extras import Json
from ulid import ULID

from core.claims.codes import icd10_undotted
from core.claims.estimate import CoverageTerms, LineInput, estimate
from core.clinic import Clinic
from core.db import Database
from core.payers.config import PayerConfig
from core.x12 import BillingProvider, Party, Payer, ProfessionalClaim, ServiceLine, Subscriber, build_837p

_IDEMPOTENCY_LOCK = 0x1A7E11D0


class ClaimConflict(Exception):
    """The idempotency key was used before with a different request body."""


class ClaimNotEligible(Exception):
    def __init__(self, status: str, reason: str, reason_code: str | None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.reason_code = reason_code


class ClaimNotExportable(Exception):
    """The stored claim lacks what an 837P needs (a diagnosis, subscriber demographics); says which."""


def request_hash(body: CreateClaim) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_claim_id() -> str:
    return f"CLM-{ULID()}"


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def coverage_terms(eligibility: dict[str, Any]) -> CoverageTerms:
    """The estimate's inputs from a /verify answer (money already parsed as Decimal)."""
    details = eligibility.get("coverage_details") or {}
    return CoverageTerms(
        deductible_remaining=_dec(details.get("deductible_remaining")),
        coinsurance_rate=_dec(eligibility.get("coinsurance_rate")),
        copay_amount=_dec(details.get("copay_amount")),
        out_of_pocket_remaining=_dec(eligibility.get("out_of_pocket_remaining")),
        family_deductible_remaining=_dec(details.get("family_deductible_remaining")),
    )


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


@dataclass(frozen=True)
class NewClaim:
    claim_id: str
    response: dict[str, Any]
    record: dict[str, Any]


def build_claim(
    body: CreateClaim,
    *,
    payer_id: str,
    eligibility: dict[str, Any],
    allowed: list[tuple[Decimal, str]],
    claim_date: date,
    billing_npi: str,
) -> NewClaim:
    status = eligibility.get("eligibility_status")
    if status != "active":
        raise ClaimNotEligible(
            status or "unknown",
            eligibility.get("reject_reason") or f"coverage is {status} for the service date",
            eligibility.get("reject_reason_code"),
        )
    lines_in = [
        LineInput(code=s.code, billed=s.amount, allowed=a, covered=True)
        for s, (a, _) in zip(body.services, allowed, strict=True)
    ]
    est = estimate(coverage_terms(eligibility), lines_in)
    claim_id = new_claim_id()
    created = datetime.now(UTC)
    lines = []
    for s, (_, source), line in zip(body.services, allowed, est.lines, strict=True):
        lines.append(
            {
                "code": s.code,
                "amount": s.amount,
                "units": s.units,
                "modifiers": s.modifiers,
                "diagnosis_codes": s.diagnosis_codes,
                "place_of_service": s.place_of_service or "11",
                "service_date": s.service_date or claim_date,
                "allowed_amount": line.allowed,
                "allowed_source": source,
                "contractual_adjustment": line.contractual_adjustment,
                "copay": line.copay,
                "deductible": line.deductible,
                "coinsurance": line.coinsurance,
                "non_covered": line.non_covered,
                "out_of_pocket_cap_applied": line.out_of_pocket_cap_applied,
                "patient_responsibility": line.patient_responsibility,
                "insurance_responsibility": line.insurance_responsibility,
            }
        )
    response = {
        "claim_id": claim_id,
        "patient_id": body.patient_data.patient_id,
        "provider_id": body.patient_data.provider_id,
        "member_id": body.patient_data.member_id,
        "service_date": claim_date,
        "services": [s.model_dump(mode="json", exclude_none=True) for s in body.services],
        "claim_total": est.billed_total,
        "patient_responsibility": est.patient_responsibility,
        "insurance_responsibility": est.insurance_responsibility,
        "status": "submitted",
        "created_date": created,
        "payer_id": payer_id,
        "lines": lines,
        "allowed_total": est.allowed_total,
        "authorization_required_codes": eligibility.get("authorization_required_codes", []),
        "eligibility_source": eligibility.get("source", "payer"),
    }
    record = {
        "response": response,
        "billing_npi": billing_npi,
        "subscriber": eligibility.get("subscriber"),
        "eligibility": {
            k: eligibility.get(k)
            for k in (
                "eligibility_status",
                "plan_name",
                "verification_date",
                "source",
                "effective_date",
                "termination_date",
            )
        },
    }
    return NewClaim(claim_id, response, record)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(o: Any) -> Any:
    # Money is stored as JSON numbers, like the API answers it: exact at cents well below 2**53.
    if isinstance(o, Decimal):
        return float(o)
    if isinstance(o, datetime | date):
        return o.isoformat()
    raise TypeError(type(o).__name__)


def find_idempotent(cur, principal: str, key: str, digest: str) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    """The claim an earlier request with this key made, or None; ClaimConflict if that request differed."""
    cur.execute(
        "SELECT request_hash, claim_id FROM claim_idempotency WHERE principal = %s AND idem_key = %s", (principal, key)
    )
    row = cur.fetchone()
    if row is None:
        return None
    if row["request_hash"] != digest:
        raise ClaimConflict("this Idempotency-Key was used with a different request body")
    return load_claim(cur, row["claim_id"])


def store_claim(
    cur, claim: NewClaim, body: CreateClaim, *, principal: str, idem_key: str | None, digest: str
) -> dict[str, Any]:  # type: ignore[no-untyped-def]
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
            claim.claim_id,
            response["patient_id"],
            response["provider_id"],
            response["member_id"],
            datetime.combine(response["service_date"], time(), UTC),
            Json(_jsonable(claim.record)),
            response["claim_total"],
            response["patient_responsibility"],
            response["insurance_responsibility"],
            response["created_date"],
            response["created_date"],
            response["payer_id"],
            principal,
        ),
    )
    if idem_key is not None:
        cur.execute(
            "INSERT INTO claim_idempotency (principal, idem_key, request_hash, claim_id) VALUES (%s, %s, %s, %s)",
            (principal, idem_key, digest, claim.claim_id),
        )
    return _jsonable(response)


_CLAIM_COLUMNS = "claim_id, claim_data, status, paid_amount, patient_amount, updated_date"


def _claim_view(row: dict[str, Any]) -> dict[str, Any]:
    view = dict(row["claim_data"]["response"])
    view["status"] = row["status"]
    view["paid_amount"] = row["paid_amount"]
    view["patient_amount"] = row["patient_amount"]
    view["updated_date"] = row["updated_date"].isoformat()
    return view


def load_claim(cur, claim_id: str) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    cur.execute(f"SELECT {_CLAIM_COLUMNS} FROM claims WHERE claim_id = %s", (claim_id,))  # noqa: S608
    row = cur.fetchone()
    return None if row is None else _claim_view(row)


def list_claims(
    db: Database, *, patient_id: str | None, status: str | None, member_id: str | None, limit: int, before: str | None
) -> list[dict[str, Any]]:
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
        f"SELECT {_CLAIM_COLUMNS} FROM claims {where} ORDER BY claim_id DESC LIMIT %s",  # noqa: S608
        (*params, limit),
    )
    return [_claim_view(r) for r in rows]


# --------------------------------------------------------------------------------------------------- 837P


def export_837p(claim: dict[str, Any], record: dict[str, Any], *, clinic: Clinic, payer: PayerConfig) -> str:
    """The stored claim as an 837P (005010X222A1) addressed to its payer."""
    sub = record.get("subscriber")
    if not sub or not sub.get("first_name") or not sub.get("last_name"):
        raise ClaimNotExportable("the payer's 271 gave no subscriber name, which an 837P needs")
    if not sub.get("birth_date") or not sub.get("address_line"):
        raise ClaimNotExportable("the payer's 271 gave no subscriber birth date or address, which an 837P needs")
    diagnoses: list[str] = []
    for line in claim["lines"]:
        for code in line["diagnosis_codes"]:
            if code not in diagnoses:
                diagnoses.append(code)
    if not diagnoses:
        raise ClaimNotExportable("no line carries a diagnosis code; an 837P needs at least one")
    lines = tuple(
        ServiceLine(
            procedure_code=line["code"],
            modifiers=tuple(line["modifiers"]),
            charge=Decimal(str(line["amount"])),
            units=Decimal(str(line["units"])),
            diagnosis_pointers=tuple(diagnoses.index(c) + 1 for c in line["diagnosis_codes"]) or (1,),
            service_date=date.fromisoformat(line["service_date"]),
        )
        for line in claim["lines"]
    )
    places = {line["place_of_service"] for line in claim["lines"]}
    professional = ProfessionalClaim(
        claim_id=claim["claim_id"],
        place_of_service=places.pop() if len(places) == 1 else "11",
        diagnosis_codes=tuple(icd10_undotted(c) for c in diagnoses),
        lines=lines,
    )
    subscriber = Subscriber(**{**sub, "birth_date": date.fromisoformat(sub["birth_date"])})
    return build_837p(
        professional,
        submitter=Party(clinic.name, payer.submitter_id, contact_name="BILLING OFFICE", contact_phone="2175550100"),
        receiver=Party(payer.name, payer.receiver_id),
        billing_provider=BillingProvider(
            organization_name=clinic.name,
            npi=record.get("billing_npi") or clinic.npi,
            tax_id=clinic.tax_id,
            address_line=clinic.address.line,
            city=clinic.address.city,
            state=clinic.address.state,
            zip=clinic.address.zip,
        ),
        subscriber=subscriber,
        member_id=claim["member_id"],
        payer=Payer(payer.name, payer.x12_payer_id),
        control_number=secrets.randbelow(999_999_999) + 1,
        now=datetime.now(UTC),
    )


def load_record(db: Database, claim_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    row = db.fetchone(f"SELECT {_CLAIM_COLUMNS} FROM claims WHERE claim_id = %s", (claim_id,))  # noqa: S608
    return None if row is None else (_claim_view(row), row["claim_data"])
