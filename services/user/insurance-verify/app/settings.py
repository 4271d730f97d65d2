"""insurance-verify's own settings, beside the shared ones (core.config.Settings)."""

from __future__ import annotations

from pydantic import Field

from core.config import Settings


class VerifySettings(Settings):
    # How old a stored answer may be and still be served when the payer is unreachable (`"source": "stale"`).
    eligibility_stale_max_age_seconds: int = Field(default=72 * 3600, ge=0, alias="ELIGIBILITY_STALE_MAX_AGE_SECONDS")
    # Overrides every payer's cache_ttl_seconds (tests, or a clinic that wants fresher answers everywhere).
    eligibility_cache_ttl_seconds: int | None = Field(default=None, ge=0, alias="ELIGIBILITY_CACHE_TTL_SECONDS")
