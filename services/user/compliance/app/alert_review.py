"""The compliance officer's work on security alerts: list them most severe first, resolve one with a reason."""

from __future__ import annotations

import uuid
from typing import Any

from core.db import Database
from core.errors import api_error

ALERT_STATUSES = ("open", "resolved", "all")


def ranked_alerts(db: Database, *, status: str, user_id: str | None, limit: int) -> list[dict[str, Any]]:
    """Alerts by severity (critical first), then most recently seen."""
    clauses, params = [], []
    if status != "all":
        clauses.append("status = %s")
        params.append(status)
    if user_id:
        clauses.append("user_id = %s")
        params.append(user_id)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.fetchall(
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
    return [{**r, "alert_id": str(r["alert_id"])} for r in rows]


def resolve(db: Database, alert_id: str, *, resolved_by: str, note: str) -> dict[str, Any]:
    """Close an open alert, recording who and why; 404 for no such alert, 409 when it is already resolved."""
    require_uuid(alert_id)
    row = db.fetchone(
        """
        UPDATE security_alerts SET status = 'resolved', resolved_at = now(), resolved_by = %s, resolution_note = %s
        WHERE alert_id = %s AND status = 'open'
        RETURNING alert_id, alert_type, user_id, severity, status, resolved_at, resolved_by, resolution_note
        """,
        (resolved_by, note, alert_id),
    )
    if row is None:
        if db.fetchone("SELECT status FROM security_alerts WHERE alert_id = %s", (alert_id,)) is None:
            raise api_error("not_found", "no alert with that id")
        raise api_error("already_resolved")
    return {**row, "alert_id": str(row["alert_id"])}


def require_uuid(value: str) -> None:
    """Ids of alerts and audit rows are UUIDs; anything else names nothing (404, not a database error)."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise api_error("not_found", "no such id") from None
