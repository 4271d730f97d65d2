"""Payer adapters: how an eligibility question (270/271) or a prior-authorization request (278) reaches a payer and
its answer comes back.

`PayerAdapter` is the interface services call. `X12HttpAdapter` is the one real clearinghouses and the payer sandbox
speak: an X12 270 POSTed as `application/edi-x12`, the 271 in the response body. Other transports (a payer's REST
API, a CAQH CORE SOAP envelope) plug in as further adapters behind the same interface.

Every exchange — request, answer, outcome, timing — is returned to the caller, which stores it for troubleshooting
(`payer_exchanges`); nothing of it is logged but ids, outcome and timing, because both documents carry PHI.
"""

from __future__ import annotations

import logging
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import requests

from core.errors import ApiError
from core.payers.config import PayerConfig
from core.x12 import Coverage, EligibilityRequest, X12ParseError, build_270, read_271
from core.x12.x278 import ReviewRequest, ReviewResponse, ServiceRequest, build_278, read_278_response

log = logging.getLogger(__name__)

ExchangeMaker = Callable[..., "Exchange"]


@dataclass(frozen=True)
class EligibilityInquiry:
    member_id: str
    provider_npi: str
    provider_name: str
    service_date: date
    procedure_codes: tuple[str, ...] = ()
    member_first_name: str | None = None
    member_last_name: str | None = None
    member_birth_date: date | None = None


@dataclass(frozen=True)
class Exchange:
    """One request/response with a payer, as kept for troubleshooting (PHI: stored, never logged)."""

    payer_id: str
    kind: str
    trace_number: str
    request: str
    response: str | None
    http_status: int | None
    outcome: str  # ok | unreachable | timeout | http_error | unreadable
    duration_ms: int


@dataclass(frozen=True)
class EligibilityResult:
    coverage: Coverage
    exchange: Exchange


@dataclass(frozen=True)
class ReviewInquiry:
    """A prior-authorization request: who, for which services and diagnoses, when and where."""

    member_id: str
    provider_npi: str
    provider_name: str
    service_date: date
    diagnosis_codes: tuple[str, ...]
    services: tuple[ServiceRequest, ...]
    service_end: date | None = None
    place_of_service: str = "11"
    member_first_name: str | None = None
    member_last_name: str | None = None
    member_birth_date: date | None = None


@dataclass(frozen=True)
class ReviewResult:
    response: ReviewResponse
    exchange: Exchange


class PayerError(ApiError):
    """The payer gave no usable answer. Carries the exchange so it can still be stored."""

    code = "payer_error"

    def __init__(self, message: str, exchange: Exchange) -> None:
        super().__init__(message=message)
        self.exchange = exchange


class PayerUnavailable(PayerError):
    """Unreachable, timed out or a 5xx: try again later (HTTP 503 to our callers)."""

    code = "payer_unavailable"


class PayerResponseError(PayerError):
    """The payer answered but not with a readable 271 (HTTP 502 to our callers)."""

    code = "payer_error"


class PayerAdapter(ABC):
    def __init__(self, config: PayerConfig) -> None:
        self.config = config

    @abstractmethod
    def eligibility(self, inquiry: EligibilityInquiry) -> EligibilityResult:
        """Ask the payer; raise PayerUnavailable or PayerResponseError when there is no usable answer."""

    def prior_authorization(self, inquiry: ReviewInquiry) -> ReviewResult:
        """Ask the payer to review services (a 278); PayerUnavailable when this payer takes none here."""
        raise NotImplementedError(f"payer {self.config.payer_id} takes no prior-authorization requests")


class X12HttpAdapter(PayerAdapter):
    """X12 270 → clearinghouse over HTTP → 271, with timeouts and retries on connection errors only."""

    def __init__(
        self,
        config: PayerConfig,
        *,
        environ: Mapping[str, str],
        session: requests.Session | None = None,
        backoff_seconds: float = 0.2,
        verify: str | bool = True,
    ) -> None:
        super().__init__(config)
        self._session = session or requests.Session()
        self._verify = verify
        self._environ = environ
        self._backoff = backoff_seconds

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/edi-x12", "Accept": "application/edi-x12"}
        credential = self.config.credential(self._environ)
        if credential and self.config.auth_type == "bearer":
            headers["Authorization"] = f"Bearer {credential}"
        elif credential and self.config.auth_type == "basic":
            import base64

            headers["Authorization"] = "Basic " + base64.b64encode(credential.encode()).decode()
        return headers

    def build_request(self, inquiry: EligibilityInquiry) -> tuple[str, str]:
        """The 270 for `inquiry` and its trace number."""
        trace = secrets.token_hex(8).upper()
        request = EligibilityRequest(
            **self._parties(inquiry, trace),
            service_date=inquiry.service_date,
            procedure_codes=tuple(inquiry.procedure_codes),
        )
        control = secrets.randbelow(999_999_999) + 1
        return build_270(request, control_number=control, now=datetime.now(UTC)), trace

    def eligibility(self, inquiry: EligibilityInquiry) -> EligibilityResult:
        body, trace = self.build_request(inquiry)
        text, status, exchange = self._exchange(self.config.endpoint(self._environ), body, trace, "270/271")
        try:
            coverage = read_271(text, asked=inquiry)
        except X12ParseError as exc:
            raise PayerResponseError(
                f"payer {self.config.payer_id} answered with an unreadable 271: {exc}",
                exchange("unreadable", text, status),
            ) from None
        result = EligibilityResult(coverage, exchange("ok", text, status))
        log.info(
            "payer %s answered trace %s in %d ms (%s)",
            self.config.payer_id,
            trace,
            result.exchange.duration_ms,
            coverage.eligibility_status,
        )
        return result

    def prior_authorization(self, inquiry: ReviewInquiry) -> ReviewResult:
        url = self.config.review_endpoint(self._environ)
        if url is None:
            raise NotImplementedError(f"payer {self.config.payer_id} takes no prior-authorization requests here")
        trace = secrets.token_hex(8).upper()
        request = ReviewRequest(
            **self._parties(inquiry, trace),
            diagnosis_codes=inquiry.diagnosis_codes,
            services=inquiry.services,
            service_date=inquiry.service_date,
            service_end=inquiry.service_end,
            place_of_service=inquiry.place_of_service,
        )
        body = build_278(request, control_number=secrets.randbelow(999_999_999) + 1, now=datetime.now(UTC))
        text, status, exchange = self._exchange(url, body, trace, "278")
        try:
            response = read_278_response(text)
        except X12ParseError as exc:
            raise PayerResponseError(
                f"payer {self.config.payer_id} answered with an unreadable 278: {exc}",
                exchange("unreadable", text, status),
            ) from None
        result = ReviewResult(response, exchange("ok", text, status))
        log.info(
            "payer %s reviewed trace %s in %d ms (%s)",
            self.config.payer_id,
            trace,
            result.exchange.duration_ms,
            response.decision,
        )
        return result

    def _parties(self, inquiry: EligibilityInquiry | ReviewInquiry, trace: str) -> dict[str, Any]:
        """What a 270 and a 278 both say of payer, provider, member and envelope."""
        return {
            "payer_id": self.config.x12_payer_id,
            "payer_name": self.config.name,
            "provider_npi": inquiry.provider_npi,
            "provider_name": inquiry.provider_name,
            "member_id": inquiry.member_id,
            "member_first_name": inquiry.member_first_name,
            "member_last_name": inquiry.member_last_name,
            "member_birth_date": inquiry.member_birth_date,
            "trace_number": trace,
            "sender_id": self.config.submitter_id,
            "receiver_id": self.config.receiver_id,
        }

    def _exchange(self, url: str, body: str, trace: str, kind: str) -> tuple[str, int, ExchangeMaker]:
        """POST `body` (with retries on connection errors only): the answer's text and status, and how to record
        the exchange. PayerUnavailable / PayerResponseError for no answer, a 5xx or a 4xx."""
        started = time.perf_counter()

        def exchange(outcome: str, response: str | None = None, status: int | None = None) -> Exchange:
            return Exchange(
                payer_id=self.config.payer_id,
                kind=kind,
                trace_number=trace,
                request=body,
                response=response,
                http_status=status,
                outcome=outcome,
                duration_ms=int((time.perf_counter() - started) * 1000),
            )

        attempts = self.config.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                reply = self._session.post(
                    url,
                    data=body.encode("utf-8"),
                    headers=self._headers(),
                    timeout=self.config.timeout_seconds,
                    verify=self._verify,  # per request: REQUESTS_CA_BUNDLE would override a session's
                )
                break
            except requests.ConnectionError as exc:
                # Includes ConnectTimeout; a ReadTimeout is not retried (the payer may be working on it).
                if attempt == attempts:
                    raise PayerUnavailable(
                        f"payer {self.config.payer_id} unreachable after {attempts} attempts ({type(exc).__name__})",
                        exchange("unreachable"),
                    ) from None
                time.sleep(self._backoff * attempt)
            except requests.Timeout:
                raise PayerUnavailable(
                    f"payer {self.config.payer_id} did not answer within {self.config.timeout_seconds:g} s",
                    exchange("timeout"),
                ) from None
        text = reply.text
        if reply.status_code >= 500:
            raise PayerUnavailable(
                f"payer {self.config.payer_id} answered HTTP {reply.status_code}",
                exchange("http_error", text, reply.status_code),
            )
        if reply.status_code >= 400:
            raise PayerResponseError(
                f"payer {self.config.payer_id} refused the request with HTTP {reply.status_code}",
                exchange("http_error", text, reply.status_code),
            )
        return text, reply.status_code, exchange


def record_exchange(cur, exchange: Exchange) -> str:  # type: ignore[no-untyped-def]
    """Store an exchange (inside the caller's transaction); returns its id for log lines and responses."""
    cur.execute(
        """
        INSERT INTO payer_exchanges (payer_id, kind, trace_number, request_x12, response_x12, http_status, outcome,
                                     duration_ms)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING exchange_id
        """,
        (
            exchange.payer_id,
            exchange.kind,
            exchange.trace_number,
            exchange.request,
            exchange.response,
            exchange.http_status,
            exchange.outcome,
            exchange.duration_ms,
        ),
    )
    row = cur.fetchone()
    return str(row["exchange_id"] if isinstance(row, dict) else row[0])
