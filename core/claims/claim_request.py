"""A claim request as billing takes it (`POST /create_claim`) and as the MCP `<payer>_submit_claim` tool passes it
on: who the claim is for, its service lines and, optionally, the payer and billing NPI — checked field by field
(codes against the code sets, money as Decimal, dates a payer can be sent). One model for both, so a tool's input
schema is exactly what billing will accept."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

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
from core.claims.money import Money, PositiveMoney, amount_schema
from core.eligibility import PayerDate
from core.shapes import off_shape


def not_future(value: date | None) -> date | None:
    if value is not None and value > datetime.now(UTC).date():
        raise ValueError("must not be in the future")
    return value


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
    service_date: Annotated[PayerDate | None, AfterValidator(not_future)] = None

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
    service_date: Annotated[PayerDate | None, AfterValidator(not_future)] = None

    @model_validator(mode="after")
    def _diagnosis_limit(self) -> CreateClaim:
        codes = {c for s in self.services for c in s.diagnosis_codes}
        if len(codes) > 12:
            raise ValueError("a professional claim carries at most 12 distinct diagnosis codes")
        return self
