"""What a view declares about itself: who may call it, whether it touches PHI (audited), what OpenAPI says of it.

The decorators only attach attributes; the request hooks (core.web.hooks) and the OpenAPI builder read them, so
decorator order never matters and a route cannot be audited "sometimes".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from core.auth import Role

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class AuditSpec:
    action: str
    resource_type: str


@dataclass(frozen=True)
class Param:
    """A query parameter as the OpenAPI document states it: what it means and the JSON schema of what the view
    accepts (so a client, or schemathesis, can tell a valid value from one the view refuses with 400)."""

    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


def param(description: str, *, required: bool = False, **schema: Any) -> Param:
    """`param("1-200, default 50", type="integer", minimum=1, maximum=200)`; a string when no schema is given;
    `required=True` for one the view cannot do without (it answers 400 naming it when absent)."""
    return Param(description, schema or {"type": "string"}, required)


@dataclass(frozen=True)
class DocSpec:
    """What the OpenAPI document says of a view beyond its docstring."""

    request_model: type[BaseModel] | None = None
    responses: dict[int, type[BaseModel] | str] = field(default_factory=dict)
    query: dict[str, str | Param] = field(default_factory=dict)
    headers: dict[str, str | Param] = field(default_factory=dict)  # request headers the view reads, and what they mean
    body_type: str | None = None  # a body that is not JSON (an X12 file): its media type


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
    query: dict[str, str | Param] | None = None,
    headers: dict[str, str | Param] | None = None,
    body_type: str | None = None,
) -> Callable[[F], F]:
    """What the OpenAPI document says of the view beyond its docstring: body (a model, or a non-JSON media type),
    responses, query parameters, request headers."""

    def mark(view: F) -> F:
        spec = DocSpec(request_model, responses or {}, query or {}, headers or {}, body_type)
        view._intelluxe_doc = spec  # type: ignore[attr-defined]
        return view

    return mark


def roles_of(view: Callable[..., Any] | None) -> tuple[Role, ...] | None:
    return getattr(view, "_intelluxe_roles", None) if view is not None else None


def audit_spec_of(view: Callable[..., Any] | None) -> AuditSpec | None:
    return getattr(view, "_intelluxe_audit", None) if view is not None else None


def has_doc(view: Callable[..., Any]) -> bool:
    """Whether the view is marked with `documented` (its parameters are then all it takes)."""
    return getattr(view, "_intelluxe_doc", None) is not None


def doc_of(view: Callable[..., Any]) -> DocSpec:
    return getattr(view, "_intelluxe_doc", None) or DocSpec()
