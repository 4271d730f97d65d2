"""billing: claims — eligibility check, patient-responsibility estimate, storage, 837P export, 835 posting.

Handlers stay thin: request models live in claim_models, the claim steps in claim_service, 835 posting in
remittance_posting. /health checks PostgreSQL, where claims live.
"""

from __future__ import annotations

from datetime import UTC, datetime

from claim_models import ClaimResponse, CreateClaim, RemittanceResult
from claim_service import (
    ClaimConflict,
    ClaimNotEligible,
    ClaimNotExportable,
    allowed_amounts,
    build_claim,
    export_837p,
    find_idempotent,
    list_claims,
    load_claim,
    load_record,
    request_hash,
    store_claim,
)
from eligibility_client import EligibilityClient, EligibilityRefused, EligibilityUnavailable
from flask import Blueprint, Response, g, jsonify, request
from remittance_posting import AlreadyPosted, post_remittance

from core.auth import Role
from core.claims.codes import icd10_problem
from core.clinic import load_clinic
from core.payers import load_payers
from core.web import (
    ApiError,
    audit_in,
    audit_resource,
    create_app,
    documented,
    get_db,
    parse_body,
    phi_access,
    query_int,
    requires,
)
from core.x12 import X12ParseError, read_835

EDI = "application/edi-x12"
STATUSES = ("submitted", "paid", "partially_paid", "denied", "reversed")

bp = Blueprint("claims", __name__)


def _invalid(fields: dict[str, str]) -> ApiError:
    return ApiError(400, "validation_error", "request body is invalid", fields)


@bp.post("/create_claim")
@requires(Role.BILLING)
@phi_access("create", "claim")
@documented(
    request_model=CreateClaim,
    responses={
        200: ClaimResponse,
        409: "the Idempotency-Key was used before with a different body",
        422: "the member is not eligible (inactive or rejected by the payer); the reason is in the message",
        503: "insurance-verify or the payer cannot answer now; no claim was written",
    },
)
def create_claim() -> Response:
    """Create a claim: check eligibility, estimate the patient's share, store it (idempotent with Idempotency-Key).

    The same Idempotency-Key with the same body returns the first claim and writes nothing.
    """
    body = parse_body(CreateClaim)
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 255 and key.isprintable()):
        raise ApiError(
            400,
            "validation_error",
            "Idempotency-Key must be 1-255 printable characters",
            {"Idempotency-Key": "1-255 printable characters"},
        )
    principal = g.principal.name
    digest = request_hash(body)
    db = get_db()
    audit_resource(None, lines=len(body.services))
    if key is not None:
        try:
            earlier = db.run(lambda cur: find_idempotent(cur, principal, key, digest))
        except ClaimConflict as exc:
            raise ApiError(409, "idempotency_conflict", str(exc)) from None
        if earlier is not None:
            audit_resource(earlier["claim_id"], replayed=True)
            return _replayed(earlier)

    clinic = load_clinic()
    payers = app.extensions["intelluxe.payers"]
    payer_id = body.payer_id or clinic.default_payer
    if payer_id not in payers:
        raise _invalid({"payer_id": f"unknown payer; configured: {', '.join(sorted(payers))}"})
    claim_date = body.service_date or min(
        (s.service_date for s in body.services if s.service_date), default=datetime.now(UTC).date()
    )
    try:
        eligibility = EligibilityClient.from_env().verify(
            member_id=body.patient_data.member_id,
            provider_id=body.patient_data.provider_id,
            service_codes=[s.code for s in body.services],
            payer_id=payer_id,
            service_date=claim_date,
            actor=principal,
            request_id=g.request_id,
        )
    except EligibilityUnavailable as exc:
        raise ApiError(503, "eligibility_unavailable", f"eligibility could not be checked: {exc}") from None
    except EligibilityRefused as exc:
        fields = {
            f"patient_data.{k}" if k in ("member_id", "provider_id") else k: v
            for k, v in (exc.error.get("fields") or {}).items()
        }
        raise ApiError(400, "validation_error", f"eligibility check refused: {exc}", fields) from None
    try:
        claim = build_claim(
            body,
            payer_id=payer_id,
            eligibility=eligibility,
            allowed=allowed_amounts(db, payer_id, body, claim_date),
            claim_date=claim_date,
            billing_npi=body.provider_npi or clinic.npi,
        )
    except ClaimNotEligible as exc:
        audit_resource(None, eligibility=exc.status)
        raise ApiError(
            422,
            "not_eligible",
            f"member not eligible: {exc.reason}",
            {"patient_data.member_id": f"{exc.status}: {exc.reason}"},
        ) from None

    def write(cur):  # type: ignore[no-untyped-def]
        stored = store_claim(cur, claim, body, principal=principal, idem_key=key, digest=digest)
        audit_resource(stored["claim_id"], replayed=stored["claim_id"] != claim.claim_id)
        audit_in(cur)
        return stored

    try:
        stored = db.run(write, retries=0)
    except ClaimConflict as exc:
        raise ApiError(409, "idempotency_conflict", str(exc)) from None
    if stored["claim_id"] != claim.claim_id:
        return _replayed(stored)
    return jsonify(stored)


def _replayed(claim: dict) -> Response:  # type: ignore[type-arg]
    response = jsonify(claim)
    response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/claims/<claim_id>")
@requires(Role.BILLING)
@phi_access("read", "claim")
@documented(responses={200: ClaimResponse, 404: "no such claim"})
def get_claim(claim_id: str) -> Response:
    """A stored claim with its estimate and, once posted, the payer's paid and patient amounts."""
    audit_resource(claim_id)
    claim = get_db().run(lambda cur: load_claim(cur, claim_id))
    if claim is None:
        raise ApiError(404, "not_found", "no claim with that id")
    return jsonify(claim)


@bp.get("/claims")
@requires(Role.BILLING)
@phi_access("search", "claim")
@documented(
    responses={200: "{claims: [...], next_before: claim id for the next page or null}"},
    query={
        "patient_id": "only this patient's claims",
        "member_id": "only this member's claims",
        "status": f"one of {', '.join(STATUSES)}",
        "limit": "1-200, default 50",
        "before": "claim id: the page after it (from next_before)",
    },
)
def search_claims() -> Response:
    """Claims, newest first, filtered by patient, member and status."""
    args = request.args
    status = args.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, "validation_error", "invalid query", {"status": f"one of {', '.join(STATUSES)}"})
    limit = query_int("limit", 50, 1, 200)
    claims = list_claims(
        get_db(),
        patient_id=args.get("patient_id"),
        status=status,
        member_id=args.get("member_id"),
        limit=limit,
        before=args.get("before"),
    )
    audit_resource(None, results=len(claims))
    return jsonify({"claims": claims, "next_before": claims[-1]["claim_id"] if len(claims) == limit else None})


@bp.get("/claims/<claim_id>/837")
@requires(Role.BILLING)
@phi_access("export", "claim")
@documented(
    responses={
        200: "the claim as an X12 837P (005010X222A1), application/edi-x12",
        404: "no such claim",
        422: "the claim lacks what an 837P needs (diagnosis, subscriber demographics)",
    }
)
def claim_837(claim_id: str) -> Response:
    """The claim as an 837P professional claim for its payer."""
    audit_resource(claim_id)
    found = load_record(get_db(), claim_id)
    if found is None:
        raise ApiError(404, "not_found", "no claim with that id")
    claim, record = found
    payers = app.extensions["intelluxe.payers"]
    if claim["payer_id"] not in payers:
        raise ApiError(422, "not_exportable", "the claim's payer is no longer configured")
    try:
        text = export_837p(claim, record, clinic=load_clinic(), payer=payers[claim["payer_id"]])
    except (ClaimNotExportable, ValueError) as exc:
        raise ApiError(422, "not_exportable", str(exc)) from None
    audit_resource(claim_id, bytes=len(text))
    return Response(text, mimetype=EDI, headers={"Content-Disposition": f'attachment; filename="{claim_id}.837"'})


@bp.post("/remittances")
@requires(Role.BILLING)
@phi_access("post", "remittance")
@documented(
    responses={
        200: RemittanceResult,
        400: "the body is not a readable 835",
        409: "this payer's check/EFT number was already posted",
    }
)
def remittances() -> Response:
    """Post an X12 835 (the body, as application/edi-x12): claims move to paid, partially paid or denied."""
    raw = request.get_data(as_text=True)
    if not raw.strip():
        raise ApiError(400, "validation_error", "the body must be an X12 835", {"body": "empty"})
    try:
        remittance = read_835(raw)
    except X12ParseError as exc:
        raise ApiError(400, "invalid_x12", f"not a readable 835: {exc}", {"body": str(exc)}) from None

    def write(cur):  # type: ignore[no-untyped-def]
        result = post_remittance(cur, remittance, raw, posted_by=g.principal.name)
        audit_resource(result["remittance_id"], claims=len(result["posted"]), unmatched=len(result["unmatched"]))
        audit_in(cur)
        return result

    try:
        result = get_db().run(write, retries=0)
    except AlreadyPosted as exc:
        raise ApiError(409, "already_posted", str(exc)) from None
    return jsonify(result)


app = create_app(
    "billing",
    blueprints=[bp],
    description="Claims: eligibility check, patient-responsibility estimate, 837P export and 835 posting.",
)
app.extensions["intelluxe.payers"] = load_payers()
icd10_problem("E11.9")  # builds the ICD-10-CM code tree now (~2 s) rather than during a worker's first claim
