"""billing's answer models: what a stored claim is and what posting a remittance did (the claim request is
core.claims.claim_request's CreateClaim, shared with the MCP tools). Money is Decimal in every model; answers write
it as a JSON number (core.web), the database's jsonb keeps it as a string (never a float)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from core.claims.money import MoneyOut
from core.x12 import Dependent, Subscriber

STATUSES = ("submitted", "paid", "partially_paid", "denied", "reversed")


# --------------------------------------------------------------------------------------------------- answers


class ClaimLine(BaseModel):
    code: str
    amount: MoneyOut
    units: MoneyOut
    modifiers: list[str]
    diagnosis_codes: list[str]
    place_of_service: str
    service_date: date
    allowed_amount: MoneyOut
    allowed_source: str = Field(description="request | fee_schedule | billed")
    contractual_adjustment: MoneyOut
    copay: MoneyOut
    deductible: MoneyOut
    coinsurance: MoneyOut
    non_covered: MoneyOut
    out_of_pocket_cap_applied: MoneyOut
    patient_responsibility: MoneyOut
    insurance_responsibility: MoneyOut


class ServiceEcho(BaseModel):
    """A service of the request as the answer repeats it: money as numbers rounded to cents, like the rest of the
    answer (it was the request's own strings). Fields the request left out stay out."""

    code: str
    amount: MoneyOut
    allowed_amount: MoneyOut | None = None
    units: MoneyOut
    modifiers: list[str] = Field(default_factory=list)
    diagnosis_codes: list[str] = Field(default_factory=list)
    place_of_service: str | None = None
    service_date: date | None = None


class ClaimResponse(BaseModel):
    """A stored claim (the first published fields, then the added ones)."""

    claim_id: str
    patient_id: str
    provider_id: str
    member_id: str
    service_date: date
    services: list[ServiceEcho]
    claim_total: MoneyOut
    patient_responsibility: MoneyOut
    insurance_responsibility: MoneyOut
    status: str = Field(description=" | ".join(STATUSES))
    created_date: datetime
    payer_id: str
    lines: list[ClaimLine]
    allowed_total: MoneyOut
    authorization_required_codes: list[str]
    eligibility_source: str
    paid_amount: MoneyOut | None = None
    patient_amount: MoneyOut | None = Field(default=None, description="patient responsibility per the payer's 835")
    updated_date: datetime | None = Field(
        default=None, description="when the claim last changed: its creation, until an 835 moves it"
    )

    def answer_json(self) -> dict[str, Any]:
        """The claim as the API answers it: the fields this claim has (no payment fields before an 835)."""
        return self.model_dump(exclude_unset=True)


class EligibilitySnapshot(BaseModel):
    """What the 271 said when the claim was made (kept with the claim, for the desk and for disputes)."""

    eligibility_status: str
    plan_name: str | None = None
    verification_date: datetime | None = None
    source: str | None = None
    effective_date: date | None = None
    termination_date: date | None = None


class StoredClaim(BaseModel):
    """`claims.claim_data`: the claim as first answered, the billing NPI, and the payer's view of the subscriber
    and, when its 271 answered for a dependent, of the patient (an 837P needs the patient's name, birth date and
    address). Claims stored before `dependent` existed read back with none: their patient is the subscriber."""

    response: ClaimResponse
    billing_npi: str
    subscriber: Subscriber | None = None
    dependent: Dependent | None = None
    eligibility: EligibilitySnapshot

    def jsonb(self) -> dict[str, Any]:
        """The jsonb form: Decimal as strings, dates ISO; read back exactly by `StoredClaim.model_validate`."""
        return self.model_dump(mode="json", exclude_unset=True)


class RemittancePosting(BaseModel):
    """What posting one 835 transaction set (one payment) did: claims moved, and payments for claims we do not have
    (reported, not dropped); or why it was not posted."""

    position: int = Field(description="the ST segment's position in the file (1-based)")
    control_number: str = Field(description="ST02")
    status: str = Field(description="posted | already_posted | unreadable")
    remittance_id: str | None = None
    check_number: str | None = None
    total_paid: MoneyOut | None = None
    posted: list[dict[str, Any]] = Field(default_factory=list, description="the claims moved, with their status")
    unmatched: list[dict[str, Any]] = Field(default_factory=list, description="payments for claims we do not have")
    error: str | None = Field(default=None, description="unreadable: what is wrong, naming the segment")


class RemittanceResult(BaseModel):
    """Every 835 transaction set of the file, in file order, with what posting it did."""

    transactions: list[RemittancePosting]
