"""The access log feature: `POST /log_access` — outside apps report an access to patient data; it is written to
the one hash-chained audit log, flagged, and may raise or extend security alerts (rules in access_rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import ip_address
from typing import Annotated, Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, ConfigDict, Field, StrictBool, WithJsonSchema, field_validator

from core.auth import Role
from core.shapes import off_shape
from core.web import (
    audited_by_handler,
    current_principal,
    documented,
    get_db,
    parse_body,
    phi_access,
    request_id,
    requires,
)

from .access_rules import AccessEvent, current_rules, record_access

bp = Blueprint("access_log", __name__)


# No control character and no space of any kind. Written out, not as \s: Python's \s and JavaScript's differ
# (U+001C-U+001F and U+0085 for one, U+FEFF for the other), and a client validates with the latter.
USER_ID_PATTERN = r"^[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+$"


class LogAccessRequest(BaseModel):
    """An access to patient data that an outside app reports (the first published fields)."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=128, pattern=USER_ID_PATTERN)
    resource: str = Field(min_length=1, max_length=512)
    action: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    success: StrictBool
    ip_address: Annotated[
        str | None,
        WithJsonSchema(
            {"anyOf": [{"type": "string", "format": "ipv4"}, {"type": "string", "format": "ipv6"}, {"type": "null"}]}
        ),
    ] = None

    @field_validator("ip_address")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                return str(ip_address(value))
            except ValueError:
                raise off_shape("is not an IPv4 or IPv6 address") from None
        return value


class LogAccessResponse(BaseModel):
    """The audit row written (the first published fields), its flags and any alerts it raised or added to."""

    audit_id: str
    user_id: str
    resource: str
    action: str
    success: bool
    ip_address: str | None
    timestamp: datetime
    compliance_flags: list[str] = Field(description="PHI_EXPORT, BULK_ACCESS, AFTER_HOURS, FAILED_ACCESS")
    seq: int
    alerts: list[dict[str, Any]]


@bp.post("/log_access")
@requires(Role.SERVICE, Role.COMPLIANCE)
@phi_access("report", "access_log")
@documented(request_model=LogAccessRequest, responses={200: LogAccessResponse})
def log_access() -> Response:
    """Record an access in the hash-chained audit log, flag it and raise or extend security alerts."""
    body = parse_body(LogAccessRequest)
    event = AccessEvent(
        user_id=body.user_id,
        resource=body.resource,
        action=body.action,
        success=body.success,
        ip_address=body.ip_address,
        reported_by=current_principal().name,
        request_id=request_id(),
    )
    at = datetime.now(UTC)
    result = get_db().run(lambda cur: record_access(cur, event, current_rules(), at=at))
    audited_by_handler()
    return jsonify(
        {
            "audit_id": result.audit.audit_id,
            "user_id": body.user_id,
            "resource": body.resource,
            "action": body.action,
            "success": body.success,
            "ip_address": body.ip_address,
            "timestamp": result.audit.created_at,
            "compliance_flags": result.flags,
            "seq": result.audit.seq,
            "alerts": result.alerts,
        }
    )
