"""The audit trail feature: search the hash-chained audit log, verify the chain, read one entry (or as FHIR)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, jsonify, request

from core import audit
from core.auth import Role
from core.errors import api_error
from core.web import audit_resource, documented, get_db, param, phi_access, query_choice, query_int, requires

from . import audit_review
from .alert_review import require_uuid

FHIR_JSON = "application/fhir+json"
bp = Blueprint("audit_trail", __name__)


@bp.get("/audit")
@requires(Role.COMPLIANCE)
@phi_access("search", "audit_log")
@documented(
    responses={
        200: "{entries: [...], next_after_seq: cursor or null} (order=newest: {entries, next_before_seq})",
    },
    query={
        "user_id": "the actor",
        "resource": "resource id or type",
        "action": "the action (view, search, create, resolve, ...)",
        "outcome": param("success | denied | failure | error", type="string", enum=list(audit.OUTCOMES)),
        "since": param("ISO 8601, inclusive", type="string", format="date-time"),
        "until": param("ISO 8601, exclusive", type="string", format="date-time"),
        "after_seq": param("cursor from next_after_seq", type="integer", minimum=0, maximum=2**62, default=0),
        "order": param(
            "oldest (default: chain order, paged with after_seq) | newest (reverse, paged with before_seq)",
            type="string",
            enum=["oldest", "newest"],
            default="oldest",
        ),
        "before_seq": param("with order=newest: cursor from next_before_seq", type="integer", minimum=1, maximum=2**62),
        "limit": param("1-1000, default 100", type="integer", minimum=1, maximum=1000, default=100),
    },
)
def search_audit() -> Response:
    """Audit log entries in chain order, filtered and paginated."""
    args = request.args
    since, until = _when("since"), _when("until")
    after = query_int("after_seq")
    newest = query_choice("order") == "newest"
    before = query_int("before_seq")
    limit = query_int("limit")
    entries = audit_review.search(
        get_db(),
        user_id=args.get("user_id"),
        resource=args.get("resource"),
        action=args.get("action"),
        outcome=query_choice("outcome"),
        since=since,
        until=until,
        after_seq=after,
        newest_first=newest,
        before_seq=before,
        limit=limit,
    )
    audit_resource(None, results=len(entries))
    cursor = entries[-1]["seq"] if len(entries) == limit else None
    if newest:
        return jsonify({"entries": entries, "next_before_seq": cursor})
    return jsonify({"entries": entries, "next_after_seq": cursor})


@bp.get("/audit/verify")
@requires(Role.COMPLIANCE)
@phi_access("verify", "audit_log")
@documented(responses={200: "{ok, rows_checked, head_seq, head_hash, first_bad_seq, first_bad_audit_id, reason}"})
def verify_audit() -> Response:
    """Walk the whole hash chain; name the first altered or missing row."""
    result = audit.verify(get_db())
    audit_resource(None, rows=result.rows_checked, ok=result.ok)
    return jsonify(result.__dict__)


@bp.get("/audit/daily")
@requires(Role.COMPLIANCE)
@phi_access("search", "audit_log")
@documented(
    responses={200: "{days: [{day, accesses, not_successful, alerts}]}, oldest first, UTC days"},
    query={
        "days": param(
            f"1-{audit_review.MAX_DAYS}, default 30",
            type="integer",
            minimum=1,
            maximum=audit_review.MAX_DAYS,
            default=30,
        ),
    },
)
def daily_activity() -> Response:
    """Audit rows, refused or failed ones, and alerts raised, per UTC day (counts only)."""
    days = query_int("days")
    rows = audit_review.daily_activity(get_db(), days=days)
    audit_resource(None, days=days)
    return jsonify({"days": rows})


@bp.get("/audit/<audit_id>")
@requires(Role.COMPLIANCE)
@phi_access("read", "audit_log")
@documented(responses={200: "the entry; a FHIR R4B AuditEvent with Accept: application/fhir+json", 404: "none"})
def audit_entry(audit_id: str) -> Response:
    """One audit log entry."""
    require_uuid(audit_id)
    audit_resource(audit_id)
    row = audit_review.get(get_db(), audit_id)
    if row is None:
        raise api_error("not_found", "no audit entry with that id")
    if request.accept_mimetypes.best_match(["application/json", FHIR_JSON]) == FHIR_JSON:
        return Response(current_app.json.dumps(audit_review.fhir_audit_event(row)), mimetype=FHIR_JSON)
    return jsonify(row)


def _when(name: str) -> datetime | None:
    """An ISO 8601 date-time query parameter (UTC when it has no offset), or a 400 naming it."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
        # In UTC: PostgreSQL refuses offsets Python accepts (beyond ±15:59), which was a 500.
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise api_error("validation_error", "invalid query", {name: "an ISO 8601 date-time"}) from None
