"""The eligibility question and answer as they cross between services: insurance-verify reads `VerifyRequest` and
writes `VerifyResponse` (`POST /verify`); billing sends the one and reads the other. One model on both sides, so a
field renamed in one place cannot silently become a missing deductible in the other.

Money is Decimal on both sides; on the wire it is a JSON number rounded to cents (the seed's clients read numbers),
which pydantic reads back into Decimal without a float in between.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from core.claims.codes import ProcedureCodes
from core.claims.estimate import CoverageTerms
from core.claims.money import MoneyOut, RateOut
from core.x12 import Dependent, Subscriber

# AAA03 reject reasons a front desk can act on (X12 005010X279A1, 2100C/2100A AAA).
REJECT_REASONS = {
    "15": "required application data missing",
    "41": "authorization or access restrictions",
    "42": "payer unable to respond now",
    "43": "invalid or missing provider identification",
    "51": "provider not on file",
    "57": "invalid or missing date of service",
    "58": "invalid or missing date of birth",
    "72": "invalid or missing member id",
    "73": "invalid or missing subscriber name",
    "75": "subscriber not found",
    "76": "duplicate subscriber id",
    "79": "invalid participant identification",
}


def _sendable(value: date | None) -> date | None:
    """X12 writes dates as CCYYMMDD: a year before 1900 is a typo, and one before 1000 cannot even be written."""
    if value is not None and value.year < 1900:
        raise ValueError("must be in 1900 or later")
    return value


# A date a payer can be sent (in a 270 or an 837).
PayerDate = Annotated[date, AfterValidator(_sendable)]


class VerifyRequest(BaseModel):
    """An eligibility question: is this member covered by the payer for these services with this provider?"""

    model_config = ConfigDict(extra="forbid")

    member_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9-]+$")
    provider_id: str = Field(min_length=1, max_length=80, description="a configured provider id or an NPI")
    service_codes: Annotated[ProcedureCodes, Field(min_length=1, max_length=50)]
    payer_id: str | None = Field(default=None, description="config/payers/<payer_id>.yml; default: the clinic's")
    service_date: PayerDate | None = Field(default=None, description="default: today (UTC)")
    member_first_name: str | None = Field(default=None, max_length=60)
    member_last_name: str | None = Field(default=None, max_length=60)
    member_birth_date: PayerDate | None = None


class CoverageDetails(BaseModel):
    deductible_remaining: MoneyOut | None
    copay_amount: MoneyOut | None
    out_of_pocket_max: MoneyOut | None
    covered_services: list[str]
    deductible: MoneyOut | None = None
    family_deductible_remaining: MoneyOut | None = None


class VerifyResponse(BaseModel):
    """Eligibility of the member (the first published fields, then the added ones)."""

    member_id: str
    provider_id: str
    verification_date: datetime
    eligibility_status: str = Field(
        description="active | inactive | rejected | unknown (the payer's answer said nothing of this person)"
    )
    coverage_details: CoverageDetails
    authorization_required: bool
    effective_date: date | None
    termination_date: date | None
    coinsurance_rate: RateOut | None
    out_of_pocket_remaining: MoneyOut | None
    authorization_required_codes: list[str]
    payer_id: str
    source: str = Field(description="payer | cache | stale")
    plan_name: str | None
    service_date: date
    reject_reason_code: str | None = Field(default=None, description=f"AAA03, e.g. {sorted(REJECT_REASONS)}")
    reject_reason: str | None = None
    subscriber: Subscriber | None = Field(
        default=None, description="the policy holder, when the payer's 271 named them (2100C)"
    )
    dependent: Dependent | None = Field(
        default=None,
        description="the patient, when the payer answered for a dependent of the subscriber (2100D); relationship "
        "is the X12 code (01 spouse, 19 child, 21 unknown, …)",
    )

    def coverage_terms(self) -> CoverageTerms:
        """The patient-responsibility estimate's inputs (core.claims.estimate) from this answer."""
        details = self.coverage_details
        return CoverageTerms(
            deductible_remaining=details.deductible_remaining,
            coinsurance_rate=self.coinsurance_rate,
            copay_amount=details.copay_amount,
            out_of_pocket_remaining=self.out_of_pocket_remaining,
            family_deductible_remaining=details.family_deductible_remaining,
        )

    def answer_json(self) -> dict[str, object]:
        """The answer as insurance-verify sends it: the fields set (reject and subscriber only when present),
        Decimal and dates left for the JSON provider to write."""
        return self.model_dump(exclude_unset=True)
