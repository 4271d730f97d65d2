"""The sandbox's one feature: `POST /x12/270` with an `application/edi-x12` body, the payer's 271 in the answer —
what the clinic's adapters speak to a real clearinghouse. Members and their plans come from a fixture file."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Flask, Response, current_app, request

from core.errors import api_error
from core.web import documented
from core.x12 import CoverageAnswer, Dependent, EligibilityRequest, Subscriber, X12ParseError, build_271, read_270

MEMBER_ID = re.compile(r"^[A-Za-z0-9]{6,20}$")
_MONEY = (
    "deductible",
    "deductible_remaining",
    "family_deductible",
    "family_deductible_remaining",
    "coinsurance_rate",
    "copay",
    "out_of_pocket_max",
    "out_of_pocket_remaining",
    "family_out_of_pocket_max",
    "family_out_of_pocket_remaining",
)
EDI = "application/edi-x12"


def load_members(path: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    members = data.get("members") or {}
    if not isinstance(members, dict):
        raise ValueError(f"{path}: 'members' must be a mapping of member id to plan")
    return {str(k): v for k, v in members.items()}


def answer_for(req: EligibilityRequest, members: dict[str, dict[str, Any]]) -> CoverageAnswer:
    """What the payer says to this request: a rejection (AAA) or the member's plan for the service date's year."""
    if not MEMBER_ID.match(req.member_id):
        return CoverageAnswer(reject_reason_code="72")
    member = members.get(req.member_id)
    if member is None or str(member.get("payer")) != req.payer_id:
        return CoverageAnswer(reject_reason_code="75")
    year = req.service_date.year
    begin = member.get("plan_begin") or date(year, 1, 1)
    end = member.get("plan_end") or date(year, 12, 31)
    status = member.get("status", "active")
    if status == "active" and not (begin <= req.service_date <= end):
        status = "inactive"
    sub = member.get("subscriber") or {}
    amounts = {name: Decimal(str(member[name])) for name in _MONEY if member.get(name) is not None}
    # A 270 naming one of the subscriber's dependents is answered for that dependent (2000D), as payers do for a
    # dependent without an id of their own; any other inquiry, for the subscriber.
    asked = req.member_first_name or req.member_last_name or req.member_birth_date
    dependent = _dependent_asked(req, member.get("dependents") or []) if asked else None
    return CoverageAnswer(
        status=status,
        plan_name=member.get("plan_name", ""),
        plan_begin=begin,
        plan_end=end,
        subscriber=Subscriber(**sub) if sub else None,
        dependent=dependent,
        authorization_required_codes=tuple(member.get("authorization_required_codes") or ()),
        **amounts,
    )


def _is(req: EligibilityRequest, person: dict[str, Any]) -> bool:
    """The 270 names this person: each of first name, last name and birth date it gives matches."""
    asked = (
        (req.member_first_name, str(person.get("first_name", ""))),
        (req.member_last_name, str(person.get("last_name", ""))),
    )
    if any(given and given.upper() != known.upper() for given, known in asked):
        return False
    return req.member_birth_date is None or req.member_birth_date == person.get("birth_date")


def _dependent_asked(req: EligibilityRequest, dependents: list[dict[str, Any]]) -> Dependent | None:
    return next((Dependent(**person) for person in dependents if _is(req, person)), None)


bp = Blueprint("sandbox", __name__)


@bp.post("/x12/270")
@documented(
    body_type="application/edi-x12",
    responses={
        200: "an X12 271 (application/edi-x12)",
        400: "the body is not a readable 270",
        401: "SANDBOX_TOKEN is set and the bearer token is not it",
    },
)
def eligibility_270() -> Response:
    """Answer an X12 270 (005010X279A1) with a 271. Not part of Intelluxe's API: a payer stand-in."""
    check_token()
    try:
        req = read_270(request.get_data(as_text=True))
    except X12ParseError as exc:
        raise api_error("invalid_x12", f"not a readable 270: {exc}") from None
    answer = answer_for(req, current_app.extensions["payer_sandbox.members"])
    body = build_271(req, answer, control_number=secrets.randbelow(999_999_999) + 1, now=datetime.now(UTC))
    return Response(body, mimetype=EDI)


def check_token() -> None:
    """With SANDBOX_TOKEN set, a request must carry it as its bearer token (as a clearinghouse asks for its own)."""
    expected = current_app.extensions["payer_sandbox.token"]
    if expected:
        presented = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            raise api_error("unauthorized", "the payer sandbox's token is wrong or missing")


def init_app(app: Flask, members: dict[str, dict[str, Any]], token: str | None) -> None:
    app.extensions["payer_sandbox.members"] = members
    app.extensions["payer_sandbox.token"] = token
