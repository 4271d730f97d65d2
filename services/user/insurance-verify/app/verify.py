"""POST /verify: a member's eligibility with the payer (cached), with prior-authorization flags per procedure."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from core.auth import Role
from core.eligibility import VerifyRequest, VerifyResponse
from core.web import audit_resource, documented, parse_body, phi_access, requires

from .eligibility import current_service, verify_response
from .fhir_eligibility import coverage_eligibility_response

FHIR_JSON = "application/fhir+json"

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
def verify() -> Response:
    """Check a member's eligibility with the payer (cached), with prior-authorization flags per procedure.

    `Accept: application/fhir+json` returns a FHIR R4B CoverageEligibilityResponse instead.
    """
    body = parse_body(VerifyRequest)
    service = current_service()
    question = service.question(body)
    audit_resource(body.member_id, payer_id=question.payer.payer_id, codes=len(body.service_codes))
    if actor := request.headers.get("X-Intelluxe-Actor"):  # billing asking on behalf of its caller
        audit_resource(body.member_id, on_behalf_of=actor[:128])
    answer = service.answer(question)
    audit_resource(body.member_id, source=answer.source, status=answer.coverage.eligibility_status)
    result = verify_response(body, question, answer)
    if request.accept_mimetypes.best_match(["application/json", FHIR_JSON]) == FHIR_JSON:
        fhir = coverage_eligibility_response(result, question.payer, answer.coverage.trace_number)
        return Response(current_app.json.dumps(fhir), mimetype=FHIR_JSON)
    return jsonify(result.answer_json())
