"""The claims feature: create a claim, read it, list claims, export it as an 837P."""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request

from core.auth import Role
from core.claims.claim_request import CreateClaim
from core.errors import api_error
from core.web import (
    audit_resource,
    current_principal,
    documented,
    get_clinic,
    get_db,
    get_payers,
    param,
    parse_body,
    phi_access,
    query_choice,
    query_int,
    request_id,
    request_trail,
    requires,
)
from core.x12.x837p import FREQUENCIES

from .claim_store import list_claims, load_claim, load_stored, payer_claim_numbers
from .export_837 import export_837p, payer_claim_control_number
from .models import STATUSES, ClaimResponse
from .workflow import ClaimRequest, current_workflow

EDI = "application/edi-x12"

bp = Blueprint("claims", __name__)

# Printable ASCII, no space at either end (HTTP trims it, so the key would not be the one the client holds).
IDEMPOTENCY_KEY = re.compile(r"^[!-~]([ -~]{0,253}[!-~])?$")
# A payer's claim control number as the desk types it: letters, digits, ' ./-', 1-50, no space at either end.
PAYER_CLAIM_NUMBER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9 ./-]{0,48}[A-Za-z0-9])?$")


@bp.post("/create_claim")
@requires(Role.BILLING)
@phi_access("create", "claim")
@documented(
    request_model=CreateClaim,
    headers={
        "Idempotency-Key": param(
            "1 to 255 printable ASCII characters: a retry with the same key and body returns the first claim (header"
            " Idempotent-Replayed: true) and writes nothing",
            type="string",
            pattern=IDEMPOTENCY_KEY.pattern,
        )
    },
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
    claim_request = ClaimRequest(body, current_principal().name, request_id(), _idempotency_key())
    outcome = current_workflow().create_claim(claim_request, request_trail())
    response = jsonify(outcome.claim.answer_json())
    if outcome.replayed:
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
        raise api_error("not_found", "no claim with that id")
    return jsonify(claim.answer_json())


@bp.get("/claims")
@requires(Role.BILLING)
@phi_access("search", "claim")
@documented(
    responses={200: "{claims: [...], next_before: claim id for the next page or null}"},
    query={
        "patient_id": "only this patient's claims",
        "member_id": "only this member's claims",
        "status": param(f"one of {', '.join(STATUSES)}", type="string", enum=list(STATUSES)),
        "limit": param("1-200, default 50", type="integer", minimum=1, maximum=200, default=50),
        "before": "claim id: the page after it (from next_before)",
    },
)
def search_claims() -> Response:
    """Claims, newest first, filtered by patient, member and status."""
    status = query_choice("status")
    limit = query_int("limit")
    args = request.args
    claims = list_claims(
        get_db(),
        patient_id=args.get("patient_id"),
        status=status,
        member_id=args.get("member_id"),
        limit=limit,
        before=args.get("before"),
    )
    audit_resource(None, results=len(claims))
    next_before = claims[-1].claim_id if len(claims) == limit else None
    return jsonify({"claims": [c.answer_json() for c in claims], "next_before": next_before})


@bp.get("/claims/<claim_id>/837")
@requires(Role.BILLING)
@phi_access("export", "claim")
@documented(
    query={
        "frequency": param(
            "CLM05-3: 1 original (default), 7 replacement, 8 void of the claim the payer already has",
            type="string",
            enum=list(FREQUENCIES),
            default="1",
        ),
        "payer_claim_control_number": param(
            "with frequency 7 or 8: the payer's number for the claim (REF*F8); default: the one the posted 835 gave"
            " (CLP07). Refused (422) with frequency 1",
            type="string",
            pattern=PAYER_CLAIM_NUMBER.pattern,
        ),
    },
    responses={
        200: "the claim as an X12 837P (005010X222A1), application/edi-x12",
        404: "no such claim",
        422: "the claim lacks what an 837P needs (diagnosis, patient demographics, a name or address that fits its"
        " element, the payer's claim control number for a replacement or void); the field is named",
    },
)
def claim_837(claim_id: str) -> Response:
    """The claim as an 837P professional claim for its payer: the original, or (frequency 7, 8) a replacement or
    void of it naming the payer's claim control number."""
    audit_resource(claim_id)
    frequency = query_choice("frequency")
    given = _payer_claim_number()
    found = load_stored(get_db(), claim_id)
    if found is None:
        raise api_error("not_found", "no claim with that id")
    posted = payer_claim_numbers(get_db(), claim_id) if frequency != "1" and given is None else []
    number = payer_claim_control_number(frequency, given, posted)
    text = export_837p(*found, clinic=get_clinic(), payers=get_payers(), frequency=frequency, control_number=number)
    audit_resource(claim_id, bytes=len(text), frequency=frequency)
    return Response(text, mimetype=EDI, headers={"Content-Disposition": f'attachment; filename="{claim_id}.837"'})


def _payer_claim_number() -> str | None:
    value = request.args.get("payer_claim_control_number")
    if value is not None and not PAYER_CLAIM_NUMBER.fullmatch(value):
        raise api_error(
            "validation_error",
            "invalid query",
            {"payer_claim_control_number": "1-50 letters, digits, spaces, '.', '/' or '-', no space at either end"},
        )
    return value


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise api_error(
            "validation_error",
            "Idempotency-Key must be 1-255 printable ASCII characters",
            {"Idempotency-Key": "1-255 printable ASCII characters"},
        )
    return key
