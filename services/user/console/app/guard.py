"""What stands around every console page: the session check, the role a page needs, CSRF on every form, the security
headers, and errors as HTML pages (the spine's are JSON, for API clients).

A view says who may see it with `@page(Role.COMPLIANCE)` (admin may see every page; `@page()` any signed-in
person) or `@public` (the sign-in page). A view with neither is refused: a page added without thinking about
roles is closed, not open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask, Response, abort, current_app, g, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from core import audit
from core.auth import Role
from core.db import DatabaseUnavailable
from core.errors import ApiError
from core.web import get_db, request_id, state
from core.web.hooks import _unhandled_error as spine_unhandled

from . import sessions
from .settings import ConsoleSettings
from .suite import ServiceError

log = logging.getLogger("console")
F = TypeVar("F", bound=Callable[..., Any])

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class NavItem:
    """A page in the navigation: shown only to the roles that may open it (and admin)."""

    endpoint: str
    label: str
    summary: str
    roles: tuple[Role, ...]

    def visible_to(self, console: sessions.ConsoleSession | None) -> bool:
        return console is not None and console.may(*self.roles)


def page(*roles: Role) -> Callable[[F], F]:
    """Signed-in people whose role is one of `roles` (or admin) see the view; no roles: anyone signed in."""

    def mark(view: F) -> F:
        view._console_roles = tuple(roles)  # type: ignore[attr-defined]
        return view

    return mark


def public(view: F) -> F:
    view._console_public = True  # type: ignore[attr-defined]
    return view


def settings() -> ConsoleSettings:
    return state().settings  # type: ignore[return-value]


def idle() -> timedelta:
    return timedelta(minutes=settings().idle_minutes)


def current() -> sessions.ConsoleSession:
    """The signed-in session of this request (a `@page` view only runs with one)."""
    return g.console


def install(app: Flask) -> None:
    app.before_request(_guard)
    app.after_request(_headers)
    app.context_processor(_template_globals)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(DatabaseUnavailable, _database_unavailable)
    app.register_error_handler(Exception, _unhandled)


def audit_event(action: str, outcome: str, *, user_id: str, role: str | None = None, **details: Any) -> None:
    """One audit row of the console's own (sign-in, sign-out, a session's end): durable before the page answers."""
    state().audit_writer().append(
        audit.AuditEvent(
            service="console",
            user_id=user_id,
            actor_role=role,
            action=action,
            resource_type="console_session",
            outcome=outcome,
            client_ip=request.remote_addr,
            request_id=request_id(),
            details={"route": request.url_rule.rule if request.url_rule else "unmatched", **details},
        )
    )


def to_sign_in(**reason: str) -> Response:
    """Back to the sign-in page (the reason is a fixed word, never data), forgetting the session cookie."""
    target = "/sign-in" + (f"?{urlencode(reason)}" if reason else "")
    response = redirect(target, code=303)
    response.delete_cookie(sessions.COOKIE, path="/", secure=True, httponly=True, samesite="Strict")
    return response


def _guard() -> Response | None:
    if request.endpoint is None or request.endpoint == "static" or request.endpoint.startswith("spine."):
        return None
    view = current_app.view_functions[request.endpoint]
    if getattr(view, "_console_public", False):
        if request.method not in SAFE_METHODS and not sessions.csrf_matches(
            request.cookies.get(sessions.PRE_COOKIE, ""), request.form.get(CSRF_FIELD)
        ):
            abort(403, "This form has expired or did not come from this console. Load the page again.")
        return None
    loaded = sessions.load(get_db(), request.cookies.get(sessions.COOKIE), idle=idle())
    if isinstance(loaded, sessions.Ended):
        audit_event("session_end", "success", user_id=loaded.principal, reason=loaded.reason)
        return to_sign_in(ended=loaded.reason)
    if loaded is None:
        return to_sign_in()
    g.console = loaded
    if request.method not in SAFE_METHODS and not sessions.csrf_matches(loaded.csrf, request.form.get(CSRF_FIELD)):
        abort(403, "This form has expired or did not come from this console. Load the page again.")
    roles = getattr(view, "_console_roles", None)
    if roles is None or (roles and not loaded.may(*roles)):
        abort(403, "Your role may not see this page.")
    return None


def _headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if request.endpoint != "static":
        # Pages may show patient data: never kept by the browser or a proxy, not even for the back button.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def _template_globals() -> dict[str, Any]:
    console = g.get("console")
    nav = [item for item in current_app.extensions.get("console_nav", ()) if item.visible_to(console)]
    return {
        "console": console,
        "nav": nav,
        "csrf_token": console.csrf if console is not None else g.get("pre_csrf", ""),
        "csrf_field": CSRF_FIELD,
        "Role": Role,
        "request_id": request_id(),
        "idle_minutes": settings().idle_minutes,
    }


# --------------------------------------------------------------------------------------------------- errors


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", title=title, message=message, status=status), status


def _service_error(exc: ServiceError) -> Response | tuple[str, int]:
    if exc.kind == "signed_out":
        # The service no longer accepts the session's token (revoked, expired, or the account signed in elsewhere).
        console = g.get("console")
        if console is not None:
            sessions.end(get_db(), console.session_hash)
        return to_sign_in(ended="revoked")
    titles = {
        "forbidden": "Not allowed",
        "refused": "Not accepted",
        "not_found": "Not found",
        "not_configured": "Service not configured",
        "unreachable": "Service unavailable",
        "failed": "Service error",
    }
    return error_page(exc.page_status, titles.get(exc.kind, "Service error"), f"{exc.service}: {exc.message}")


def _http_error(exc: HTTPException) -> tuple[str, int]:
    status = exc.code or 500
    titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Not allowed", 413: "Too large"}
    message = exc.description if status in (403, 413) else (exc.name or "Error")
    return error_page(status, titles.get(status, exc.name or "Error"), message or "")


def _api_error(exc: ApiError) -> tuple[str, int]:
    return error_page(exc.status, "Not accepted", exc.message)


def _database_unavailable(exc: DatabaseUnavailable) -> tuple[str, int]:
    log.error("database unavailable (%s)", type(exc.__cause__).__name__ if exc.__cause__ else "DatabaseUnavailable")
    return error_page(503, "Database unavailable", "The console cannot reach its database. Try again shortly.")


def _unhandled(exc: Exception) -> tuple[str, int]:
    # Logged as the spine logs it: the type and the frames, never the message (it may quote what was on the page).
    spine_unhandled(exc)
    return error_page(500, "Something went wrong", f"The console failed on this page (request id {request_id()}).")
