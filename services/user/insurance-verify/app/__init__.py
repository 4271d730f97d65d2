"""insurance-verify: eligibility for a member, provider and services.

`POST /verify` asks the member's payer through its adapter (X12 270 → clearinghouse → 271), caching the coverage in
Redis and keeping the last answer in PostgreSQL as a fallback when the payer is down. /health checks PostgreSQL
(tokens, audit, stored eligibility: required) and Redis (optional — without it the service answers uncached and
reports "degraded"). Run by gunicorn as `insurance_verify:create_app()` (see insurance-verify.conf).
"""

from __future__ import annotations

from flask import Flask

from core import web

from . import eligibility, verify
from .settings import VerifySettings


def create_app(settings: VerifySettings | None = None) -> Flask:
    settings = settings or VerifySettings.from_env()
    app = web.new_app(
        "insurance-verify",
        settings,
        description="Insurance eligibility over X12 270/271 through payer adapters, cached in Redis.",
    )
    service = eligibility.EligibilityService(
        web.init_db(app), web.init_cache(app), web.init_payers(app), web.init_clinic(app), settings
    )
    eligibility.init_app(app, service)
    app.register_blueprint(verify.bp)
    return app


__all__ = ["VerifySettings", "create_app"]
