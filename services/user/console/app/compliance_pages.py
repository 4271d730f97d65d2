"""The compliance officer's pages: open alerts with their evidence (resolve with a reason), the audit log search,
the chain's verification state, and accesses and alerts per day. Each is a call to the compliance service with the
officer's own token; the service audits it.

Filters that may name a patient (a user id, a resource id) travel in POST bodies, never in URLs (which end up in
browser history, proxies and the server's logs); only fixed words (a status, a number of days) go in a query.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request

from core.auth import Role

from .chart import Series, bar_chart
from .guard import NavItem, current, page
from .suite import suite

bp = Blueprint("compliance_pages", __name__)
# What the navigation shows, and to whom (console/__init__.py gathers every area's NAV).
NAV = (
    NavItem("compliance_pages.alerts", "Alerts", "Open security alerts, most severe first", (Role.COMPLIANCE,)),
    NavItem("compliance_pages.audit_search", "Audit log", "Search who did what, when", (Role.COMPLIANCE,)),
    NavItem("compliance_pages.chain", "Chain", "The audit chain's verification and head hash", (Role.COMPLIANCE,)),
    NavItem("compliance_pages.activity", "Activity", "Accesses and alerts per day", (Role.COMPLIANCE,)),
)

ALERT_STATUSES = ("open", "resolved", "all")
OUTCOMES = ("success", "denied", "failure", "error")
ORDERS = ("oldest", "newest")
CHART_DAYS = (7, 30, 90)
PAGE_SIZE = 50
MAX_NOTE = 2000


def _compliance(method: str, path: str, **kwargs: Any) -> Any:
    return suite().json("compliance", method, path, token=current().token, **kwargs)


@bp.get("/alerts")
@page(Role.COMPLIANCE)
def alerts() -> str:
    status = request.args.get("status", "open")
    if status not in ALERT_STATUSES:
        abort(400)
    rows = _compliance("GET", "/alerts", params={"status": status, "limit": 500})["alerts"]
    return render_template(
        "compliance/alerts.html",
        alerts=rows,
        status=status,
        statuses=ALERT_STATUSES,
        done=request.args.get("done") == "resolved",
        max_note=MAX_NOTE,
    )


@bp.post("/alerts/<alert_id>/resolve")
@page(Role.COMPLIANCE)
def resolve_alert(alert_id: str) -> Response | tuple[str, int]:
    note = request.form.get("note", "").strip()
    if not note or len(note) > MAX_NOTE:
        rows = _compliance("GET", "/alerts", params={"status": "open", "limit": 500})["alerts"]
        error = f"Say why the alert is resolved (1 to {MAX_NOTE} characters)."
        page_html = render_template(
            "compliance/alerts.html",
            alerts=rows,
            status="open",
            statuses=ALERT_STATUSES,
            errors={alert_id: error},
            max_note=MAX_NOTE,
        )
        return page_html, 400
    _compliance("POST", f"/alerts/{alert_id}/resolve", json={"note": note})
    return redirect("/alerts?done=resolved", code=303)


@bp.route("/audit", methods=["GET", "POST"])
@page(Role.COMPLIANCE)
def audit_search() -> tuple[str, int] | str:
    """GET: the empty form. POST: the search (and its next pages, carried as a cursor in the form)."""
    if request.method == "GET":
        return render_template("compliance/audit.html", form={}, outcomes=OUTCOMES, entries=None)
    fields = ("user_id", "action", "resource", "outcome", "since", "until", "order")
    form = {k: request.form.get(k, "").strip() for k in fields}
    errors: dict[str, str] = {}
    params: dict[str, Any] = {"user_id": form["user_id"], "action": form["action"], "resource": form["resource"]}
    if form["outcome"] and form["outcome"] not in OUTCOMES:
        errors["outcome"] = "Choose an outcome from the list."
    params["outcome"] = form["outcome"]
    if form["order"] not in ("", *ORDERS):
        errors["order"] = "Choose an order from the list."
    for name in ("since", "until"):
        when = _utc(form[name])
        if form[name] and when is None:
            errors[name] = "A date and time, e.g. 2026-01-31T08:00."
        params[name] = when
    # Oldest first pages forwards in chain order (after_seq); newest first pages backwards (before_seq).
    newest = form["order"] == "newest"
    cursor_name = "before_seq" if newest else "after_seq"
    cursor = request.form.get(cursor_name, "")
    cursor = cursor if cursor.isdigit() and int(cursor) > 0 else ""
    params["order"] = "newest" if newest else "oldest"
    params[cursor_name] = cursor or (None if newest else "0")
    params["limit"] = PAGE_SIZE
    if errors:
        return render_template("compliance/audit.html", form=form, outcomes=OUTCOMES, entries=None, errors=errors), 400
    found = _compliance("GET", "/audit", params=params)
    return render_template(
        "compliance/audit.html",
        form=form,
        outcomes=OUTCOMES,
        entries=found["entries"],
        newest=newest,
        cursor_name=cursor_name,
        cursor=cursor,
        next_cursor=found.get(f"next_{cursor_name}"),
        page_size=PAGE_SIZE,
    )


@bp.get("/audit/entry/<audit_id>")
@page(Role.COMPLIANCE)
def audit_entry(audit_id: str) -> str:
    """One audit row (the id is a random UUID: it names no one)."""
    entry = _compliance("GET", f"/audit/{audit_id}")
    return render_template("compliance/audit_entry.html", entry=entry)


@bp.get("/chain")
@page(Role.COMPLIANCE)
def chain() -> str:
    result = _compliance("GET", "/audit/verify")
    return render_template("compliance/chain.html", result=result, checked_at=datetime.now(UTC))


@bp.get("/activity")
@page(Role.COMPLIANCE)
def activity() -> str:
    raw = request.args.get("days", "30")
    days = int(raw) if raw.isdigit() and int(raw) in CHART_DAYS else 30
    rows = _compliance("GET", "/audit/daily", params={"days": days})["days"]
    return render_template(
        "compliance/activity.html",
        days=rows,
        span=days,
        spans=CHART_DAYS,
        accesses_chart=bar_chart(rows, Series("accesses", "Accesses", "not_successful", "Refused or failed"), "acc"),
        alerts_chart=bar_chart(rows, Series("alerts", "Alerts raised"), "alr"),
        totals={k: sum(int(r[k]) for r in rows) for k in ("accesses", "not_successful", "alerts")},
    )


def _utc(text: str) -> str | None:
    """A datetime-local value (taken as UTC) as ISO 8601 with its offset; None when empty or not a date-time."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    return value.isoformat()
