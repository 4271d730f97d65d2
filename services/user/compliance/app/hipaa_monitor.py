"""compliance: the HIPAA audit trail, PHI detection and security alerts.

`POST /log_access` lets outside apps write to the one hash-chained audit log and raises ranked alerts;
`POST /scan_pii` finds identifiers in text (never storing or logging it); the review API (compliance role) lists and
resolves alerts, searches and verifies the audit log and exports rows as FHIR AuditEvents. /health checks
PostgreSQL, where the audit log and alerts live.
"""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import ip_address
from typing import Any, Literal

import audit_review
from access_rules import AccessEvent, load_config, record_access
from flask import Blueprint, Response, g, jsonify, request
from pii_scan import ScanRequest, ScanResponse, scan
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from core import audit
from core.auth import Role
from core.web import (
    ApiError,
    audit_resource,
    create_app,
    documented,
    get_db,
    parse_body,
    phi_access,
    query_int,
    requires,
)

FHIR_JSON = "application/fhir+json"
bp = Blueprint("compliance", __name__)


class LogAccessRequest(BaseModel):
    """An access to patient data that an outside app reports, as in the seed."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=128, pattern=r"^[^\s]+$")
    resource: str = Field(min_length=1, max_length=512)
    action: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    success: StrictBool
    ip_address: str | None = None

    @field_validator("ip_address")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                return str(ip_address(value))
            except ValueError:
                raise ValueError("is not an IPv4 or IPv6 address") from None
        return value


class LogAccessResponse(BaseModel):
    """The audit row written (seed fields), its flags and any alerts it raised or added to."""

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


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=2000, description="why the alert is resolved")


@bp.post("/log_access")
@requires(Role.SERVICE, Role.COMPLIANCE)
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
        reported_by=g.principal.name,
        request_id=g.request_id,
    )
    at = datetime.now(UTC)
    result = get_db().run(lambda cur: record_access(cur, event, app.extensions["compliance.config"], at=at))
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


@bp.post("/scan_pii")
@requires(Role.CLINICIAN, Role.BILLING, Role.COMPLIANCE, Role.SERVICE)
@phi_access("scan", "text")
@documented(request_model=ScanRequest, responses={200: ScanResponse})
def scan_pii() -> Response:
    """Find identifiers (with spans) in `content`; with `redact: true` also return it redacted. Nothing is stored."""
    body = parse_body(ScanRequest)
    result = scan(body)
    audit_resource(None, characters=len(body.content), findings=len(result["findings"]))
    return jsonify(result)


@bp.get("/alerts")
@requires(Role.COMPLIANCE)
@phi_access("search", "security_alert")
@documented(
    responses={200: "{alerts: [...]} ranked by severity, then most recent"},
    query={"status": "open (default) | resolved | all", "user_id": "only this user's", "limit": "1-500, default 100"},
)
def list_alerts() -> Response:
    """Security alerts, most severe and most recent first."""
    status = request.args.get("status", "open")
    if status not in ("open", "resolved", "all"):
        raise ApiError(400, "validation_error", "invalid query", {"status": "open, resolved or all"})
    limit = query_int("limit", 100, 1, 500)
    clauses, params = [], []
    if status != "all":
        clauses.append("status = %s")
        params.append(status)
    if request.args.get("user_id"):
        clauses.append("user_id = %s")
        params.append(request.args["user_id"])
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = get_db().fetchall(
        f"""
        SELECT alert_id, alert_type, user_id, severity, status, event_count, created_at, last_seen_at, resolved_at,
               resolved_by, resolution_note, details
        FROM security_alerts {where}
        ORDER BY CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC,
                 last_seen_at DESC
        LIMIT %s
        """,  # noqa: S608 - clauses are fixed strings
        (*params, limit),
    )
    audit_resource(None, results=len(rows))
    return jsonify({"alerts": [{**r, "alert_id": str(r["alert_id"])} for r in rows]})


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
    _uuid_or_404(alert_id)
    row = get_db().fetchone(
        """
        UPDATE security_alerts SET status = 'resolved', resolved_at = now(), resolved_by = %s, resolution_note = %s
        WHERE alert_id = %s AND status = 'open'
        RETURNING alert_id, alert_type, user_id, severity, status, resolved_at, resolved_by, resolution_note
        """,
        (g.principal.name, body.note, alert_id),
    )
    if row is None:
        exists = get_db().fetchone("SELECT status FROM security_alerts WHERE alert_id = %s", (alert_id,))
        if exists is None:
            raise ApiError(404, "not_found", "no alert with that id")
        raise ApiError(409, "already_resolved", "the alert is already resolved")
    return jsonify({**row, "alert_id": str(row["alert_id"])})


@bp.get("/audit")
@requires(Role.COMPLIANCE)
@phi_access("search", "audit_log")
@documented(
    responses={200: "{entries: [...], next_after_seq: cursor or null}"},
    query={
        "user_id": "the actor",
        "resource": "resource id or type",
        "since": "ISO 8601, inclusive",
        "until": "ISO 8601, exclusive",
        "after_seq": "cursor from next_after_seq",
        "limit": "1-1000, default 100",
    },
)
def search_audit() -> Response:
    """Audit log entries in chain order, filtered and paginated."""
    args = request.args
    since, until = _when(args.get("since"), "since"), _when(args.get("until"), "until")
    after = query_int("after_seq", 0, 0, 2**62)
    limit = query_int("limit", 100, 1, 1000)
    entries = audit_review.search(
        get_db(),
        user_id=args.get("user_id"),
        resource=args.get("resource"),
        since=since,
        until=until,
        after_seq=after,
        limit=limit,
    )
    audit_resource(None, results=len(entries))
    return jsonify({"entries": entries, "next_after_seq": entries[-1]["seq"] if len(entries) == limit else None})


@bp.get("/audit/verify")
@requires(Role.COMPLIANCE)
@phi_access("verify", "audit_log")
@documented(responses={200: "{ok, rows_checked, head_seq, head_hash, first_bad_seq, first_bad_audit_id, reason}"})
def verify_audit() -> Response:
    """Walk the whole hash chain; name the first altered or missing row."""
    result = audit.verify(get_db())
    audit_resource(None, rows=result.rows_checked, ok=result.ok)
    return jsonify(result.__dict__)


@bp.get("/audit/<audit_id>")
@requires(Role.COMPLIANCE)
@phi_access("read", "audit_log")
@documented(responses={200: "the entry; a FHIR R4B AuditEvent with Accept: application/fhir+json", 404: "none"})
def audit_entry(audit_id: str) -> Response:
    """One audit log entry."""
    _uuid_or_404(audit_id)
    audit_resource(audit_id)
    row = audit_review.get(get_db(), audit_id)
    if row is None:
        raise ApiError(404, "not_found", "no audit entry with that id")
    if request.accept_mimetypes.best_match(["application/json", FHIR_JSON]) == FHIR_JSON:
        return Response(app.json.dumps(audit_review.fhir_audit_event(row)), mimetype=FHIR_JSON)
    return jsonify(row)


def _uuid_or_404(value: str) -> None:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        raise ApiError(404, "not_found", "no such id") from None


def _when(raw: str | None, name: Literal["since", "until"]) -> datetime | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "validation_error", "invalid query", {name: "an ISO 8601 date-time"}) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


app = create_app(
    "compliance",
    blueprints=[bp],
    description="HIPAA audit trail, PHI/PII detection and redaction, security alerts.",
)
app.extensions["compliance.config"] = load_config()
