"""The /verify answer as a FHIR R4B CoverageEligibilityResponse (Da Vinci and most EHRs speak 4.0.1, hence R4B).

Built with `fhir.resources`, so the resource is validated against the R4B model before it leaves.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse

from core.eligibility import VerifyResponse
from core.payers.config import PayerConfig

_BENEFIT_CATEGORY = "http://terminology.hl7.org/CodeSystem/ex-benefitcategory"
_BENEFIT_TYPE = "http://terminology.hl7.org/CodeSystem/benefit-type"
_NETWORK = "http://terminology.hl7.org/CodeSystem/benefit-network"
_UNIT = "http://terminology.hl7.org/CodeSystem/benefit-unit"
_TERM = "http://terminology.hl7.org/CodeSystem/benefit-term"
_AAA03 = "https://x12.org/codes/reject-reason-codes"
_CPT = "http://www.ama-assn.org/go/cpt"


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _usd(value: Decimal) -> dict[str, Any]:
    return {"value": value, "currency": "USD"}


def _benefits(body: VerifyResponse) -> list[dict[str, Any]]:
    details = body.coverage_details
    benefits: list[dict[str, Any]] = []
    deductible, remaining = details.deductible, details.deductible_remaining
    if deductible is not None or remaining is not None:
        item: dict[str, Any] = {"type": _coding(_BENEFIT_TYPE, "deductible", "Deductible")}
        if deductible is not None:
            item["allowedMoney"] = _usd(deductible)
            if remaining is not None:
                item["usedMoney"] = _usd(deductible - remaining)
        else:
            item["allowedString"] = f"{remaining} remaining"
        benefits.append(item)
    if details.copay_amount is not None:
        benefits.append(
            {"type": _coding(_BENEFIT_TYPE, "copay", "Copayment"), "allowedMoney": _usd(details.copay_amount)}
        )
    if body.coinsurance_rate is not None:
        benefits.append(
            {
                "type": _coding(_BENEFIT_TYPE, "copay-percent", "Copayment Percent per service"),
                "allowedUnsignedInt": int(body.coinsurance_rate * 100),
            }
        )
    if details.out_of_pocket_max is not None:
        item = {"type": {"text": "Out-of-pocket maximum"}, "allowedMoney": _usd(details.out_of_pocket_max)}
        if body.out_of_pocket_remaining is not None:
            item["usedMoney"] = _usd(details.out_of_pocket_max - body.out_of_pocket_remaining)
        benefits.append(item)
    return benefits


def _insurance(body: VerifyResponse, payer: PayerConfig) -> dict[str, Any]:
    active = body.eligibility_status == "active"
    insurance: dict[str, Any] = {"coverage": {"display": body.plan_name or payer.name}, "inforce": active}
    if body.effective_date:
        period = {"start": body.effective_date.isoformat()}
        if body.termination_date:
            period["end"] = body.termination_date.isoformat()
        insurance["benefitPeriod"] = period
    items: list[dict[str, Any]] = []
    if active:
        plan_item: dict[str, Any] = {
            "category": _coding(_BENEFIT_CATEGORY, "30", "Health Benefit Plan Coverage"),
            "network": _coding(_NETWORK, "in", "In Network"),
            "unit": _coding(_UNIT, "individual", "Individual"),
            "term": _coding(_TERM, "annual", "Annual"),
        }
        if benefits := _benefits(body):
            plan_item["benefit"] = benefits
        items.append(plan_item)
        auth = set(body.authorization_required_codes)
        for code in body.coverage_details.covered_services:
            items.append({"productOrService": _coding(_CPT, code), "authorizationRequired": code in auth})
    if items:
        insurance["item"] = items
    return insurance


def coverage_eligibility_response(body: VerifyResponse, payer: PayerConfig, trace_number: str | None) -> dict[str, Any]:
    """FHIR JSON for a /verify answer."""
    status = body.eligibility_status
    resource: dict[str, Any] = {
        "resourceType": "CoverageEligibilityResponse",
        "id": str(uuid.uuid4()),
        "status": "active",
        "purpose": ["validation", "benefits"],
        "patient": {"identifier": {"system": "urn:intelluxe:member-id", "value": body.member_id}},
        "servicedDate": body.service_date.isoformat(),
        "created": body.verification_date.isoformat(),
        "request": {"identifier": {"system": "urn:x12:trn", "value": trace_number or "unknown"}},
        "outcome": "error" if status == "rejected" else "complete",
        "insurer": {"display": payer.name, "identifier": {"system": "urn:x12:payer-id", "value": payer.x12_payer_id}},
        "insurance": [_insurance(body, payer)],
    }
    if status == "rejected":
        resource["disposition"] = body.reject_reason or "rejected by the payer"
        resource["error"] = [{"code": _coding(_AAA03, body.reject_reason_code or "unknown")}]
    else:
        resource["disposition"] = f"coverage {status}"
    return CoverageEligibilityResponse.model_validate(resource).model_dump(mode="json", exclude_none=True)
