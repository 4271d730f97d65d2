"""payer-sandbox: a clearinghouse stand-in that answers X12 270s with real 271s from a members fixture.

It is the default clearinghouse of `intelluxe up` and of the tests, so the eligibility path runs end to end over
real HTTP and real X12 with no outside connection. Not part of Intelluxe's API: a payer stand-in. Run by gunicorn
as `payer_sandbox:create_app()` (see payer-sandbox.conf).
"""

from __future__ import annotations

from flask import Flask

from core import web

from . import qhp_formulary, x12_270, x12_278
from .settings import SandboxSettings


def create_app(settings: SandboxSettings | None = None) -> Flask:
    settings = settings or SandboxSettings.from_env()
    app = web.new_app(
        "payer-sandbox",
        settings,
        description="A payer stand-in for development and tests: X12 270/271, 278 reviews, a QHP drug list.",
    )
    x12_270.init_app(app, x12_270.load_members(settings.sandbox_members), settings.sandbox_token)
    x12_278.init_app(app, x12_278.load_reviews(settings.sandbox_members))
    app.register_blueprint(x12_270.bp)
    app.register_blueprint(x12_278.bp)
    app.register_blueprint(qhp_formulary.bp)
    return app


__all__ = ["SandboxSettings", "create_app"]
