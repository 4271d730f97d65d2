"""The tools' calls to the suite's REST services (insurance-verify, billing, compliance).

Each call carries the caller's own bearer token, so the service applies its own role rules and its audit row names
the real caller — the MCP server never lends a caller more than their token allows. requests runs in a worker
thread (the server is async); the tool's deadline bounds the whole call. Every failure is a `ToolFailure` naming the
service and the HTTP status, with the service's own error message (our services never put PHI in one).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import requests

from .tool_errors import ToolFailure

# The services a tool may call, by the variable that points at each.
SERVICE_VARIABLES = {
    "insurance-verify": "INSURANCE_VERIFY_URL",
    "billing": "BILLING_URL",
    "compliance": "COMPLIANCE_URL",
}


class SuiteClient:
    """One per server: a keep-alive session per service URL, shared by the calls in flight."""

    def __init__(self, urls: dict[str, str | None], *, verify: str | bool, timeout_seconds: float) -> None:
        self._urls = {name: url.rstrip("/") if url else None for name, url in urls.items()}
        self._verify = verify
        self._timeout = timeout_seconds
        self._session = requests.Session()

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str,
        request_id: str,
        json: Any = None,
        params: dict[str, str] | None = None,
        accept: str = "application/json",
        extra_headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """The service's 2xx answer; any other outcome is a ToolFailure."""
        base = self._urls.get(service)
        if not base:
            raise ToolFailure(
                f"{service} is not configured here ({SERVICE_VARIABLES[service]} is not set)", kind="not_configured"
            )
        headers = {"Authorization": f"Bearer {token}", "X-Request-ID": request_id, "Accept": accept}
        headers.update(extra_headers or {})

        def send() -> requests.Response:
            return self._session.request(
                method,
                base + path,
                json=json,
                params=params,
                headers=headers,
                timeout=self._timeout,
                verify=self._verify,
            )

        try:
            reply = await anyio.to_thread.run_sync(send, abandon_on_cancel=True)
        except requests.RequestException as exc:
            raise ToolFailure(f"{service} is unreachable ({type(exc).__name__})", kind="service_unreachable") from None
        if reply.status_code >= 400:
            raise _failure(service, reply)
        return reply

    def close(self) -> None:
        self._session.close()


def _failure(service: str, reply: requests.Response) -> ToolFailure:
    error = _error_body(reply)
    status = reply.status_code
    message = error.get("message") if error else None
    fields = error.get("fields") if error and isinstance(error.get("fields"), dict) else None
    detail = f": {message}" if isinstance(message, str) else ""
    if status in (401, 403):
        return ToolFailure(
            f"{service} refused the caller (HTTP {status}){detail}", kind="service_forbidden", outcome="denied"
        )
    if status >= 500:
        code = error.get("code", "error") if error else "no JSON error body"
        return ToolFailure(f"{service} could not answer (HTTP {status} {code}){detail}", kind="service_unavailable")
    return ToolFailure(
        f"{service} refused the request (HTTP {status}){detail}",
        kind="refused",
        fields={str(k): str(v) for k, v in (fields or {}).items()},
    )


def _error_body(reply: requests.Response) -> dict[str, Any] | None:
    try:
        payload = reply.json()
    except ValueError:
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) else None
