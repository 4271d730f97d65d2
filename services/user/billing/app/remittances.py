"""The remittances feature: post an X12 835 from the payer."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from core.auth import Role
from core.web import current_principal, documented, get_db, phi_access, request_trail, requires

from .models import RemittanceResult
from .remittance_posting import post_835

bp = Blueprint("remittances", __name__)


@bp.post("/remittances")
@requires(Role.BILLING)
@phi_access("post", "remittance")
@documented(
    body_type="application/edi-x12",
    responses={
        200: RemittanceResult,
        400: "the body is not a readable 835",
        409: "this payer's check/EFT number was already posted",
    },
)
def remittances() -> Response:
    """Post an X12 835 (the body, as application/edi-x12): claims move to paid, partially paid or denied."""
    raw = request.get_data(as_text=True)
    result = post_835(get_db(), raw, posted_by=current_principal().name, trail=request_trail())
    return jsonify(result)
