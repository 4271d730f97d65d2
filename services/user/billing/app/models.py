"""billing's request and answer models: what a claim request may hold, checked field by field, and what a stored
claim is. Money is Decimal in every model; answers write it as a JSON number (core.web), the database's jsonb keeps
it as a string (never a float)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from core.claims.codes import (
    ICD10_OFF_SHAPE,
    ICD10_SCHEMA,
    MODIFIER_SCHEMA,
    PLACES_OF_SERVICE,
    Npi,
    ProcedureCode,
    icd10_problem,
    is_modifier,
)
from core.claims.money import Money, MoneyOut, PositiveMoney, amount_schema
from core.eligibility import PayerDate
from core.shapes import off_shape
from core.x12 import Dependent, Subscriber

STATUSES = ("submitted", "paid", "partially_paid", "denied", "reversed")


def _not_future(value: date | None) -> date | None:
    if value is not None and value > datetime.now(UTC).date():
        raise ValueError("must not be in the future")
    return value


# --------------------------------------------------------------------------------------------------- requests


class PatientData(BaseModel):
    """Who the claim is for. `member_id` is the subscriber's (on the card); for a dependent who has no id of their
    own, the patient's name and birth date tell the payer which of the subscriber's people is meant."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._-]+$")
    provider_id: str = Field(min_length=1, max_length=80)
    member_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9-]+$")
    first_name: str | None = Field(default=None, min_length=1, max_length=60)
    last_name: str | None = Field(default=None, min_length=1, max_length=60)
    birth_date: PayerDate | None = None


class ServiceIn(BaseModel):
    """One service line. `amount` is the line's charge (all units), as billed."""

    model_config = ConfigDict(extra="forbid")

    code: ProcedureCode
    amount: PositiveMoney
    allowed_amount: Money | None = None
    units: Annotated[
        Decimal,
        Field(gt=0, le=999, max_digits=6, decimal_places=2),
        amount_schema(
            {"exclusiveMinimum": 0, "maximum": 999, "multipleOf": 0.01}, r"^(?!0+(\.0+)?$)\d{1,3}(\.\d{1,2})?$"
        ),
    ] = Decimal(1)
    modifiers: list[Annotated[str, WithJsonSchema(MODIFIER_SCHEMA)]] = Field(default_factory=list, max_length=4)
    diagnosis_codes: list[Annotated[str, WithJsonSchema(ICD10_SCHEMA)]] = Field(default_factory=list, max_length=4)
    place_of_service: Annotated[
        str | None,
        WithJsonSchema({"anyOf": [{"type": "string", "enum": sorted(PLACES_OF_SERVICE)}, {"type": "null"}]}),
    ] = None
    service_date: Annotated[PayerDate | None, AfterValidator(_not_future)] = None

    @field_validator("modifiers")
    @classmethod
    def _modifiers(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not is_modifier(v)]
        if bad:
            raise off_shape(f"modifiers are two letters or digits, got {bad}")
        return values

    @field_validator("diagnosis_codes")
    @classmethod
    def _diagnoses(cls, values: list[str]) -> list[str]:
        found = [(code, problem) for code in values if (problem := icd10_problem(code))]
        if found:
            message = "; ".join(f"{code} {problem}" for code, problem in found)
            # a code of the documented shape that is not in the code set (or not billable) is unusable, not malformed
            raise off_shape(message) if any(p == ICD10_OFF_SHAPE for _, p in found) else ValueError(message)
        return values

    @field_validator("place_of_service")
    @classmethod
    def _pos(cls, value: str | None) -> str | None:
        if value is not None and value not in PLACES_OF_SERVICE:
            raise off_shape("is not a CMS place of service code (e.g. 11 office, 22 outpatient hospital)")
        return value


class CreateClaim(BaseModel):
    """A claim for services rendered: who, which services, and optionally the payer and billing NPI."""

    model_config = ConfigDict(extra="forbid")

    patient_data: PatientData
    services: list[ServiceIn] = Field(min_length=1, max_length=50)
    payer_id: str | None = None
    provider_npi: Npi | None = None
    service_date: Annotated[PayerDate | None, AfterValidator(_not_future)] = None

    @model_validator(mode="after")
    def _diagnosis_limit(self) -> CreateClaim:
        codes = {c for s in self.services for c in s.diagnosis_codes}
        if len(codes) > 12:
            raise ValueError("a professional claim carries at most 12 distinct diagnosis codes")
        return self


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
