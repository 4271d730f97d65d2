"""The alerts feature: security alerts for the compliance officer, ranked, and their resolution."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from core.auth import Role
from core.web import (
    audit_resource,
    current_principal,
    documented,
    get_db,
    param,
    parse_body,
    phi_access,
    query_choice,
    query_int,
    requires,
)

from . import alert_review

bp = Blueprint("alerts", __name__)


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=2000, description="why the alert is resolved")


@bp.get("/alerts")
@requires(Role.COMPLIANCE)
@phi_access("search", "security_alert")
@documented(
    responses={200: "{alerts: [...]} ranked by severity, then most recent"},
    query={
        "status": param(
            "open (default) | resolved | all", type="string", enum=list(alert_review.ALERT_STATUSES), default="open"
        ),
        "user_id": "only this user's",
        "limit": param("1-500, default 100", type="integer", minimum=1, maximum=500, default=100),
    },
)
def list_alerts() -> Response:
    """Security alerts, most severe and most recent first."""
    status = query_choice("status")
    limit = query_int("limit")
    rows = alert_review.ranked_alerts(
        get_db(), status=status or "open", user_id=request.args.get("user_id"), limit=limit
    )
    audit_resource(None, results=len(rows))
    return jsonify({"alerts": rows})


@bp.post("/alerts/<alert_id>/resolve")
@requires(Role.COMPLIANCE)
@phi_access("resolve", "security_alert")
@documented(
    request_model=ResolveRequest,
    responses={200: "the resolved alert", 404: "no such alert", 409: "the alert is already resolved"},
)
def resolve_alert(alert_id: str) -> Response:
    """Close an alert, recording who closed it and why."""
    body = parse_body(ResolveRequest)
    audit_resource(alert_id)
    return jsonify(alert_review.resolve(get_db(), alert_id, resolved_by=current_principal().name, note=body.note))
