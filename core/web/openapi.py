"""The spine's own routes (/health, /metrics, /openapi.json) and the OpenAPI document built from the app's routes.

The document is derived from what is registered — url rules, role markers, pydantic models — so it cannot drift
from the code. Every operation lists the errors the spine itself can produce (400/401/403/413/422/503).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from flask import Blueprint, Flask, Response, current_app, jsonify
from pydantic import BaseModel, Field

from core import metrics
from core.web.markers import DocSpec, Param, doc_of, roles_of
from core.web.state import state


class ErrorBody(BaseModel):
    code: str = Field(description="machine-readable error code, e.g. validation_error")
    message: str
    fields: dict[str, str] = Field(default_factory=dict, description="field path -> what is wrong with it")


class ErrorResponse(BaseModel):
    error: ErrorBody


class DependencyHealth(BaseModel):
    status: Literal["ok", "degraded", "down"]
    detail: str | None = None
    required: bool


class HealthResponse(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    service: str
    checks: dict[str, DependencyHealth]


def spine_blueprint() -> Blueprint:
    bp = Blueprint("spine", __name__)

    @bp.get("/health")
    def health() -> tuple[Response, int]:
        """Service health: 200 healthy or degraded (an optional dependency is down), 503 unhealthy. No auth."""
        st = state()
        checks: dict[str, dict[str, Any]] = {}
        overall = "healthy"
        for dep in st.dependencies:
            status, detail = dep.check()
            if status != "ok":
                status = "down" if dep.required else "degraded"
                if dep.required:
                    overall = "unhealthy"
                elif overall == "healthy":
                    overall = "degraded"
            checks[dep.name] = {"status": status, "detail": detail, "required": dep.required}
        body = {"status": overall, "service": st.service, "checks": checks}
        return jsonify(body), 503 if overall == "unhealthy" else 200

    health._intelluxe_doc = DocSpec(responses={200: HealthResponse, 503: HealthResponse})  # type: ignore[attr-defined]

    @bp.get("/metrics")
    def prometheus_metrics() -> Response:
        """Prometheus metrics in the text exposition format. No auth; labels carry no ids or PHI."""
        body, content_type = metrics.exposition()
        return Response(body, mimetype=content_type.split(";")[0], content_type=content_type)

    @bp.get("/openapi.json")
    def openapi_document() -> Response:
        """This service's OpenAPI 3.1 document."""
        return jsonify(build_document(current_app))

    return bp


def schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    """`model`'s JSON schema registered in `components` (with the models it nests), as a $ref to it."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _openapi_path(rule: str) -> tuple[str, list[str]]:
    """Flask's `/claims/<claim_id>` → OpenAPI's `/claims/{claim_id}`, with the parameter names."""
    names: list[str] = []

    def repl(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return "{" + match.group(1) + "}"

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", repl, rule), names


def build_document(app: Flask) -> dict[str, Any]:
    components: dict[str, Any] = {}
    error_ref = schema_ref(ErrorResponse, components)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        path, params = _openapi_path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = _operation(rule.endpoint, app.view_functions[rule.endpoint], method, params, components)
            view = app.view_functions[rule.endpoint]
            operation["responses"] = _responses(rule.endpoint, view, bool(params), components, error_ref)
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": app.config.get("OPENAPI_TITLE", app.name),
            "version": package_version(),
            "description": app.config.get("OPENAPI_DESCRIPTION", ""),
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "ilx token"}},
        },
    }


def _operation(
    endpoint: str, view: Callable[..., Any], method: str, params: list[str], components: dict[str, Any]
) -> dict[str, Any]:
    """Everything of one operation but its responses: id, summary, parameters, body, security."""
    doc = doc_of(view)
    summary, _, description = (view.__doc__ or endpoint).strip().partition("\n")
    operation: dict[str, Any] = {"operationId": f"{endpoint}.{method.lower()}", "summary": summary.strip()}
    if description.strip():
        operation["description"] = description.strip()
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in params]
    parameters += [
        {"name": name, "in": where, "required": p.required, "schema": p.schema, "description": p.description}
        for where, documented in (("query", doc.query), ("header", doc.headers))
        for name, p in ((name, p if isinstance(p, Param) else Param(p)) for name, p in documented.items())
    ]
    if parameters:
        operation["parameters"] = parameters
    if doc.request_model is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema_ref(doc.request_model, components)}},
        }
    elif doc.body_type is not None:
        operation["requestBody"] = {"required": True, "content": {doc.body_type: {"schema": {"type": "string"}}}}
    roles = roles_of(view)
    if roles is not None:
        operation["security"] = [{"bearerAuth": []}]
        operation["x-roles"] = sorted({"admin", *(r.value for r in roles)})
    return operation


def _responses(
    endpoint: str,
    view: Callable[..., Any],
    has_path_params: bool,
    components: dict[str, Any],
    error_ref: dict[str, Any],
) -> dict[str, Any]:
    """The view's documented answers plus the errors the spine itself can give (400, 401, 403, 413, 422, 503)."""
    doc = doc_of(view)
    responses: dict[str, Any] = {}
    has_body = doc.request_model is not None or doc.body_type is not None
    if has_body or doc.query or has_path_params:
        responses["400"] = _error("invalid JSON, or a field, query or path parameter failed validation", error_ref)
    if has_body:
        responses["413"] = _error("the body is larger than MAX_REQUEST_BYTES", error_ref)
    for status, body in doc.responses.items():
        if isinstance(body, str):
            # Every error is the JSON error body; a described success has its own media type (an X12 file).
            responses[str(status)] = _error(body, error_ref) if status >= 400 else {"description": body}
        else:
            responses[str(status)] = {
                "description": body.__doc__.strip().split("\n")[0] if body.__doc__ else body.__name__,
                "content": {"application/json": {"schema": schema_ref(body, components)}},
            }
    if doc.request_model is not None:
        unusable = (
            "a field has the documented shape but its value cannot be used (invalid_value: a code outside its code"
            " set, a wrong check digit, an unknown provider or payer, a date out of range)"
        )
        own = responses.get("422")
        responses["422"] = _error(f"{unusable}; {own['description']}" if own else unusable, error_ref)
    if roles_of(view) is not None:
        responses["401"] = _error("missing, invalid, expired or revoked token", error_ref)
        responses["403"] = _error("the token's role may not call this", error_ref)
    if endpoint.split(".")[0] != "spine":
        responses.setdefault("503", _error("a dependency (database, audit) is down", error_ref))
    return responses or {"200": {"description": "OK"}}


def _error(description: str, ref: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def package_version() -> str:
    """The installed intelluxe package's version (0.0.0 when run from a tree that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("intelluxe")
    except PackageNotFoundError:
        return "0.0.0"
