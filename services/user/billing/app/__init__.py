"""billing: claims — eligibility check, patient-responsibility estimate, storage, 837P export, 835 posting.

Two features, one blueprint each: claims (claims.py; the workflow in workflow.py, storage in claim_store.py, the
837P in export_837.py) and remittances (remittances.py, posting in remittance_posting.py). /health checks
PostgreSQL, where claims live. Run by gunicorn as `billing:create_app()` (see billing.conf).
"""

from __future__ import annotations

from flask import Flask

from core import web
from core.claims.codes import icd10_problem

from . import claims, remittances, workflow
from .eligibility_client import EligibilityClient
from .settings import BillingSettings


def create_app(settings: BillingSettings | None = None) -> Flask:
    settings = settings or BillingSettings.from_env()
    app = web.new_app(
        "billing",
        settings,
        description="Claims: eligibility check, patient-responsibility estimate, 837P export and 835 posting.",
    )
    eligibility = EligibilityClient.from_settings(settings)
    workflow.init_app(
        app, workflow.ClaimWorkflow(web.init_db(app), web.init_payers(app), web.init_clinic(app), eligibility)
    )
    app.register_blueprint(claims.bp)
    app.register_blueprint(remittances.bp)
    icd10_problem("E11.9")  # builds the ICD-10-CM code tree now (~2 s) rather than during a worker's first claim
    return app


__all__ = ["BillingSettings", "create_app"]
