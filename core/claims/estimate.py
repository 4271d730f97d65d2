"""Patient-responsibility estimate: what the front desk can say out loud before the payer's 835 arrives.

Adjudication order per service line (CMS/DOL Uniform Glossary), with plan-year running totals carried from line to
line so a deductible is spread across a visit's lines instead of being charged on each:

1. covered? A non-covered line is the patient's in full and does not count toward the out-of-pocket maximum.
2. allowed = the contracted amount (never more than billed); billed − allowed is the contractual write-off (CO-45).
3. copay, capped at allowed. When the plan says copay services skip the deductible (the default), the rest of a
   copay line is the plan's.
4. deductible = min(what is left of the line, individual remaining, family remaining).
5. coinsurance = rate × (allowed − copay − deductible part).
6. the patient's line total is capped at what is left of the out-of-pocket maximum (individual and family).
7. Decimal throughout; cents rounded half-up at the end of each line.

The seed's `min(copay + min(total, ded), total)` used billed amounts and had no coinsurance or cap: its response
fields stay, its arithmetic does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.claims.money import Money, PositiveMoney, Rate, cents

ZERO = Decimal("0")
# Office or other outpatient visits, new (99202-99205) and established (99211-99215): the usual copay services.
_OFFICE_VISIT = re.compile(r"^992(0[2-5]|1[1-5])$")


def money_str(value: Decimal) -> str:
    """Money and rates at the edges: two decimals, e.g. "1500.00", "0.20"."""
    return str(cents(value))


def is_office_visit(code: str) -> bool:
    return bool(_OFFICE_VISIT.match(code))


@dataclass(frozen=True)
class CoverageTerms:
    """What the 271 told us, as of now in the plan year. None means the payer did not say (no deductible, no cap)."""

    deductible_remaining: Decimal | None = None
    coinsurance_rate: Decimal | None = None
    copay_amount: Decimal | None = None
    out_of_pocket_remaining: Decimal | None = None
    family_deductible_remaining: Decimal | None = None
    family_out_of_pocket_remaining: Decimal | None = None
    copay_waives_deductible: bool = True


@dataclass(frozen=True)
class LineInput:
    code: str
    billed: Decimal
    allowed: Decimal | None = None
    copay: bool | None = None  # None: the copay applies to office visits (99202-99215)
    covered: bool = True


@dataclass(frozen=True)
class LineEstimate:
    code: str
    billed: Decimal
    allowed: Decimal
    contractual_adjustment: Decimal
    copay: Decimal
    deductible: Decimal
    coinsurance: Decimal
    non_covered: Decimal
    out_of_pocket_cap_applied: Decimal
    patient_responsibility: Decimal
    insurance_responsibility: Decimal

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            **{
                name: money_str(getattr(self, name))
                for name in (
                    "billed",
                    "allowed",
                    "contractual_adjustment",
                    "copay",
                    "deductible",
                    "coinsurance",
                    "non_covered",
                    "out_of_pocket_cap_applied",
                    "patient_responsibility",
                    "insurance_responsibility",
                )
            },
        }


@dataclass(frozen=True)
class Estimate:
    lines: tuple[LineEstimate, ...]
    billed_total: Decimal
    allowed_total: Decimal
    patient_responsibility: Decimal
    insurance_responsibility: Decimal
    remaining: CoverageTerms  # the running totals after these lines

    def to_json(self) -> dict[str, object]:
        return {
            "patient_responsibility": money_str(self.patient_responsibility),
            "insurance_responsibility": money_str(self.insurance_responsibility),
            "billed_total": money_str(self.billed_total),
            "allowed_total": money_str(self.allowed_total),
            "lines": [line.to_json() for line in self.lines],
        }


def _min_known(*values: Decimal | None) -> Decimal | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _less(value: Decimal | None, amount: Decimal) -> Decimal | None:
    return None if value is None else max(ZERO, value - amount)


def estimate_line(terms: CoverageTerms, line: LineInput) -> tuple[LineEstimate, CoverageTerms]:
    """One line in adjudication order; returns its estimate and the terms left for the next line."""
    if line.billed < 0 or (line.allowed is not None and line.allowed < 0):
        raise ValueError(f"line {line.code}: amounts must not be negative")
    billed = cents(line.billed)
    allowed = cents(min(line.allowed, billed)) if line.allowed is not None else billed
    if not line.covered:
        est = LineEstimate(
            code=line.code,
            billed=billed,
            allowed=ZERO,
            contractual_adjustment=ZERO,
            copay=ZERO,
            deductible=ZERO,
            coinsurance=ZERO,
            non_covered=billed,
            out_of_pocket_cap_applied=ZERO,
            patient_responsibility=billed,
            insurance_responsibility=ZERO,
        )
        return est, terms

    takes_copay = line.copay if line.copay is not None else is_office_visit(line.code)
    copay = min(terms.copay_amount or ZERO, allowed) if takes_copay else ZERO
    left = allowed - copay
    if takes_copay and copay > 0 and terms.copay_waives_deductible:
        deductible = ZERO
        coinsurance = ZERO
    else:
        deductible_left = _min_known(terms.deductible_remaining, terms.family_deductible_remaining)
        deductible = min(left, deductible_left) if deductible_left is not None else ZERO
        coinsurance = cents((terms.coinsurance_rate or ZERO) * (left - deductible))

    patient = copay + deductible + coinsurance
    cap = _min_known(terms.out_of_pocket_remaining, terms.family_out_of_pocket_remaining)
    cap_applied = ZERO
    if cap is not None and patient > cap:
        cap_applied = patient - cap
        # What the cap forgives comes off coinsurance first, then the deductible, then the copay.
        over = cap_applied
        coinsurance, over = max(ZERO, coinsurance - over), max(ZERO, over - coinsurance)
        deductible, over = max(ZERO, deductible - over), max(ZERO, over - deductible)
        copay = max(ZERO, copay - over)
        patient = cap

    est = LineEstimate(
        code=line.code,
        billed=billed,
        allowed=allowed,
        contractual_adjustment=billed - allowed,
        copay=copay,
        deductible=deductible,
        coinsurance=coinsurance,
        non_covered=ZERO,
        out_of_pocket_cap_applied=cap_applied,
        patient_responsibility=patient,
        insurance_responsibility=allowed - patient,
    )
    after = replace(
        terms,
        deductible_remaining=_less(terms.deductible_remaining, deductible),
        family_deductible_remaining=_less(terms.family_deductible_remaining, deductible),
        out_of_pocket_remaining=_less(terms.out_of_pocket_remaining, patient),
        family_out_of_pocket_remaining=_less(terms.family_out_of_pocket_remaining, patient),
    )
    return est, after


def estimate(terms: CoverageTerms, lines: list[LineInput] | tuple[LineInput, ...]) -> Estimate:
    """All lines of a claim in order, carrying deductible and out-of-pocket totals from line to line."""
    results: list[LineEstimate] = []
    for line in lines:
        est, terms = estimate_line(terms, line)
        results.append(est)
    return Estimate(
        lines=tuple(results),
        billed_total=sum((r.billed for r in results), ZERO),
        allowed_total=sum((r.allowed for r in results), ZERO),
        patient_responsibility=sum((r.patient_responsibility for r in results), ZERO),
        insurance_responsibility=sum((r.insurance_responsibility for r in results), ZERO),
        remaining=terms,
    )


# --------------------------------------------------------------------------------------------------- JSON input


class CoverageIn(BaseModel):
    """Coverage terms as `intelluxe billing estimate` reads them (and as billing derives them from a 271)."""

    model_config = ConfigDict(extra="forbid")

    deductible_remaining: Money | None = None
    coinsurance_rate: Rate | None = None
    copay_amount: Money | None = None
    copay_waives_deductible: bool = True
    out_of_pocket_remaining: Money | None = None
    family_deductible_remaining: Money | None = None
    family_out_of_pocket_remaining: Money | None = None

    def terms(self) -> CoverageTerms:
        return CoverageTerms(**self.model_dump())


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=16)
    billed: PositiveMoney
    allowed: Money | None = None
    copay: bool | None = None
    covered: bool = True


class EstimateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    coverage: CoverageIn
    lines: list[LineIn] = Field(min_length=1, max_length=50)


def estimate_from_json(payload: Any) -> Estimate:
    """Validate `payload` (raises pydantic.ValidationError naming each bad field) and estimate it."""
    request = EstimateIn.model_validate(payload)
    return estimate(request.coverage.terms(), [LineInput(**line.model_dump()) for line in request.lines])
