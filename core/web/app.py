"""The spine every Flask service is built on: `new_app` makes the app with request ids, the token check, the audit
hook, JSON errors, /health, /metrics and /openapi.json; the `init_*` functions of core.web.state attach what the
service needs (database, cache, payers, clinic). A service's own `create_app(settings=None)` calls these and then
registers its blueprints — one per feature.
"""

from __future__ import annotations

from flask import Flask

from core import logs
from core.config import Settings
from core.web.hooks import install as install_hooks
from core.web.money_json import MoneyJSONProvider
from core.web.openapi import spine_blueprint
from core.web.state import attach_state


def new_app(service: str, settings: Settings, *, description: str = "", title: str | None = None) -> Flask:
    """A service's app with the spine installed and nothing attached yet."""
    logs.configure(settings.log_level)
    app = Flask(service)
    # Werkzeug answers "//claims" and "/claims/" with an HTML redirect that no error handler sees (Flask returns
    # routing redirects as they are); without them such a path is a JSON 404 like any other unknown one, and a
    # trailing slash is the same route.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.json = MoneyJSONProvider(app)
    attach_state(app, service, settings)
    app.config["OPENAPI_TITLE"] = title or f"Intelluxe {service}"
    app.config["OPENAPI_DESCRIPTION"] = description
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    install_hooks(app)
    app.register_blueprint(spine_blueprint())
    return app
