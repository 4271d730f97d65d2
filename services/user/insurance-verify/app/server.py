"""insurance-verify: eligibility for a member, provider and services.

This module builds the service on the core web spine. Its /health checks PostgreSQL (tokens, audit, stored
eligibility: required) and Redis (the eligibility cache: optional — when Redis is down the service answers
without cache and reports "degraded"). The /verify endpoint arrives with the X12 270/271 work.
"""

from core.web import create_app

app = create_app(
    "insurance-verify",
    use_cache=True,
    description="Insurance eligibility over X12 270/271 through payer adapters, cached in Redis.",
)
