"""insurance-verify: eligibility for a member, provider and services.

`POST /verify` asks the member's payer through its adapter (X12 270 → clearinghouse → 271), caching the coverage in
Redis and keeping the last answer in PostgreSQL as a fallback when the payer is down. /health checks PostgreSQL
(tokens, audit, stored eligibility: required) and Redis (optional — without it the service answers uncached and
reports "degraded").
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from eligibility import REJECT_REASONS, EligibilityService, verify_response
from fhir_eligibility import coverage_eligibility_response
from flask import Blueprint, Response, jsonify, request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from core.auth import Role
from core.claims.codes import is_procedure_code
from core.clinic import load_clinic
from core.payers import PayerResponseError, PayerUnavailable, adapters_for, load_payers
from core.payers.adapter import EligibilityInquiry
from core.web import (
    ApiError,
    audit_resource,
    create_app,
    documented,
    get_cache,
    get_db,
    parse_body,
    phi_access,
    requires,
)

FHIR_JSON = "application/fhir+json"


def _procedure_codes(codes: list[str]) -> list[str]:
    bad = [i for i, code in enumerate(codes) if not is_procedure_code(code)]
    if bad:
        raise ValueError(f"entries {bad} are not CPT (5 characters) or HCPCS Level II (letter + 4 digits) codes")
    return codes


class VerifyRequest(BaseModel):
    """An eligibility question: is this member covered by the payer for these services with this provider?"""

    model_config = ConfigDict(extra="forbid")

    member_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9-]+$")
    provider_id: str = Field(min_length=1, max_length=80, description="a configured provider id or an NPI")
    service_codes: Annotated[list[str], Field(min_length=1, max_length=50), AfterValidator(_procedure_codes)]
    payer_id: str | None = Field(default=None, description="config/payers/<payer_id>.yml; default: the clinic's")
    service_date: date | None = Field(default=None, description="default: today (UTC)")
    member_first_name: str | None = Field(default=None, max_length=60)
    member_last_name: str | None = Field(default=None, max_length=60)
    member_birth_date: date | None = None


class CoverageDetails(BaseModel):
    deductible_remaining: float | None
    copay_amount: float | None
    out_of_pocket_max: float | None
    covered_services: list[str]
    deductible: float | None = None
    family_deductible_remaining: float | None = None


class VerifyResponse(BaseModel):
    """Eligibility of the member (seed fields first, then the added ones)."""

    member_id: str
    provider_id: str
    verification_date: datetime
    eligibility_status: str = Field(description="active | inactive | rejected")
    coverage_details: CoverageDetails
    authorization_required: bool
    effective_date: date | None
    termination_date: date | None
    coinsurance_rate: float | None
    out_of_pocket_remaining: float | None
    authorization_required_codes: list[str]
    payer_id: str
    source: str = Field(description="payer | cache | stale")
    plan_name: str | None
    service_date: date
    reject_reason_code: str | None = Field(default=None, description=f"AAA03, e.g. {sorted(REJECT_REASONS)}")
    reject_reason: str | None = None


bp = Blueprint("verify", __name__)


@bp.post("/verify")
@requires(Role.CLINICIAN, Role.BILLING, Role.SERVICE)
@phi_access("verify", "eligibility")
@documented(
    request_model=VerifyRequest,
    responses={
        200: VerifyResponse,
        502: "the payer answered with something that is not a readable 271",
        503: "the payer is unreachable and no recent stored answer exists",
    },
)
def verify() -> Response | tuple[Response, int]:
    """Check a member's eligibility with the payer (cached), with prior-authorization flags per procedure.

    `Accept: application/fhir+json` returns a FHIR R4B CoverageEligibilityResponse instead.
    """
    body = parse_body(VerifyRequest)
    payers = _payers()
    clinic = load_clinic()
    payer_id = body.payer_id or clinic.default_payer
    if payer_id not in payers:
        raise ApiError(
            400,
            "validation_error",
            "request body is invalid",
            {"payer_id": f"unknown payer; configured: {', '.join(sorted(payers))}"},
        )
    provider = clinic.provider(body.provider_id)
    if provider is None:
        raise ApiError(
            400,
            "validation_error",
            "request body is invalid",
            {"provider_id": "neither a provider in config/clinic.yml nor a valid NPI"},
        )
    service_date = body.service_date or datetime.now(UTC).date()
    audit_resource(body.member_id, payer_id=payer_id, codes=len(body.service_codes))
    on_behalf_of = request.headers.get("X-Intelluxe-Actor")
    if on_behalf_of:
        audit_resource(body.member_id, on_behalf_of=on_behalf_of[:128])
    inquiry = EligibilityInquiry(
        member_id=body.member_id,
        provider_npi=provider[0],
        provider_name=provider[1],
        service_date=service_date,
        procedure_codes=tuple(dict.fromkeys(body.service_codes)),
        member_first_name=body.member_first_name,
        member_last_name=body.member_last_name,
        member_birth_date=body.member_birth_date,
    )
    try:
        answer = _service().answer(payer_id, inquiry)
    except PayerUnavailable as exc:
        raise ApiError(503, "payer_unavailable", f"{exc}; no stored answer recent enough to serve") from None
    except PayerResponseError as exc:
        raise ApiError(502, "payer_error", str(exc)) from None
    audit_resource(body.member_id, source=answer.source, status=answer.coverage.eligibility_status)
    result = verify_response(
        member_id=body.member_id,
        provider_id=body.provider_id,
        service_codes=body.service_codes,
        service_date=service_date,
        payer=payers[payer_id],
        answer=answer,
    )
    if request.accept_mimetypes.best_match(["application/json", FHIR_JSON]) == FHIR_JSON:
        fhir = coverage_eligibility_response(result, payers[payer_id], answer.coverage.trace_number)
        return Response(app.json.dumps(fhir), mimetype=FHIR_JSON)
    return jsonify(result)


def _payers():  # type: ignore[no-untyped-def]
    return app.extensions["intelluxe.payers"]


def _service() -> EligibilityService:
    service = app.extensions.get("intelluxe.eligibility")
    if service is None:
        service = EligibilityService(get_db(), get_cache(), adapters_for(_payers()))
        app.extensions["intelluxe.eligibility"] = service
    return service


app = create_app(
    "insurance-verify",
    blueprints=[bp],
    use_cache=True,
    description="Insurance eligibility over X12 270/271 through payer adapters, cached in Redis.",
)
app.extensions["intelluxe.payers"] = load_payers()
