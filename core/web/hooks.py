"""What happens around every request: request id, token check, the audit row, metrics, the access log line, and
errors rendered as JSON from the one table (core.errors).

A handler that writes to the database and wants its audit row in the same transaction calls `audit_in(cur)`; the
hook then does not write a second row. Any failure to audit withholds the handler's answer (503).
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import psycopg2.extensions
from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from core import audit, metrics
from core.auth import Principal, bearer_token
from core.db import DatabaseUnavailable
from core.errors import ERRORS, ApiError, api_error
from core.web.inputs import refuse_nul
from core.web.markers import AuditSpec, audit_spec_of, doc_of, has_doc, roles_of
from core.web.state import get_db, state

log = logging.getLogger("core.web")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def install(app: Flask) -> None:
    app.before_request(_begin_request)
    app.after_request(_finish_request)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(DatabaseUnavailable, _database_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unhandled_error)


def error_response(code: str, message: str | None = None, fields: dict[str, str] | None = None) -> Response:
    """The JSON error body for a code of the table (status from the table)."""
    kind = ERRORS[code]
    return _error_json(kind.status, code, message or kind.message, fields)


def _error_json(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


# --------------------------------------------------------------------------------------------------- audit


def audit_resource(resource_id: str | None, **details: Any) -> None:
    """Tell the audit hook which record the request touched (an id, never PHI) and sizes worth keeping."""
    g.audit_resource_id = resource_id
    g.audit_details = {**g.get("audit_details", {}), **details}


def audit_in(cur: psycopg2.extensions.cursor, outcome: str = "success") -> audit.AuditRecord:
    """Append this request's audit row inside the handler's own transaction; the hook then skips it."""
    spec = audit_spec_of(_view())
    if spec is None:
        raise RuntimeError("audit_in() called from a view without @phi_access")
    record = audit.append_in(cur, _audit_event(spec, outcome=outcome, http_status=None))
    g.audit_written = True
    return record


def audited_by_handler() -> None:
    """The handler's own committed write is this request's audit row (POST /log_access appends the reported access
    under this request's id): the hook adds no second one. Refusals and failures are still audited by the hook."""
    g.audit_written = True


class _Trail:
    """core.audit.RequestTrail for the request being served."""

    @staticmethod
    def note(resource_id: str | None, **details: Any) -> None:
        audit_resource(resource_id, **details)

    @staticmethod
    def write_in(cur: psycopg2.extensions.cursor) -> None:
        audit_in(cur)


def request_trail() -> audit.RequestTrail:
    return _Trail()


def current_principal() -> Principal:
    """Who is calling (the view requires a role, so the token was verified before the view ran)."""
    return g.principal


def request_id() -> str:
    return g.get("request_id", "")


def _view() -> Callable[..., Any] | None:
    if request.endpoint is None:
        return None
    return current_app.view_functions.get(request.endpoint)


def _outcome(status: int) -> str:
    if status in (401, 403):
        return "denied"
    if status >= 500:
        return "error"
    if status >= 400:
        return "failure"
    return "success"


def _audit_event(spec: AuditSpec, *, outcome: str, http_status: int | None) -> audit.AuditEvent:
    principal: Principal | None = g.get("principal")
    return audit.AuditEvent(
        service=state().service,
        user_id=principal.name if principal else "anonymous",
        actor_role=principal.role.value if principal else None,
        action=spec.action,
        resource_type=spec.resource_type,
        resource_id=g.get("audit_resource_id"),
        outcome=outcome,
        http_status=http_status,
        client_ip=request.remote_addr,
        request_id=g.get("request_id"),
        details={"method": request.method, "route": _route(), **g.get("audit_details", {})},
    )


def _route() -> str:
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


# --------------------------------------------------------------------------------------------------- hooks


def _begin_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()
    view = _view()
    roles = roles_of(view)
    if roles is not None:
        principal = state().tokens.verify(get_db(), bearer_token(request.headers.get("Authorization")))
        g.principal = principal
        principal.require(*roles)
    # After the token check (a refusal stays 401/403), before the handler: the audit row is written all the same.
    refuse_nul(request.args.items(multi=True), where="query")
    refuse_nul(((k, str(v)) for k, v in (request.view_args or {}).items()), where="path")
    _refuse_unknown_query(view)


def _refuse_unknown_query(view: Callable[..., Any] | None) -> None:
    """A documented view takes the query parameters its document names and no others: a misspelt filter
    ("patientid=") would otherwise be ignored and answer with every patient's rows."""
    if view is None or not has_doc(view):
        return
    unknown = sorted(set(request.args) - set(doc_of(view).query))
    if unknown:
        raise api_error("validation_error", "invalid query", dict.fromkeys(unknown, "not a parameter of this endpoint"))


def _finish_request(response: Response) -> Response:
    spec = audit_spec_of(_view())
    if spec is not None and not g.get("audit_written"):
        response = _audit_or_withhold(spec, response)
    response.headers["X-Request-ID"] = g.get("request_id", "")
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    service = state().service
    route = _route()
    metrics.HTTP_REQUESTS.labels(service, request.method, route, str(response.status_code)).inc()
    metrics.HTTP_LATENCY.labels(service, request.method, route).observe(elapsed)
    if route not in ("/health", "/metrics"):
        log.info("%s %s -> %d in %.1f ms", request.method, route, response.status_code, elapsed * 1000)
    return response


def _audit_or_withhold(spec: AuditSpec, response: Response) -> Response:
    service = state().service
    try:
        event = _audit_event(spec, outcome=_outcome(response.status_code), http_status=response.status_code)
        state().audit_writer().append(event)
        metrics.AUDIT_WRITES.labels(service, "ok").inc()
    except Exception as exc:  # noqa: BLE001 - any failure to audit must withhold the response
        metrics.AUDIT_WRITES.labels(service, "failed").inc()
        log.error("audit append failed (%s); withholding the response", type(exc).__name__)
        response = error_response("audit_unavailable")
    g.audit_written = True
    return response


# --------------------------------------------------------------------------------------------------- errors


def _api_error(exc: ApiError) -> Response:
    response = _error_json(exc.status, exc.code, exc.message, exc.fields)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="intelluxe"'
    return response


def _database_unavailable(exc: DatabaseUnavailable) -> Response:
    # A driver error's text names the server (a socket path, a host and user): its type is enough for ops. Our
    # own messages ("no database connection became free within 30 s") say nothing more than that.
    cause = exc.__cause__
    log.error("database unavailable (%s)", type(cause).__name__ if cause is not None else exc)
    return error_response("database_unavailable")


def _http_error(exc: HTTPException) -> Response:
    code = (exc.name or "error").lower().replace(" ", "_").replace("'", "")
    response = _error_json(exc.code or 500, code, exc.description or exc.name or "error")
    if exc.code == 405 and exc.get_headers():
        for key, value in exc.get_headers():
            if key.lower() == "allow":
                response.headers["Allow"] = value
    return response


def _unhandled_error(exc: Exception) -> Response:
    # The exception's message may quote request data (PHI), so only its type and where it was raised go to the
    # log: file, line and function of each frame, without the message or the source lines.
    stack = "\n".join(
        f"  {frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(exc.__traceback__)
    )
    log.error("unhandled %s in %s\n%s", type(exc).__name__, _route(), stack)
    return error_response("internal_error")
