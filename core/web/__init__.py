"""The web spine of the Flask services. A service builds its app in its own `create_app(settings=None)`:

    app = web.new_app("billing", settings, description="…")
    web.init_db(app); web.init_payers(app); web.init_clinic(app)
    app.register_blueprint(claims.bp)

and marks each view with `requires(...)` (roles), `phi_access(...)` (audited) and `documented(...)` (OpenAPI).
Handlers read what the app holds through the accessors (`get_db()`, `get_payers()`, …) and raise
`core.errors.ApiError` for anything the caller must hear about.
"""

from core.errors import ApiError, api_error, invalid
from core.web.app import new_app
from core.web.hooks import (
    audit_in,
    audit_resource,
    audited_by_handler,
    current_principal,
    error_response,
    request_id,
    request_trail,
)
from core.web.inputs import parse_body, query_choice, query_int
from core.web.markers import documented, param, phi_access, requires
from core.web.state import (
    HealthDependency,
    get_cache,
    get_clinic,
    get_db,
    get_payers,
    get_settings,
    init_cache,
    init_clinic,
    init_db,
    init_payers,
    state,
)

__all__ = [
    "ApiError",
    "HealthDependency",
    "api_error",
    "audit_in",
    "audited_by_handler",
    "audit_resource",
    "current_principal",
    "documented",
    "error_response",
    "get_cache",
    "get_clinic",
    "get_db",
    "get_payers",
    "get_settings",
    "init_cache",
    "init_clinic",
    "init_db",
    "init_payers",
    "invalid",
    "new_app",
    "parse_body",
    "param",
    "phi_access",
    "query_choice",
    "query_int",
    "request_id",
    "request_trail",
    "requires",
    "state",
]
