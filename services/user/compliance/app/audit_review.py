"""The compliance officer's view of the audit log: search, chain verification, and FHIR AuditEvent export."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fhir.resources.R4B.auditevent import AuditEvent

from core.db import Database

_COLUMNS = (
    "seq, audit_id, created_at, service, user_id, actor_role, action, resource_type, resource_id, outcome, "
    "http_status, client_ip, request_id, details, row_hash"
)
# FHIR AuditEvent.action: C create, R read/view/print/query, U update, D delete, E execute.
_FHIR_ACTION = {
    "create": "C",
    "post": "U",
    "update": "U",
    "resolve": "U",
    "delete": "D",
    "read": "R",
    "search": "R",
    "verify": "R",
    "view": "R",
    "export": "R",
    "download": "R",
    "print": "R",
    "bulk_access": "R",
}
# FHIR AuditEvent.outcome: 0 success, 4 minor failure, 8 serious failure, 12 major failure.
_FHIR_OUTCOME = {"success": "0", "failure": "4", "denied": "4", "error": "8"}


def row_json(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["audit_id"] = str(row["audit_id"])
    out["created_at"] = row["created_at"].isoformat()
    return out


def search(
    db: Database,
    *,
    user_id: str | None,
    resource: str | None,
    since: datetime | None,
    until: datetime | None,
    after_seq: int,
    limit: int,
    action: str | None = None,
    outcome: str | None = None,
    newest_first: bool = False,
    before_seq: int | None = None,
) -> list[dict[str, Any]]:
    """Rows in chain order after `after_seq` (the cursor of the previous page); or, `newest_first`, in reverse
    chain order before `before_seq` (the reviewer's usual question is what happened last)."""
    clauses: list[str] = ["seq > %s"]
    params: list[Any] = [after_seq]
    if before_seq is not None:
        clauses.append("seq < %s")
        params.append(before_seq)
    for column, value in (("user_id", user_id), ("action", action), ("outcome", outcome)):
        if value is not None:
            clauses.append(f"{column} = %s")
            params.append(value)
    if resource is not None:
        clauses.append("(resource_id = %s OR resource_type = %s)")
        params += [resource, resource]
    if since is not None:
        clauses.append("created_at >= %s")
        params.append(since)
    if until is not None:
        clauses.append("created_at < %s")
        params.append(until)
    order = "seq DESC" if newest_first else "seq"
    sql = f"SELECT {_COLUMNS} FROM audit_log WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT %s"  # noqa: S608
    return [row_json(r) for r in db.fetchall(sql, (*params, limit))]


MAX_DAYS = 366


def daily_activity(db: Database, *, days: int, today: date | None = None) -> list[dict[str, Any]]:
    """Per UTC day of the last `days` (today included, oldest first, days without rows as zeros): audit rows
    (accesses), those refused or failed, and security alerts raised — the compliance officer's activity chart.
    Counts only: nothing here names a user or a record."""
    last = today or datetime.now(UTC).date()
    first = last - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    accesses = db.fetchall(
        """
        SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS accesses,
               count(*) FILTER (WHERE outcome <> 'success') AS not_successful
        FROM audit_log WHERE created_at >= %s GROUP BY 1
        """,
        (start,),
    )
    alerts = db.fetchall(
        """
        SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS alerts
        FROM security_alerts WHERE created_at >= %s GROUP BY 1
        """,
        (start,),
    )
    by_day: dict[date, dict[str, Any]] = {
        first + timedelta(days=i): {"accesses": 0, "not_successful": 0, "alerts": 0} for i in range(days)
    }
    for row in accesses:
        if row["day"] in by_day:
            by_day[row["day"]].update(accesses=row["accesses"], not_successful=row["not_successful"])
    for row in alerts:
        if row["day"] in by_day:
            by_day[row["day"]]["alerts"] = row["alerts"]
    return [{"day": day.isoformat(), **counts} for day, counts in sorted(by_day.items())]


def get(db: Database, audit_id: str) -> dict[str, Any] | None:
    row = db.fetchone(f"SELECT {_COLUMNS} FROM audit_log WHERE audit_id = %s", (audit_id,))  # noqa: S608
    return None if row is None else row_json(row)


def fhir_audit_event(row: dict[str, Any]) -> dict[str, Any]:
    """The row as a FHIR R4B AuditEvent (validated by fhir.resources before it leaves)."""
    agent: dict[str, Any] = {
        "who": {"identifier": {"system": "urn:intelluxe:user", "value": row["user_id"]}},
        "requestor": True,
    }
    if row.get("actor_role"):
        agent["role"] = [{"text": row["actor_role"]}]
    if row.get("client_ip"):
        agent["network"] = {"address": row["client_ip"], "type": "2"}  # 2 = IP address
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": row["audit_id"],
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "RESTful Operation",
        },
        "subtype": [{"system": "urn:intelluxe:action", "code": row["action"]}],
        "action": _FHIR_ACTION.get(row["action"], "E"),
        "recorded": row["created_at"],
        "outcome": _FHIR_OUTCOME.get(row["outcome"], "8"),
        "agent": [agent],
        "source": {
            "observer": {"display": f"intelluxe {row['service']}"},
            "type": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                    "code": "4",
                    "display": "Application Server",
                }
            ],
        },
        "entity": [
            {
                "what": {
                    "identifier": {
                        "system": f"urn:intelluxe:{row['resource_type']}",
                        "value": row["resource_id"] or row["resource_type"],
                    }
                },
                "type": {"system": "urn:intelluxe:resource-type", "code": row["resource_type"]},
            }
        ],
    }
    if row["outcome"] != "success":
        resource["outcomeDesc"] = (
            f"{row['outcome']} (HTTP {row['http_status']})" if row.get("http_status") else row["outcome"]
        )
    return AuditEvent.model_validate(resource).model_dump(mode="json", exclude_none=True)
