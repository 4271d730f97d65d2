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
        400: "the body is not X12, holds no 835, or none of its 835 transaction sets is readable",
        409: "every payment in the file (payer + check/EFT number) was already posted",
    },
)
def remittances() -> Response:
    """Post an X12 835 file (the body, as application/edi-x12): every payment in it; claims move to paid, partially
    paid, denied or reversed.

    A batch holds one 835 transaction set per payment: each is posted and reported on its own (posted,
    already_posted, unreadable), so one bad or repeated payment neither blocks nor duplicates the others."""
    raw = request.get_data(as_text=True)
    results = post_835(get_db(), raw, posted_by=current_principal().name, trail=request_trail())
    return jsonify({"transactions": results})
