"""The console's calls to the suite's REST services, with the signed-in person's own token.

The console holds no domain logic and reads no domain table: each page is one or two calls to insurance-verify,
billing or compliance, which apply their own role rules and write their own audit rows naming the person (their
token's name). Calls go over the same TLS as everything else, trusting the machine's CAs and the clinic CA
(core.tls), with the page's request id, so a page view and the audit rows it caused share one id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import requests
from flask import current_app, g

from core.tls import trust

from .settings import ConsoleSettings

SERVICES = {
    "compliance": "COMPLIANCE_URL",
    "billing": "BILLING_URL",
    "insurance-verify": "INSURANCE_VERIFY_URL",
}


class ServiceError(Exception):
    """A service call that did not give a 2xx: `kind` decides the page (sign-in again, 403, 4xx message, 503).
    `message` is the service's own error message — our services never put PHI in one — or ours."""

    def __init__(
        self, service: str, kind: str, status: int, message: str, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{service}: {kind} ({status})")
        self.service = service
        self.kind = kind  # not_configured | unreachable | signed_out | forbidden | not_found | refused | failed
        self.status = status
        self.message = message
        self.fields = fields or {}

    @property
    def page_status(self) -> int:
        """The console page's own status for this failure."""
        return {"forbidden": 403, "refused": 422, "signed_out": 401, "not_found": 404}.get(self.kind, 503)


class Suite:
    """One per app: a keep-alive session per worker, shared by the requests in flight."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self._urls = {
            "compliance": settings.compliance_url,
            "billing": settings.billing_url,
            "insurance-verify": settings.insurance_verify_url,
        }
        self._settings = settings
        self._timeout = settings.api_timeout_seconds
        self._session = requests.Session()
        self._verify: str | bool | None = None

    def configured(self, service: str) -> bool:
        return bool(self._urls.get(service))

    def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        base = self._urls.get(service)
        if not base:
            raise ServiceError(service, "not_configured", 503, f"{SERVICES[service]} is not set for the console")
        if self._verify is None:
            self._verify = trust(self._settings)
        sent = {"Authorization": f"Bearer {token}", "X-Request-ID": g.get("request_id", ""), **(headers or {})}
        try:
            reply = self._session.request(
                method,
                base.rstrip("/") + path,
                params={k: v for k, v in (params or {}).items() if v not in (None, "")},
                json=json,
                data=data,
                headers=sent,
                timeout=self._timeout,
                verify=self._verify,
            )
        except requests.RequestException as exc:
            message = f"{service} did not answer ({type(exc).__name__})"
            raise ServiceError(service, "unreachable", 503, message) from None
        if reply.status_code >= 400:
            raise _failure(service, reply)
        return reply

    def json(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON, numbers with a fraction as Decimal (money stays exact on its way to the page)."""
        return self.call(service, method, path, **kwargs).json(parse_float=Decimal)

    def close(self) -> None:
        self._session.close()


def suite() -> Suite:
    return current_app.extensions["console_suite"]


def _failure(service: str, reply: requests.Response) -> ServiceError:
    error: dict[str, Any] = {}
    try:
        body = reply.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            error = body["error"]
    except ValueError:
        pass
    message = str(error.get("message") or f"HTTP {reply.status_code}")
    fields = {str(k): str(v) for k, v in (error.get("fields") or {}).items()} if isinstance(error, dict) else {}
    status = reply.status_code
    if status == 401:
        return ServiceError(service, "signed_out", status, message)
    if status == 403:
        return ServiceError(service, "forbidden", status, message)
    if status == 404:
        return ServiceError(service, "not_found", status, message)
    if status >= 500:
        return ServiceError(service, "failed", status, message)
    return ServiceError(service, "refused", status, message, fields)
