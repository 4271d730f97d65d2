"""`POST /x12/278`: the sandbox payer reviews a prior-authorization request (005010X217) and answers with a 278.

The review rules are the fixture's `reviews` section (members.yml): codes it pends for clinical documentation (A4),
codes it does not certify with the payer's reason code (A3); every other code is certified (A1) with a review
number derived from the request's trace, for 90 days from the service date. The event's decision sums the
services': all certified A1, none A3, a mix A2, anything pended A4. A member the payer does not have (or of another
payer) is rejected at the subscriber loop: AAA 75 (72 for an id of the wrong shape), "correct and resubmit".
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Flask, Response, current_app, request

from core.errors import api_error
from core.web import documented
from core.x12 import X12ParseError
from core.x12.x278 import ReviewRequest, ServiceAnswer, build_278_response, read_278_request

from .x12_270 import EDI, MEMBER_ID, check_token

CERTIFIED_DAYS = 90


def load_reviews(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    reviews = data.get("reviews") or {}
    pended = [str(code) for code in reviews.get("pended") or []]
    not_certified = {str(code): str(reason) for code, reason in (reviews.get("not_certified") or {}).items()}
    return {"pended": frozenset(pended), "not_certified": not_certified}


def review(req: ReviewRequest, members: dict[str, dict[str, Any]], rules: dict[str, Any], now: datetime) -> str:
    control = secrets.randbelow(999_999_999) + 1
    member = members.get(req.member_id)
    if not MEMBER_ID.match(req.member_id) or member is None or str(member.get("payer")) != req.payer_id:
        reason = "72" if not MEMBER_ID.match(req.member_id) else "75"
        return build_278_response(
            req, services=(), event=None, rejects=(("22", reason, "C"),), control_number=control, now=now
        )
    number = "SBX" + hashlib.sha256(req.trace_number.encode()).hexdigest()[:10].upper()
    answers = tuple(_decide(service.procedure_code, number, rules) for service in req.services)
    actions = {a.action_code for a in answers}
    if "A4" in actions:
        event = ServiceAnswer("", "A4")
    elif actions == {"A1"}:
        event = ServiceAnswer("", "A1", number)
    elif actions == {"A3"}:
        event = ServiceAnswer("", "A3", None, answers[0].reason_code)
    else:
        event = ServiceAnswer("", "A2", number)
    certified = event.action_code in ("A1", "A2")
    return build_278_response(
        req,
        services=answers,
        event=event,
        effective=req.service_date if certified else None,
        expires=req.service_date + timedelta(days=CERTIFIED_DAYS - 1) if certified else None,
        control_number=control,
        now=now,
    )


def _decide(code: str, number: str, rules: dict[str, Any]) -> ServiceAnswer:
    if code in rules["pended"]:
        return ServiceAnswer(code, "A4")
    if code in rules["not_certified"]:
        return ServiceAnswer(code, "A3", None, rules["not_certified"][code])
    return ServiceAnswer(code, "A1", number)


bp = Blueprint("sandbox_278", __name__)


@bp.post("/x12/278")
@documented(
    body_type="application/edi-x12",
    responses={
        200: "an X12 278 response (application/edi-x12)",
        400: "the body is not a readable 278 request",
        401: "SANDBOX_TOKEN is set and the bearer token is not it",
    },
)
def review_278() -> Response:
    """Review a 278 prior-authorization request (005010X217). Not part of Intelluxe's API: a payer stand-in."""
    check_token()
    try:
        req = read_278_request(request.get_data(as_text=True))
    except X12ParseError as exc:
        raise api_error("invalid_x12", f"not a readable 278 request: {exc}") from None
    ext = current_app.extensions
    body = review(req, ext["payer_sandbox.members"], ext["payer_sandbox.reviews"], datetime.now(UTC))
    return Response(body, mimetype=EDI)


def init_app(app: Flask, rules: dict[str, Any]) -> None:
    app.extensions["payer_sandbox.reviews"] = rules
