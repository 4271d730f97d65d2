"""billing's call to insurance-verify: with the service token, a timeout, and no false "not eligible".

An unreachable or failing insurance-verify is `EligibilityUnavailable` (HTTP 503 to the caller), never an
eligibility verdict: only the payer's answer can say a member is not covered. Question and answer are the shared
models of core.eligibility, so a change to insurance-verify's answer fails here loudly, not as a wrong estimate.
"""

from __future__ import annotations

from typing import Any

import requests
from pydantic import ValidationError

from core.eligibility import VerifyRequest, VerifyResponse
from core.errors import ApiError
from core.tls import trust

from .settings import BillingSettings


class EligibilityUnavailable(ApiError):
    """insurance-verify could not be asked or could not answer."""

    code = "eligibility_unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(message=f"eligibility could not be checked: {reason}")


class EligibilityRefused(ApiError):
    """insurance-verify refused the question itself (4xx): its field errors, named as the claim's fields, under its
    code (400 for a malformed field, 422 for an unusable value)."""

    code = "validation_error"

    def __init__(self, error: dict[str, Any]) -> None:
        if error.get("code") == "invalid_value":
            self.code = "invalid_value"
        fields = {
            f"patient_data.{k}" if k in ("member_id", "provider_id") else k: v
            for k, v in (error.get("fields") or {}).items()
        }
        super().__init__(message=f"eligibility check refused: {error.get('message', 'refused')}", fields=fields)


class EligibilityClient:
    """One per app: a keep-alive HTTP session to insurance-verify, shared by the app's threads."""

    def __init__(
        self, base_url: str | None, token: str | None, timeout_seconds: float, verify: str | bool = True
    ) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.token = token
        self.timeout_seconds = timeout_seconds
        self._session = requests.Session()
        self._verify = verify  # the clinic CA too (core.tls): insurance-verify serves HTTPS with it

    @classmethod
    def from_settings(cls, settings: BillingSettings) -> EligibilityClient:
        return cls(
            settings.insurance_verify_url,
            settings.service_token,
            settings.eligibility_timeout_seconds,
            verify=trust(settings),
        )

    def verify(self, question: VerifyRequest, *, actor: str, request_id: str) -> VerifyResponse:
        """insurance-verify's answer, money as Decimal (read without a float in between)."""
        if not self.base_url or not self.token:
            raise EligibilityUnavailable("INSURANCE_VERIFY_URL and INTELLUXE_SERVICE_TOKEN must be set")
        headers = {"Authorization": f"Bearer {self.token}", "X-Intelluxe-Actor": actor, "X-Request-ID": request_id}
        body = question.model_dump(mode="json", exclude_none=True)
        try:
            reply = self._session.post(
                f"{self.base_url}/verify",
                json=body,
                headers=headers,
                timeout=self.timeout_seconds,
                verify=self._verify,  # per request: REQUESTS_CA_BUNDLE would override a session's
            )
        except requests.RequestException as exc:
            raise EligibilityUnavailable(f"insurance-verify unreachable ({type(exc).__name__})") from None
        if reply.status_code >= 400:
            error = _error(reply)
            if reply.status_code >= 500 or reply.status_code in (401, 403) or error is None:
                code = error["code"] if error else "no JSON error body"
                raise EligibilityUnavailable(f"insurance-verify answered HTTP {reply.status_code} ({code})")
            raise EligibilityRefused(error)
        try:
            return VerifyResponse.model_validate_json(reply.content)
        except ValidationError:
            raise EligibilityUnavailable(f"insurance-verify answered HTTP {reply.status_code} unreadably") from None

    def close(self) -> None:
        self._session.close()


def _error(reply: requests.Response) -> dict[str, Any] | None:
    """The {"error": {...}} body of an error answer, or None when it has none (not our service answering)."""
    try:
        payload = reply.json()
    except ValueError:
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) and "code" in error else None
