"""billing's call to insurance-verify: with the service token, a timeout, and no false "not eligible".

An unreachable or failing insurance-verify is `EligibilityUnavailable` (HTTP 503 to the caller), never an
eligibility verdict: only the payer's answer can say a member is not covered.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import requests

# One HTTP session per process: keep-alive connections to insurance-verify instead of a new one per claim.
_SESSION = requests.Session()


class EligibilityUnavailable(Exception):
    """insurance-verify could not be asked or could not answer."""


class EligibilityRefused(Exception):
    """insurance-verify refused the question itself (4xx): carries its error body for the caller's fields."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", f"HTTP {status}"))
        self.status = status
        self.error = error


@dataclass(frozen=True)
class EligibilityClient:
    base_url: str
    token: str
    timeout_seconds: float = 15.0

    @classmethod
    def from_env(cls) -> EligibilityClient:
        url = os.environ.get("INSURANCE_VERIFY_URL")
        token = os.environ.get("INTELLUXE_SERVICE_TOKEN")
        if not url or not token:
            raise EligibilityUnavailable("INSURANCE_VERIFY_URL and INTELLUXE_SERVICE_TOKEN must be set")
        return cls(url.rstrip("/"), token, float(os.environ.get("ELIGIBILITY_TIMEOUT_SECONDS", "15")))

    def verify(
        self,
        *,
        member_id: str,
        provider_id: str,
        service_codes: list[str],
        payer_id: str | None,
        service_date: date,
        actor: str,
        request_id: str,
    ) -> dict[str, Any]:
        """The /verify answer with money as Decimal (parsed without float)."""
        body: dict[str, Any] = {
            "member_id": member_id,
            "provider_id": provider_id,
            "service_codes": service_codes,
            "service_date": service_date.isoformat(),
        }
        if payer_id:
            body["payer_id"] = payer_id
        headers = {"Authorization": f"Bearer {self.token}", "X-Intelluxe-Actor": actor, "X-Request-ID": request_id}
        try:
            reply = _SESSION.post(f"{self.base_url}/verify", json=body, headers=headers, timeout=self.timeout_seconds)
        except requests.RequestException as exc:
            raise EligibilityUnavailable(f"insurance-verify unreachable ({type(exc).__name__})") from None
        try:
            payload = reply.json(parse_float=Decimal)
        except ValueError:
            raise EligibilityUnavailable(f"insurance-verify answered HTTP {reply.status_code} without JSON") from None
        if reply.status_code >= 500 or reply.status_code in (401, 403):
            code = payload.get("error", {}).get("code", "error") if isinstance(payload, dict) else "error"
            raise EligibilityUnavailable(f"insurance-verify answered HTTP {reply.status_code} ({code})")
        if reply.status_code >= 400:
            raise EligibilityRefused(reply.status_code, payload.get("error", {}))
        return payload
