"""billing's request and response models: what a claim request may hold, checked field by field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.claims.codes import PLACES_OF_SERVICE, icd10_problem, is_modifier, is_procedure_code, npi_is_valid
from core.claims.money import Money, PositiveMoney


def _not_future(value: date | None) -> date | None:
    if value is not None and value > datetime.now(UTC).date():
        raise ValueError("must not be in the future")
    return value


class PatientData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patient_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._-]+$")
    provider_id: str = Field(min_length=1, max_length=80)
    member_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9-]+$")


class ServiceIn(BaseModel):
    """One service line. `amount` is the line's charge (all units), as billed."""

    model_config = ConfigDict(extra="forbid")

    code: str
    amount: PositiveMoney
    allowed_amount: Money | None = None
    units: Annotated[Decimal, Field(gt=0, le=999, max_digits=6, decimal_places=2)] = Decimal(1)
    modifiers: list[str] = Field(default_factory=list, max_length=4)
    diagnosis_codes: list[str] = Field(default_factory=list, max_length=4)
    place_of_service: str | None = None
    service_date: Annotated[date | None, AfterValidator(_not_future)] = None

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not is_procedure_code(value):
            raise ValueError("is not a CPT (5 characters) or HCPCS Level II (letter + 4 digits) code")
        return value

    @field_validator("modifiers")
    @classmethod
    def _modifiers(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not is_modifier(v)]
        if bad:
            raise ValueError(f"modifiers are two letters or digits, got {bad}")
        return values

    @field_validator("diagnosis_codes")
    @classmethod
    def _diagnoses(cls, values: list[str]) -> list[str]:
        problems = [f"{code} {problem}" for code in values if (problem := icd10_problem(code))]
        if problems:
            raise ValueError("; ".join(problems))
        return values

    @field_validator("place_of_service")
    @classmethod
    def _pos(cls, value: str | None) -> str | None:
        if value is not None and value not in PLACES_OF_SERVICE:
            raise ValueError("is not a CMS place of service code (e.g. 11 office, 22 outpatient hospital)")
        return value


class CreateClaim(BaseModel):
    """A claim for services rendered: who, which services, and optionally the payer and billing NPI."""

    model_config = ConfigDict(extra="forbid")

    patient_data: PatientData
    services: list[ServiceIn] = Field(min_length=1, max_length=50)
    payer_id: str | None = None
    provider_npi: str | None = None
    service_date: Annotated[date | None, AfterValidator(_not_future)] = None

    @field_validator("provider_npi")
    @classmethod
    def _npi(cls, value: str | None) -> str | None:
        if value is not None and not npi_is_valid(value):
            raise ValueError("is not a valid NPI (10 digits with a correct check digit)")
        return value

    @model_validator(mode="after")
    def _diagnosis_limit(self) -> CreateClaim:
        codes = {c for s in self.services for c in s.diagnosis_codes}
        if len(codes) > 12:
            raise ValueError("a professional claim carries at most 12 distinct diagnosis codes")
        return self


class ClaimLine(BaseModel):
    code: str
    amount: float
    units: float
    modifiers: list[str]
    diagnosis_codes: list[str]
    place_of_service: str
    service_date: date
    allowed_amount: float
    allowed_source: str = Field(description="request | fee_schedule | billed")
    contractual_adjustment: float
    copay: float
    deductible: float
    coinsurance: float
    non_covered: float
    out_of_pocket_cap_applied: float
    patient_responsibility: float
    insurance_responsibility: float


class ClaimResponse(BaseModel):
    """A stored claim (seed fields first, then the added ones)."""

    claim_id: str
    patient_id: str
    provider_id: str
    member_id: str
    service_date: date
    services: list[dict]
    claim_total: float
    patient_responsibility: float
    insurance_responsibility: float
    status: str = Field(description="submitted | paid | partially_paid | denied | reversed")
    created_date: datetime
    payer_id: str
    lines: list[ClaimLine]
    allowed_total: float
    authorization_required_codes: list[str]
    eligibility_source: str
    paid_amount: float | None = None
    patient_amount: float | None = Field(default=None, description="patient responsibility per the payer's 835")


class RemittanceResult(BaseModel):
    """What posting an 835 did: claims moved, and payments for claims we do not have (reported, not dropped)."""

    remittance_id: str
    check_number: str
    total_paid: float
    posted: list[dict]
    unmatched: list[dict]
