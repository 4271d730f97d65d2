"""insurance-verify's domain step: one coverage answer per payer + member + provider, from cache, payer or store.

Order of sources: Redis (fresh, per payer's TTL) → the payer through its adapter → on payer failure, the copy in
PostgreSQL if younger than the configured stale age. Every payer answer is stored (`insurance_eligibility`, one row
per payer + member + provider, upserted) together with the raw exchange, then cached. The cache holds the coverage,
not the per-code answer, so a second request with other procedure codes is still a hit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask, current_app
from psycopg2.extras import Json
from pydantic import TypeAdapter

from core.cache import Cache
from core.claims.money import cents
from core.clinic import Clinic
from core.db import Database
from core.eligibility import REJECT_REASONS, CoverageDetails, VerifyRequest, VerifyResponse
from core.errors import invalid_value
from core.payers import (
    EligibilityInquiry,
    PayerAdapter,
    PayerConfig,
    PayerError,
    PayerUnavailable,
    adapters_for,
    record_exchange,
    require_payer,
)
from core.tls import trust
from core.x12 import Coverage

from .settings import VerifySettings

log = logging.getLogger(__name__)

REJECTION_TTL_SECONDS = 300
# The stored form of a Coverage (Redis and the jsonb column): Decimal as string, dates ISO — lossless both ways.
COVERAGE_RECORD = TypeAdapter(Coverage)


@dataclass(frozen=True)
class EligibilityAnswer:
    coverage: Coverage
    source: str  # payer | cache | stale
    verified_at: datetime
    exchange_id: str | None = None


@dataclass(frozen=True)
class Question:
    """A validated eligibility question: the payer to ask and what to ask it."""

    payer: PayerConfig
    inquiry: EligibilityInquiry


class EligibilityService:
    def __init__(
        self,
        db: Database,
        cache: Cache,
        payers: Mapping[str, PayerConfig],
        clinic: Clinic,
        settings: VerifySettings,
        adapters: Mapping[str, PayerAdapter] | None = None,
    ) -> None:
        self.db = db
        self.cache = cache
        self.payers = payers
        self.clinic = clinic
        self.adapters = (
            adapters if adapters is not None else adapters_for(payers, settings.environ, verify=trust(settings))
        )
        self.stale_max_age = timedelta(seconds=settings.eligibility_stale_max_age_seconds)
        self.cache_ttl_override = settings.eligibility_cache_ttl_seconds

    def question(self, body: VerifyRequest) -> Question:
        """The payer (the request's, else the clinic's default) and the inquiry; 422 naming an unknown payer or
        provider."""
        payer = require_payer(self.payers, body.payer_id or self.clinic.default_payer)
        provider = self.clinic.provider(body.provider_id)
        if provider is None:
            raise invalid_value(provider_id="neither a provider in config/clinic.yml nor a valid NPI")
        inquiry = EligibilityInquiry(
            member_id=body.member_id,
            provider_npi=provider[0],
            provider_name=provider[1],
            service_date=body.service_date or datetime.now(UTC).date(),
            procedure_codes=tuple(dict.fromkeys(body.service_codes)),
            member_first_name=body.member_first_name,
            member_last_name=body.member_last_name,
            member_birth_date=body.member_birth_date,
        )
        return Question(payer, inquiry)

    def ttl(self, payer: PayerConfig, coverage: Coverage) -> int:
        ttl = self.cache_ttl_override if self.cache_ttl_override is not None else payer.cache_ttl_seconds
        return min(ttl, REJECTION_TTL_SECONDS) if coverage.eligibility_status == "rejected" else ttl

    @staticmethod
    def cache_key(payer_id: str, member_id: str, provider_npi: str, patient: str = "") -> str:
        # Hashed: member ids are PHI and Redis keys show up in monitoring tools.
        digest = hashlib.sha256(f"{payer_id}\x1f{member_id}\x1f{provider_npi}\x1f{patient}".encode()).hexdigest()
        return f"eligibility:{digest}"

    def answer(self, question: Question) -> EligibilityAnswer:
        """Cache, else the payer, else (payer unreachable) a recent stored answer; PayerUnavailable (503) or
        PayerResponseError (502) when there is none."""
        payer_id, inquiry = question.payer.payer_id, question.inquiry
        patient = patient_key(inquiry)
        key = self.cache_key(payer_id, inquiry.member_id, inquiry.provider_npi, patient)
        cached = self.cache.get(key)
        if cached is not None:
            coverage = COVERAGE_RECORD.validate_python(cached["coverage"])
            if _covers(coverage, inquiry.service_date):
                return EligibilityAnswer(coverage, "cache", datetime.fromisoformat(cached["verified_at"]))
        try:
            result = self.adapters[payer_id].eligibility(inquiry)
        except PayerError as exc:
            return self._after_failure(payer_id, inquiry, exc)
        verified_at = datetime.now(UTC)
        record = COVERAGE_RECORD.dump_python(result.coverage, mode="json")

        def store(cur) -> str:  # type: ignore[no-untyped-def]
            exchange_id = record_exchange(cur, result.exchange)
            cur.execute(
                """
                INSERT INTO insurance_eligibility (payer_id, member_id, provider_id, patient_key, eligibility_data,
                                                   effective_date, expiry_date, created_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (payer_id, member_id, provider_id, patient_key) DO UPDATE
                SET eligibility_data = EXCLUDED.eligibility_data, effective_date = EXCLUDED.effective_date,
                    expiry_date = EXCLUDED.expiry_date, created_at = EXCLUDED.created_at
                """,
                (
                    payer_id,
                    inquiry.member_id,
                    inquiry.provider_npi,
                    patient,
                    Json(record),
                    verified_at,
                    verified_at + self.stale_max_age,
                    verified_at,
                ),
            )
            return exchange_id

        exchange_id = self.db.run(store)
        ttl = self.ttl(question.payer, result.coverage)
        self.cache.set(key, {"coverage": record, "verified_at": verified_at.isoformat()}, ttl)
        return EligibilityAnswer(result.coverage, "payer", verified_at, exchange_id)

    def _after_failure(self, payer_id: str, inquiry: EligibilityInquiry, exc: PayerError) -> EligibilityAnswer:
        failed = exc.exchange
        exchange_id = self.db.run(lambda cur: record_exchange(cur, failed))
        log.warning("payer %s failed (%s); exchange %s", payer_id, type(exc).__name__, exchange_id)
        if not isinstance(exc, PayerUnavailable):
            raise exc
        stale = self._stale(payer_id, inquiry)
        if stale is None:
            raise PayerUnavailable(f"{exc}; no stored answer recent enough to serve", failed) from None
        return dataclasses.replace(stale, exchange_id=exchange_id)

    def _stale(self, payer_id: str, inquiry: EligibilityInquiry) -> EligibilityAnswer | None:
        row = self.db.fetchone(
            """
            SELECT eligibility_data, effective_date FROM insurance_eligibility
            WHERE payer_id = %s AND member_id = %s AND provider_id = %s AND patient_key = %s AND effective_date > %s
            """,
            (
                payer_id,
                inquiry.member_id,
                inquiry.provider_npi,
                patient_key(inquiry),
                datetime.now(UTC) - self.stale_max_age,
            ),
        )
        if row is None:
            return None
        coverage = COVERAGE_RECORD.validate_python(row["eligibility_data"])
        return EligibilityAnswer(coverage, "stale", row["effective_date"])


def _covers(coverage: Coverage, service_date: date) -> bool:
    """A cached answer serves only service dates inside the plan period it reported."""
    if coverage.effective_date and service_date < coverage.effective_date:
        return False
    return not (coverage.termination_date and service_date > coverage.termination_date)


# --------------------------------------------------------------------------------------------------- response


def patient_key(inquiry: EligibilityInquiry) -> str:
    """Which of a member id's people was asked about: "" for none named (the holder), else a hash of the name and
    birth date asked — a payer answers a subscriber's id for each dependent too, and one person's answer must
    never be served for another (cache key, stored row)."""
    first, last, born = inquiry.member_first_name, inquiry.member_last_name, inquiry.member_birth_date
    if not (first or last or born):
        return ""
    named = f"{(first or '').upper()}\x1f{(last or '').upper()}\x1f{born.isoformat() if born else ''}"
    return hashlib.sha256(named.encode()).hexdigest()[:32]


def verify_response(body: VerifyRequest, question: Question, answer: EligibilityAnswer) -> VerifyResponse:
    """The seed's response fields from the real 271, with the new fields beside them."""
    coverage = answer.coverage
    requested = list(dict.fromkeys(body.service_codes))
    flagged = set(coverage.authorization_required_codes) | question.payer.prior_auth_codes
    auth_codes = sorted(code for code in requested if code in flagged)
    active = coverage.eligibility_status == "active"
    fields: dict[str, Any] = {
        "member_id": body.member_id,
        "provider_id": body.provider_id,
        "verification_date": answer.verified_at,
        "eligibility_status": coverage.eligibility_status,
        "coverage_details": CoverageDetails(
            deductible_remaining=_money(coverage.deductible_remaining),
            copay_amount=_money(coverage.copay_amount),
            out_of_pocket_max=_money(coverage.out_of_pocket_max),
            covered_services=requested if active else [],
            deductible=_money(coverage.deductible),
            family_deductible_remaining=_money(coverage.family_deductible_remaining),
        ),
        "authorization_required": bool(auth_codes),
        "effective_date": coverage.effective_date,
        "termination_date": coverage.termination_date,
        "coinsurance_rate": coverage.coinsurance_rate,
        "out_of_pocket_remaining": _money(coverage.out_of_pocket_remaining),
        "authorization_required_codes": auth_codes,
        "payer_id": question.payer.payer_id,
        "source": answer.source,
        "plan_name": coverage.plan_name,
        "service_date": question.inquiry.service_date,
    }
    if coverage.eligibility_status == "rejected":
        fields["reject_reason_code"] = coverage.reject_reason_code
        fields["reject_reason"] = REJECT_REASONS.get(coverage.reject_reason_code or "", "rejected by the payer")
    if coverage.subscriber is not None:
        fields["subscriber"] = coverage.subscriber
    if coverage.dependent is not None:
        fields["dependent"] = coverage.dependent  # the patient, when the payer answered for a dependent
    return VerifyResponse(**fields)


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else cents(value)


# --------------------------------------------------------------------------------------------------- app glue


def init_app(app: Flask, service: EligibilityService) -> None:
    app.extensions["insurance_verify.eligibility"] = service


def current_service() -> EligibilityService:
    return current_app.extensions["insurance_verify.eligibility"]
