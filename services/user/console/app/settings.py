"""console's own settings, beside the shared ones (core.config.Settings)."""

from __future__ import annotations

from pydantic import Field

from core.config import Settings


class ConsoleSettings(Settings):
    # The services whose pages the console shows; it calls them with the signed-in person's own token, so each
    # applies its own role rules and writes its own audit rows. Unset, that area's pages say so (HTTP 503).
    compliance_url: str | None = Field(default=None, alias="COMPLIANCE_URL")
    billing_url: str | None = Field(default=None, alias="BILLING_URL")
    insurance_verify_url: str | None = Field(default=None, alias="INSURANCE_VERIFY_URL")
    # A session unused this long ends (its token revoked); one ends after session_hours whatever the activity.
    idle_minutes: int = Field(default=15, ge=1, le=24 * 60, alias="CONSOLE_IDLE_MINUTES")
    session_hours: int = Field(default=12, ge=1, le=7 * 24, alias="CONSOLE_SESSION_HOURS")
    # Sign-in throttle: after this many failures for one account (or from one address) within the window, further
    # attempts are refused until the window has passed.
    sign_in_max_failures: int = Field(default=5, ge=1, le=1000, alias="CONSOLE_SIGN_IN_MAX_FAILURES")
    sign_in_window_minutes: int = Field(default=15, ge=1, le=24 * 60, alias="CONSOLE_SIGN_IN_WINDOW_MINUTES")
    # How long one call to a service may take before the page says the service did not answer.
    api_timeout_seconds: float = Field(default=20.0, gt=0, le=300, alias="CONSOLE_API_TIMEOUT_SECONDS")
