"""billing's domain step: a claim from a request, in the order the money depends on.

`create_claim`: an earlier request with the same Idempotency-Key? answer its claim → the payer (the request's, else
the clinic's) → insurance-verify's answer (inactive/rejected → refused with the payer's reason; unreachable → 503,
never "not eligible") → allowed amounts (request, else the fee schedule on the service date, else billed) → the
adjudication-order estimate (core.claims.estimate, the same function `intelluxe billing estimate` runs) → one
transaction holding the claim, its idempotency record and its audit row. Money stays Decimal throughout.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask, current_app
from ulid import ULID

from core.audit import RequestTrail
from core.claims.claim_request import CreateClaim
from core.claims.estimate import Estimate, LineInput, estimate
from core.clinic import Clinic
from core.db import Database
from core.eligibility import VerifyRequest, VerifyResponse
from core.errors import ApiError
from core.payers import PayerConfig, require_payer

from .claim_store import allowed_amounts, find_idempotent, store_claim
from .eligibility_client import EligibilityClient
from .models import ClaimLine, ClaimResponse, EligibilitySnapshot, ServiceEcho, StoredClaim


class ClaimNotEligible(ApiError):
    """The payer says the member is not covered (inactive, or the 271 rejected the question)."""

    code = "not_eligible"

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(
            message=f"member not eligible: {reason}", fields={"patient_data.member_id": f"{status}: {reason}"}
        )


@dataclass(frozen=True)
class ClaimRequest:
    """A validated claim request and who sent it."""

    body: CreateClaim
    principal: str
    request_id: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ClaimOutcome:
    claim: ClaimResponse
    replayed: bool  # an earlier request with the same Idempotency-Key made it


@dataclass(frozen=True)
class ClaimWorkflow:
    """What making a claim needs; one per app."""

    db: Database
    payers: dict[str, PayerConfig]
    clinic: Clinic
    eligibility: EligibilityClient

    def create_claim(self, request: ClaimRequest, trail: RequestTrail) -> ClaimOutcome:
        body, key = request.body, request.idempotency_key
        digest = request_hash(body)
        trail.note(None, lines=len(body.services))
        if key is not None:
            earlier = self.db.run(lambda cur: find_idempotent(cur, request.principal, key, digest))
            if earlier is not None:
                trail.note(earlier.claim_id, replayed=True)
                return ClaimOutcome(earlier, replayed=True)
        payer = require_payer(self.payers, body.payer_id or self.clinic.default_payer)
        claim_date = body.service_date or min(
            (s.service_date for s in body.services if s.service_date), default=datetime.now(UTC).date()
        )
        patient = body.patient_data
        question = VerifyRequest(
            member_id=patient.member_id,
            provider_id=patient.provider_id,
            service_codes=[s.code for s in body.services],
            payer_id=payer.payer_id,
            service_date=claim_date,
            member_first_name=patient.first_name,
            member_last_name=patient.last_name,
            member_birth_date=patient.birth_date,
        )
        answer = self.eligibility.verify(question, actor=request.principal, request_id=request.request_id)
        if answer.eligibility_status != "active":
            trail.note(None, eligibility=answer.eligibility_status)
            reason = answer.reject_reason or f"coverage is {answer.eligibility_status} for the service date"
            raise ClaimNotEligible(answer.eligibility_status, reason)
        allowed = allowed_amounts(self.db, payer.payer_id, body, claim_date)
        claim = build_claim(
            body,
            payer_id=payer.payer_id,
            eligibility=answer,
            allowed=allowed,
            claim_date=claim_date,
            billing_npi=body.provider_npi or self.clinic.npi,
        )

        def write(cur):  # type: ignore[no-untyped-def]
            stored = store_claim(cur, claim, principal=request.principal, idem_key=key, digest=digest)
            trail.note(stored.claim_id, replayed=stored.claim_id != claim.response.claim_id)
            trail.write_in(cur)
            return stored

        stored = self.db.run(write, retries=0)
        return ClaimOutcome(stored, replayed=stored.claim_id != claim.response.claim_id)


def request_hash(body: CreateClaim) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_claim_id() -> str:
    return f"CLM-{ULID()}"


def build_claim(
    body: CreateClaim,
    *,
    payer_id: str,
    eligibility: VerifyResponse,
    allowed: list[tuple[Decimal, str]],
    claim_date: date,
    billing_npi: str,
) -> StoredClaim:
    """The claim with its estimate, as it will be stored and answered (an active member's)."""
    lines_in = [
        LineInput(code=s.code, billed=s.amount, allowed=a, covered=True)
        for s, (a, _) in zip(body.services, allowed, strict=True)
    ]
    est = estimate(eligibility.coverage_terms(), lines_in)
    created = datetime.now(UTC)
    response = ClaimResponse(
        claim_id=new_claim_id(),
        patient_id=body.patient_data.patient_id,
        provider_id=body.patient_data.provider_id,
        member_id=body.patient_data.member_id,
        service_date=claim_date,
        services=[ServiceEcho.model_validate(s.model_dump(exclude_none=True)) for s in body.services],
        claim_total=est.billed_total,
        patient_responsibility=est.patient_responsibility,
        insurance_responsibility=est.insurance_responsibility,
        status="submitted",
        created_date=created,
        updated_date=created,
        payer_id=payer_id,
        lines=_lines(body, allowed, est, claim_date),
        allowed_total=est.allowed_total,
        authorization_required_codes=eligibility.authorization_required_codes,
        eligibility_source=eligibility.source,
    )
    snapshot = EligibilitySnapshot.model_validate(eligibility.model_dump(include=set(EligibilitySnapshot.model_fields)))
    return StoredClaim(
        response=response,
        billing_npi=billing_npi,
        subscriber=eligibility.subscriber,
        dependent=eligibility.dependent,  # the patient, when the payer answered for a dependent of the subscriber
        eligibility=snapshot,
    )


def _lines(body: CreateClaim, allowed: list[tuple[Decimal, str]], est: Estimate, claim_date: date) -> list[ClaimLine]:
    return [
        ClaimLine(
            code=s.code,
            amount=s.amount,
            units=s.units,
            modifiers=s.modifiers,
            diagnosis_codes=s.diagnosis_codes,
            place_of_service=s.place_of_service or "11",
            service_date=s.service_date or claim_date,
            allowed_amount=line.allowed,
            allowed_source=source,
            contractual_adjustment=line.contractual_adjustment,
            copay=line.copay,
            deductible=line.deductible,
            coinsurance=line.coinsurance,
            non_covered=line.non_covered,
            out_of_pocket_cap_applied=line.out_of_pocket_cap_applied,
            patient_responsibility=line.patient_responsibility,
            insurance_responsibility=line.insurance_responsibility,
        )
        for s, (_, source), line in zip(body.services, allowed, est.lines, strict=True)
    ]


def init_app(app: Flask, workflow: ClaimWorkflow) -> None:
    app.extensions["billing.workflow"] = workflow


def current_workflow() -> ClaimWorkflow:
    return current_app.extensions["billing.workflow"]
