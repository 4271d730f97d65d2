"""The Flask app factory every service is built on: auth, request ids, JSON errors, audit, health, metrics, OpenAPI.

A service declares its routes with plain Flask blueprints and marks them with the decorators here:
`requires(...)` (roles), `phi_access(...)` (audited), `documented(...)` (OpenAPI). The decorators only attach
attributes; hooks registered by `create_app` act on them, so decorator order never matters and a route cannot
be audited "sometimes". A handler that writes to the database and wants its audit row in the same transaction
calls `audit_in(cur, ...)`, and the hook then does not write a second row.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import psycopg2.extensions
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from core import audit, logs, metrics
from core.auth import AuthError, Principal, Role, VerifiedTokens, bearer_token
from core.cache import Cache
from core.config import Settings
from core.db import Database, DatabaseUnavailable

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# --------------------------------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error the caller caused or must know about, rendered as {"error": {code, message, fields}}."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


def parse_body(model: type[M]) -> M:
    """The request's JSON body as `model`, or a 400 naming each bad field (never echoing its value)."""
    payload = request.get_json(silent=True)
    if payload is None:
        raise ApiError(400, "invalid_json", "request body must be JSON (Content-Type: application/json)")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for err in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in err["loc"]) or "body"
            fields.setdefault(where, err["msg"])
        raise ApiError(400, "validation_error", "request body is invalid", fields) from None


def query_int(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high], or a 400 naming it."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(400, "validation_error", "invalid query", {name: f"a whole number from {low} to {high}"})
    return int(raw)


# --------------------------------------------------------------------------------------------------- markers


@dataclass(frozen=True)
class AuditSpec:
    action: str
    resource_type: str


def requires(*roles: Role | str) -> Callable[[F], F]:
    """Only callers whose token holds one of `roles` (or admin) reach the view: 401 without a valid token, 403."""
    allowed = tuple(Role(r) for r in roles)

    def mark(view: F) -> F:
        view._intelluxe_roles = allowed  # type: ignore[attr-defined]
        return view

    return mark


def phi_access(action: str, resource_type: str) -> Callable[[F], F]:
    """Every call of the view — allowed, denied or failed — leaves an audit row."""

    def mark(view: F) -> F:
        view._intelluxe_audit = AuditSpec(action, resource_type)  # type: ignore[attr-defined]
        return view

    return mark


def documented(
    *,
    request_model: type[BaseModel] | None = None,
    responses: dict[int, type[BaseModel] | str] | None = None,
    query: dict[str, str] | None = None,
) -> Callable[[F], F]:
    """What the OpenAPI document says of the view beyond its docstring: body model, responses, query params."""

    def mark(view: F) -> F:
        view._intelluxe_doc = {  # type: ignore[attr-defined]
            "request_model": request_model,
            "responses": responses or {},
            "query": query or {},
        }
        return view

    return mark


def audit_resource(resource_id: str | None, **details: Any) -> None:
    """Tell the audit hook which record the request touched (an id, never PHI) and sizes worth keeping."""
    g.audit_resource_id = resource_id
    g.audit_details = {**g.get("audit_details", {}), **details}


def audit_in(cur: psycopg2.extensions.cursor, outcome: str = "success") -> audit.AuditRecord:
    """Append this request's audit row inside the handler's own transaction; the hook then skips it."""
    spec = _audit_spec()
    if spec is None:
        raise RuntimeError("audit_in() called from a view without @phi_access")
    record = audit.append_in(cur, _audit_event(spec, outcome=outcome, http_status=None))
    g.audit_written = True
    return record


# --------------------------------------------------------------------------------------------------- app state


@dataclass
class HealthDependency:
    """A dependency /health checks. A `required` one that fails makes the service unhealthy (503); an
    optional one (a cache) makes it degraded (200)."""

    name: str
    check: Callable[[], tuple[str, str | None]]
    required: bool = True


@dataclass
class ServiceState:
    service: str
    settings: Settings
    db: Database | None
    cache: Cache | None
    dependencies: list[HealthDependency] = field(default_factory=list)
    tokens: VerifiedTokens = field(default_factory=lambda: VerifiedTokens(0))
    _audit_writer: audit.AuditWriter | None = None

    def audit_writer(self) -> audit.AuditWriter:
        if self._audit_writer is None:
            if self.db is None:
                raise RuntimeError(f"service {self.service} was created without a database, so it cannot audit")
            self._audit_writer = audit.AuditWriter(self.db)
        return self._audit_writer


def state() -> ServiceState:
    return current_app.extensions["intelluxe"]


def get_db() -> Database:
    db = state().db
    if db is None:
        raise RuntimeError(f"service {state().service} was created without a database")
    return db


def get_cache() -> Cache:
    cache = state().cache
    if cache is None:
        raise RuntimeError(f"service {state().service} was created without a cache")
    return cache


def _postgres_check(db: Database) -> Callable[[], tuple[str, str | None]]:
    def check() -> tuple[str, str | None]:
        try:
            db.ping()
        except DatabaseUnavailable as exc:
            return "down", f"postgres unavailable: {exc}"
        return "ok", None

    return check


# --------------------------------------------------------------------------------------------------- factory


class MoneyJSONProvider(DefaultJSONProvider):
    """Decimal money goes out as a JSON number (already rounded to cents by the domain code), as the seed's clients
    expect, instead of Flask's default string; dates as ISO 8601. Keys keep the order the handler built."""

    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)
        if isinstance(o, datetime | date):
            return o.isoformat()
        return DefaultJSONProvider.default(o)


def create_app(
    service: str,
    *,
    blueprints: Iterable[Blueprint] = (),
    use_database: bool = True,
    use_cache: bool = False,
    cache_required: bool = False,
    settings: Settings | None = None,
    db: Database | None = None,
    cache: Cache | None = None,
    title: str | None = None,
    description: str = "",
) -> Flask:
    """Build a service's app. `db`/`cache` override the ones made from settings (tests pass their own)."""
    settings = settings or Settings.from_env()
    logs.configure(settings.log_level)
    app = Flask(service)
    app.json = MoneyJSONProvider(app)
    if db is None and use_database:
        db = Database(settings.resolved_postgres_url(), minconn=settings.db_pool_min, maxconn=settings.db_pool_max)
    if cache is None and use_cache:
        cache = Cache(settings.resolved_redis_url(), prefix=settings.cache_prefix)
    deps = [HealthDependency("postgres", _postgres_check(db), required=True)] if db is not None else []
    if cache is not None:
        deps.append(HealthDependency("redis", cache.health, required=cache_required))
    app.extensions["intelluxe"] = ServiceState(
        service, settings, db, cache, deps, VerifiedTokens(settings.token_cache_seconds)
    )
    app.config["OPENAPI_TITLE"] = title or f"Intelluxe {service}"
    app.config["OPENAPI_DESCRIPTION"] = description

    app.before_request(_begin_request)
    app.after_request(_finish_request)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(AuthError, _auth_error)
    app.register_error_handler(DatabaseUnavailable, _database_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unhandled_error)

    from core.openapi import spine_blueprint

    app.register_blueprint(spine_blueprint())
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app


# --------------------------------------------------------------------------------------------------- hooks


def _view() -> Callable[..., Any] | None:
    if request.endpoint is None:
        return None
    return current_app.view_functions.get(request.endpoint)


def _audit_spec() -> AuditSpec | None:
    view = _view()
    return getattr(view, "_intelluxe_audit", None) if view is not None else None


def _begin_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()
    view = _view()
    roles = getattr(view, "_intelluxe_roles", None) if view is not None else None
    if roles is None:
        return
    principal = state().tokens.verify(get_db(), bearer_token(request.headers.get("Authorization")))
    g.principal = principal
    principal.require(*roles)


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


def _finish_request(response: Response) -> Response:
    spec = _audit_spec()
    if spec is not None and not g.get("audit_written"):
        try:
            event = _audit_event(spec, outcome=_outcome(response.status_code), http_status=response.status_code)
            state().audit_writer().append(event)
            metrics.AUDIT_WRITES.labels(state().service, "ok").inc()
        except Exception as exc:  # noqa: BLE001 - any failure to audit must withhold the response
            metrics.AUDIT_WRITES.labels(state().service, "failed").inc()
            log.error("audit append failed (%s); withholding the response", type(exc).__name__)
            response = error_response(
                503, "audit_unavailable", "the audit log could not be written; the request's result is withheld"
            )
        g.audit_written = True
    response.headers["X-Request-ID"] = g.get("request_id", "")
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    service = state().service
    route = _route()
    metrics.HTTP_REQUESTS.labels(service, request.method, route, str(response.status_code)).inc()
    metrics.HTTP_LATENCY.labels(service, request.method, route).observe(elapsed)
    if route not in ("/health", "/metrics"):
        log.info("%s %s -> %d in %.1f ms", request.method, route, response.status_code, elapsed * 1000)
    return response


def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.fields)


def _auth_error(exc: AuthError) -> Response:
    code = "forbidden" if exc.status == 403 else "unauthorized"
    response = error_response(exc.status, code, exc.reason)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="intelluxe"'
    return response


def _database_unavailable(exc: DatabaseUnavailable) -> Response:
    log.error("database unavailable: %s", exc)
    return error_response(503, "database_unavailable", "the database is unavailable; try again shortly")


def _http_error(exc: HTTPException) -> Response:
    code = (exc.name or "error").lower().replace(" ", "_").replace("'", "")
    response = error_response(exc.code or 500, code, exc.description or exc.name or "error")
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
    return error_response(500, "internal_error", "an internal error occurred; the request id is in X-Request-ID")
