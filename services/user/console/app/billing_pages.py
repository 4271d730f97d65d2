"""The billing desk's pages: claims (filters, status, paging), a claim with its estimate line by line and its 837P,
posting an 835 file with each transaction's result, and an eligibility check showing what the 271 gave. Each is a
call to billing or insurance-verify with the clerk's own token; those services audit it.

Patient and member ids are PHI: they travel in POST bodies, never in URLs. A claim's id is a random id that names no
one, so a claim's page and its 837P download have it in their path.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, render_template, request

from core.auth import Role

from .guard import NavItem, current, page
from .suite import ServiceError, suite

bp = Blueprint("billing_pages", __name__)
NAV = (
    NavItem("billing_pages.claims", "Claims", "Claims by status, with their estimates and 837P", (Role.BILLING,)),
    NavItem("billing_pages.remittances", "Post an 835", "Upload a payer's 835 and see each payment", (Role.BILLING,)),
    NavItem("billing_pages.eligibility", "Eligibility", "Check a member's coverage with the payer", (Role.BILLING,)),
)

STATUSES = ("submitted", "paid", "partially_paid", "denied", "reversed")
PAGE_SIZE = 50
MAX_835_BYTES = 8 * 1024 * 1024
_CLAIM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CODES = re.compile(r"[\s,;]+")


def _call(service: str, method: str, path: str, **kwargs: Any) -> Any:
    return suite().json(service, method, path, token=current().token, **kwargs)


@bp.route("/claims", methods=["GET", "POST"])
@page(Role.BILLING)
def claims() -> str:
    """GET: the newest claims (a status in the query is no PHI). POST: filtered by patient or member id, paged."""
    source = request.form if request.method == "POST" else request.args
    form = {k: source.get(k, "").strip() for k in ("status", "patient_id", "member_id", "before")}
    if form["status"] and form["status"] not in STATUSES:
        abort(400)
    if request.method == "GET":
        form["patient_id"] = form["member_id"] = form["before"] = ""
    params = {**form, "limit": PAGE_SIZE}
    found = _call("billing", "GET", "/claims", params=params)
    return render_template(
        "billing/claims.html", claims=found["claims"], next_before=found["next_before"], form=form, statuses=STATUSES
    )


@bp.get("/claims/<claim_id>")
@page(Role.BILLING)
def claim(claim_id: str) -> str:
    _check_claim_id(claim_id)
    return render_template("billing/claim.html", claim=_call("billing", "GET", f"/claims/{claim_id}"))


@bp.get("/claims/<claim_id>/837")
@page(Role.BILLING)
def claim_837(claim_id: str) -> Response:
    """The 837P as a download (named by the claim's id only); the billing service audits the export."""
    _check_claim_id(claim_id)
    reply = suite().call("billing", "GET", f"/claims/{claim_id}/837", token=current().token)
    response = Response(reply.content, mimetype="application/edi-x12")
    response.headers["Content-Disposition"] = f'attachment; filename="claim-{claim_id}.837"'
    return response


@bp.route("/remittances", methods=["GET", "POST"])
@page(Role.BILLING)
def remittances() -> tuple[str, int] | str:
    if request.method == "GET":
        return render_template("billing/remittances.html", result=None)
    upload = request.files.get("file")
    data = upload.read(MAX_835_BYTES + 1) if upload is not None else b""
    if not data or len(data) > MAX_835_BYTES:
        error = f"Choose an 835 file of at most {MAX_835_BYTES // (1024 * 1024)} MB."
        return render_template("billing/remittances.html", result=None, error=error), 400
    try:
        result = _call("billing", "POST", "/remittances", data=data, headers={"Content-Type": "application/edi-x12"})
    except ServiceError as exc:
        if exc.kind != "refused":
            raise
        # 400: not an 835 / nothing readable; 409: every payment in it was posted before. Said on the form.
        return render_template("billing/remittances.html", result=None, error=exc.message), exc.status
    return render_template("billing/remittances.html", result=result)


@bp.route("/eligibility", methods=["GET", "POST"])
@page(Role.BILLING)
def eligibility() -> tuple[str, int] | str:
    fields = (
        "member_id",
        "provider_id",
        "service_codes",
        "payer_id",
        "service_date",
        "member_first_name",
        "member_last_name",
        "member_birth_date",
    )
    form = {k: request.form.get(k, "").strip() for k in fields}
    if request.method == "GET":
        return render_template("billing/eligibility.html", form=form, answer=None)
    body: dict[str, Any] = {k: v for k, v in form.items() if v and k != "service_codes"}
    body["service_codes"] = [c for c in _CODES.split(form["service_codes"].upper()) if c]
    try:
        answer = _call("insurance-verify", "POST", "/verify", json=body)
    except ServiceError as exc:
        if exc.kind != "refused":
            raise
        errors = {k.split(".")[0]: v for k, v in exc.fields.items()} or {"": exc.message}
        return render_template("billing/eligibility.html", form=form, answer=None, errors=errors), exc.status
    return render_template("billing/eligibility.html", form=form, answer=answer)


def _check_claim_id(claim_id: str) -> None:
    if not _CLAIM_ID.match(claim_id):
        abort(404)
