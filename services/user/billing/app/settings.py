"""billing's own settings, beside the shared ones (core.config.Settings)."""

from __future__ import annotations

from pydantic import Field

from core.config import Settings


class BillingSettings(Settings):
    # insurance-verify, asked about every claim with the suite's service token (INTELLUXE_SERVICE_TOKEN). Unset, a
    # claim is answered 503 eligibility_unavailable: billing never guesses eligibility.
    insurance_verify_url: str | None = Field(default=None, alias="INSURANCE_VERIFY_URL")
    eligibility_timeout_seconds: float = Field(default=15.0, gt=0, le=300, alias="ELIGIBILITY_TIMEOUT_SECONDS")
