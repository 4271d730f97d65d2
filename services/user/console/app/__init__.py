"""console: the web console of the clinic's compliance officer and billing desk, served by the suite over TLS.

Server-rendered pages (Flask + Jinja, no script), one blueprint per area: sign-in (sign_in.py), the start page
(home.py), the compliance pages (compliance_pages.py), the PHI scan (phi_pages.py), the billing desk's pages
(billing_pages.py). The console keeps no domain
logic: each page calls the suite's own REST services with the signed-in person's token (suite.py), so the services
keep doing their own authorization and audit. What it keeps itself is in PostgreSQL: server-side sessions
(sessions.py), the sign-in throttle (throttle.py) and, read-only, the console accounts ops make with
`intelluxe console-user` (core/console_users.py). Security headers, CSRF and roles per page: guard.py. /health
checks PostgreSQL. Run by gunicorn as `console:create_app()` (see console.conf). docs/console.md says why it is
built this way.
"""

from __future__ import annotations

from decimal import Decimal
from types import ModuleType

from flask import Flask
from jinja2 import Undefined

from core import web

from . import billing_pages, compliance_pages, guard, home, phi_pages, sign_in
from .settings import ConsoleSettings
from .suite import Suite

# Each area: a module with `bp` (its blueprint) and `NAV` (its pages in the navigation, with the roles that see them).
AREAS: tuple[ModuleType, ...] = (sign_in, home, compliance_pages, phi_pages, billing_pages)


def create_app(settings: ConsoleSettings | None = None) -> Flask:
    settings = settings or ConsoleSettings.from_env()
    app = web.new_app("console", settings, description="The clinic's web console (HTML pages; not an API).")
    web.init_db(app)
    app.extensions["console_suite"] = Suite(settings)
    guard.install(app)
    nav: list[guard.NavItem] = []
    for area in AREAS:
        app.register_blueprint(area.bp)
        nav.extend(area.NAV)
    app.extensions["console_nav"] = tuple(nav)
    app.jinja_env.autoescape = True
    app.jinja_env.filters["money"] = money
    return app


def money(value: object) -> str:
    """An amount as the page shows it: thousands separated, two decimals (the services answer cents)."""
    if value is None or value == "" or isinstance(value, Undefined):
        return "—"
    return f"{Decimal(str(value)):,.2f}"


__all__ = ["ConsoleSettings", "create_app"]
