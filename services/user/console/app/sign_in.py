"""Signing in and out.

Two ways in, one session shape:
- a console account (`intelluxe console-user add`): name and password (scrypt, core.console_users). The console
  then issues a suite token for this sign-in, named `<account>@console`, with the account's role and an expiry at
  the session's absolute end, so the services authorize and audit the person. One session per account: a new
  sign-in ends the earlier one (and revokes its token).
- a suite token (`intelluxe token issue`): checked like any bearer token; the session calls the services with it.
  Signing out ends the session but leaves the token alone: it is the holder's, and may be in use elsewhere.
Failed attempts are throttled (throttle.py). Every sign-in, refusal and sign-out is a row of the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, g, make_response, redirect, render_template, request

from core import auth, console_users
from core.auth import Role
from core.web import get_db

from . import sessions
from .guard import CSRF_FIELD, audit_event, current, idle, page, public, settings, to_sign_in
from .throttle import Throttle

bp = Blueprint("sign_in", __name__)
NAV = ()  # the sign-in page is no page of the navigation

# Who may use the console, by role: the service role is for machines, and a clinician has no console page yet.
CONSOLE_ROLES = (Role.ADMIN, Role.COMPLIANCE, Role.BILLING)
NOTICES = {
    "signed_out": "You have signed out.",
    "idle": "Your session ended after a time without activity. Sign in again.",
    "expired": "Your session reached its time limit. Sign in again.",
    "revoked": "Your session is no longer accepted (signed in elsewhere, or the token was revoked). Sign in again.",
}
FAILED = "The name and password, or the token, were not accepted."
THROTTLED = "Too many failed attempts. Wait a few minutes before you try again."


@bp.get("/sign-in")
@public
def sign_in_form() -> Response:
    notice = NOTICES.get(request.args.get("ended", "")) or NOTICES.get(request.args.get("notice", ""))
    return _form(notice=notice)


@bp.post("/sign-in")
@public
def sign_in() -> Response:
    method = request.form.get("method")
    db = get_db()
    throttle = Throttle(settings().sign_in_max_failures, timedelta(minutes=settings().sign_in_window_minutes))
    sessions.sweep(db, idle=idle())
    if method == "account":
        name = request.form.get("name", "").strip().lower()
        subject = "account:" + hashlib.sha256(name.encode()).hexdigest()[:32]  # a password typed as a name: hashed
    elif method == "token":
        name = ""
        subject = f"token:{request.remote_addr}"
    else:
        return _form(error="Choose how to sign in.", status=400)
    earlier = request.cookies.get(sessions.COOKIE)
    if earlier:  # signing in again in the same browser: the session it had ends (no orphan left to idle out)
        sessions.end(db, sessions.session_hash(earlier))
    if throttle.blocked(db, subject, request.remote_addr):
        audit_event("sign_in", "denied", user_id="anonymous", method=method, reason="throttled")
        return _form(error=THROTTLED, status=429)
    if method == "account":
        return _with_account(name, request.form.get("password", ""), throttle, subject)
    return _with_token(request.form.get("token", "").strip(), throttle, subject)


def _with_account(name: str, password: str, throttle: Throttle, subject: str) -> Response:
    db = get_db()
    account = console_users.authenticate(db, name, password)
    if account is None:
        throttle.failed(db, subject, request.remote_addr)
        audit_event("sign_in", "denied", user_id="anonymous", method="account", reason="bad_credentials")
        return _form(error=FAILED, status=401)
    throttle.succeeded(db, subject)
    sessions.end_account_sessions(db, account.name)
    principal = f"{account.name}@console"
    expires_at = datetime.now(UTC) + timedelta(hours=settings().session_hours)
    auth.revoke_token(db, principal)  # a token left by a session that ended without the console noticing
    token = auth.issue_token(db, principal, account.role, expires_at=expires_at)
    session_id = sessions.create(
        db,
        kind="account",
        principal=principal,
        role=account.role,
        token=token,
        expires_at=expires_at,
        account=account.name,
        issued_token=principal,
    )
    audit_event("sign_in", "success", user_id=principal, role=account.role.value, method="account")
    return _signed_in(session_id)


def _with_token(token: str, throttle: Throttle, subject: str) -> Response:
    db = get_db()
    try:
        who = auth.verify_token(db, token)
    except auth.AuthError:
        throttle.failed(db, subject, request.remote_addr)
        audit_event("sign_in", "denied", user_id="anonymous", method="token", reason="bad_token")
        return _form(error=FAILED, status=401)
    if who.role not in CONSOLE_ROLES:
        audit_event("sign_in", "denied", user_id=who.name, role=who.role.value, method="token", reason="role")
        return _form(error=f"The console has no pages for the role {who.role.value!r}.", status=403)
    throttle.succeeded(db, subject)
    row = db.fetchone("SELECT expires_at FROM api_tokens WHERE token_id = %s", (who.token_id,))
    end = datetime.now(UTC) + timedelta(hours=settings().session_hours)
    if row is not None and row["expires_at"] is not None:
        end = min(end, row["expires_at"])
    session_id = sessions.create(db, kind="token", principal=who.name, role=who.role, token=token, expires_at=end)
    audit_event("sign_in", "success", user_id=who.name, role=who.role.value, method="token")
    return _signed_in(session_id)


def _signed_in(session_id: str) -> Response:
    response = redirect("/", code=303)
    response.set_cookie(
        sessions.COOKIE,
        session_id,
        path="/",
        secure=True,
        httponly=True,
        samesite="Strict",
        max_age=settings().session_hours * 3600,
    )
    response.delete_cookie(sessions.PRE_COOKIE, path="/sign-in", secure=True, httponly=True, samesite="Strict")
    return response


@bp.post("/sign-out")
@page()
def sign_out() -> Response:
    console = current()
    sessions.end(get_db(), console.session_hash)
    audit_event("sign_out", "success", user_id=console.principal, role=console.role.value)
    return to_sign_in(notice="signed_out")


def _form(*, notice: str | None = None, error: str | None = None, status: int = 200) -> Response:
    """The sign-in page with a fresh pre-session CSRF value (double submit: cookie and hidden field)."""
    value = request.cookies.get(sessions.PRE_COOKIE) or ""
    if len(value) != 43:
        value = secrets.token_urlsafe(32)
    g.pre_csrf = value
    response = make_response(render_template("sign_in.html", notice=notice, error=error, csrf_field=CSRF_FIELD))
    response.status_code = status
    response.set_cookie(sessions.PRE_COOKIE, value, path="/sign-in", secure=True, httponly=True, samesite="Strict")
    return response
