"""compliance: the HIPAA audit trail, PHI detection and security alerts.

Five features, one blueprint each: the access log (`POST /log_access`, rules in access_rules.py), the PHI scan
(`POST /scan_pii`, pii_scan.py), alerts (`GET /alerts`, `POST /alerts/<id>/resolve`), the audit trail (`GET
/audit`, `/audit/verify`, `/audit/<id>`) and doctors' writing samples for personalization (`/personalization/...`,
personalization.py: de-identified here, where PHI handling and the audit trail live). /health checks PostgreSQL,
where the audit log and alerts live. Run by gunicorn as `compliance:create_app()` (see compliance.conf).
"""

from __future__ import annotations

from flask import Flask

from core import web

from . import access_log, access_rules, alerts, audit_trail, personalization, pii_scan
from .settings import ComplianceSettings


def create_app(settings: ComplianceSettings | None = None) -> Flask:
    settings = settings or ComplianceSettings.from_env()
    app = web.new_app(
        "compliance", settings, description="HIPAA audit trail, PHI/PII detection and redaction, security alerts."
    )
    web.init_db(app)
    access_rules.init_app(app, access_rules.load_config(settings.compliance_file))
    for feature in (access_log, pii_scan, alerts, audit_trail, personalization):
        app.register_blueprint(feature.bp)
    return app


__all__ = ["ComplianceSettings", "create_app"]
