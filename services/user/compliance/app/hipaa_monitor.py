"""compliance: the HIPAA audit trail, PHI detection and security alerts.

This module builds the service on the core web spine; its /health checks PostgreSQL, where the audit log and
alerts live. The review and scanning endpoints arrive with the compliance work.
"""

from core.web import create_app

app = create_app(
    "compliance",
    description="HIPAA audit trail, PHI/PII detection and redaction, security alerts.",
)
