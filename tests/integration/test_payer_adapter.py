"""The X12-over-HTTP adapter against real HTTP servers: retries on connection errors only, timeouts, HTTP errors,
unreadable answers, credentials — every failure carrying its exchange."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest
import requests
from flask import Flask, Response, request

from core.payers import EligibilityInquiry, PayerResponseError, PayerUnavailable, X12HttpAdapter, load_payers

INQUIRY = EligibilityInquiry("XYZ100000001", "1234567893", "CLINIC", date(2026, 11, 20), ("99213",))


class CountingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def post(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.calls += 1
        return super().post(*args, **kwargs)


def _adapter(url: str, **env: str) -> tuple[X12HttpAdapter, CountingSession]:
    session = CountingSession()
    adapter = X12HttpAdapter(
        load_payers()["anthem-bcbs"], session=session, environ={"PAYER_SANDBOX_URL": url, **env}, backoff_seconds=0.01
    )
    return adapter, session


def _payer(status: int = 200, body: str = "", delay: float = 0.0) -> Flask:
    app = Flask("fake-payer")
    app.config["seen"] = []

    @app.post("/x12/270")
    def answer() -> Response:
        app.config["seen"].append(dict(request.headers))
        time.sleep(delay)
        return Response(body, status=status, mimetype="application/edi-x12")

    return app


def test_the_sandbox_answers_a_real_271(payer_sandbox) -> None:  # type: ignore[no-untyped-def]
    adapter, session = _adapter(payer_sandbox.url)
    result = adapter.eligibility(INQUIRY)
    assert result.coverage.eligibility_status == "active"
    assert result.exchange.outcome == "ok" and result.exchange.http_status == 200
    assert "NM1*IL*1" in result.exchange.request and result.exchange.response.startswith("ISA")
    assert result.coverage.trace_number == result.exchange.trace_number
    assert session.calls == 1


def test_connection_errors_are_retried_then_unavailable(dead_url: str) -> None:
    adapter, session = _adapter(dead_url)
    with pytest.raises(PayerUnavailable, match="unreachable after 3 attempts") as info:
        adapter.eligibility(INQUIRY)
    assert session.calls == 3  # retries: 2 in anthem-bcbs.yml
    assert info.value.exchange.outcome == "unreachable"
    assert "XYZ100000001" not in str(info.value)


def test_a_5xx_is_unavailable_without_a_retry(served_app) -> None:  # type: ignore[no-untyped-def]
    adapter, session = _adapter(served_app(_payer(503, "down for maintenance")).url)
    with pytest.raises(PayerUnavailable, match="answered HTTP 503") as info:
        adapter.eligibility(INQUIRY)
    assert session.calls == 1
    assert info.value.exchange.http_status == 503 and info.value.exchange.response == "down for maintenance"


def test_a_4xx_is_a_response_error(served_app) -> None:  # type: ignore[no-untyped-def]
    adapter, _ = _adapter(served_app(_payer(400, "bad request")).url)
    with pytest.raises(PayerResponseError, match="refused the request with HTTP 400"):
        adapter.eligibility(INQUIRY)


def test_an_unreadable_271_is_a_response_error(served_app) -> None:  # type: ignore[no-untyped-def]
    adapter, _ = _adapter(served_app(_payer(200, "<html>login</html>")).url)
    with pytest.raises(PayerResponseError, match="unreadable 271") as info:
        adapter.eligibility(INQUIRY)
    assert info.value.exchange.outcome == "unreadable"


def test_a_slow_payer_times_out_without_a_retry(served_app) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    adapter, session = _adapter(served_app(_payer(200, "", delay=1.0)).url)
    adapter.config = dataclasses.replace(adapter.config, timeout_seconds=0.2)
    with pytest.raises(PayerUnavailable, match="did not answer within 0.2 s") as info:
        adapter.eligibility(INQUIRY)
    assert session.calls == 1
    assert info.value.exchange.outcome == "timeout"


def test_bearer_credentials_are_sent(served_app, payer_sandbox) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    fake = _payer(400, "x")
    adapter, _ = _adapter(served_app(fake).url, ANTHEM_CLEARINGHOUSE_TOKEN="s3cret")
    adapter.config = dataclasses.replace(adapter.config, auth_type="bearer")
    with pytest.raises(PayerResponseError):
        adapter.eligibility(INQUIRY)
    seen = fake.config["seen"][0]
    assert seen["Authorization"] == "Bearer s3cret"
    assert seen["Content-Type"] == "application/edi-x12"
