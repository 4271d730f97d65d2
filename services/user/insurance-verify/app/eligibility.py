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
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from psycopg2.extras import Json

from core.cache import Cache
from core.claims.money import cents
from core.db import Database
from core.payers.adapter import EligibilityInquiry, PayerAdapter, PayerError, PayerUnavailable, record_exchange
from core.payers.config import PayerConfig
from core.x12 import Coverage, Subscriber

log = logging.getLogger(__name__)

# AAA03 reject reasons a front desk can act on (X12 005010X279A1, 2100C/2100A AAA).
REJECT_REASONS = {
    "15": "required application data missing",
    "41": "authorization or access restrictions",
    "42": "payer unable to respond now",
    "43": "invalid or missing provider identification",
    "51": "provider not on file",
    "57": "invalid or missing date of service",
    "58": "invalid or missing date of birth",
    "72": "invalid or missing member id",
    "73": "invalid or missing subscriber name",
    "75": "subscriber not found",
    "76": "duplicate subscriber id",
    "79": "invalid participant identification",
}
REJECTION_TTL_SECONDS = 300


def _seconds(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw and raw.isdigit() else default


@dataclass(frozen=True)
class EligibilityAnswer:
    coverage: Coverage
    source: str  # payer | cache | stale
    verified_at: datetime
    exchange_id: str | None = None


# --------------------------------------------------------------------------------------------------- records


def coverage_record(coverage: Coverage) -> dict[str, Any]:
    """A Coverage as plain JSON (Decimal as string, dates ISO) for Redis and the jsonb column; lossless."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, tuple):
            return list(value)
        return value

    record = {f.name: plain(getattr(coverage, f.name)) for f in dataclasses.fields(coverage)}
    if coverage.subscriber is not None:
        record["subscriber"] = {k: plain(v) for k, v in dataclasses.asdict(coverage.subscriber).items()}
    return record


def coverage_from_record(record: dict[str, Any]) -> Coverage:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Coverage):
        raw = record.get(f.name)
        if raw is None:
            continue  # the dataclass default
        if f.name in ("effective_date", "termination_date"):
            values[f.name] = date.fromisoformat(raw)
        elif f.name == "authorization_required_codes":
            values[f.name] = tuple(raw)
        elif f.name == "subscriber":
            birth = raw.get("birth_date")
            values[f.name] = Subscriber(**{**raw, "birth_date": date.fromisoformat(birth) if birth else None})
        elif f.name in (
            "eligibility_status",
            "member_id",
            "payer_id",
            "plan_name",
            "reject_reason_code",
            "trace_number",
        ):
            values[f.name] = raw
        else:
            values[f.name] = Decimal(raw)
    return Coverage(**values)


# --------------------------------------------------------------------------------------------------- service


class EligibilityService:
    def __init__(self, db: Database, cache: Cache, adapters: dict[str, PayerAdapter]) -> None:
        self.db = db
        self.cache = cache
        self.adapters = adapters
        self.stale_max_age = timedelta(seconds=_seconds("ELIGIBILITY_STALE_MAX_AGE_SECONDS", 72 * 3600))

    def ttl(self, payer: PayerConfig, coverage: Coverage) -> int:
        ttl = _seconds("ELIGIBILITY_CACHE_TTL_SECONDS", payer.cache_ttl_seconds)
        return min(ttl, REJECTION_TTL_SECONDS) if coverage.eligibility_status == "rejected" else ttl

    @staticmethod
    def cache_key(payer_id: str, member_id: str, provider_npi: str) -> str:
        # Hashed: member ids are PHI and Redis keys show up in monitoring tools.
        digest = hashlib.sha256(f"{payer_id}\x1f{member_id}\x1f{provider_npi}".encode()).hexdigest()
        return f"eligibility:{digest}"

    def answer(self, payer_id: str, inquiry: EligibilityInquiry) -> EligibilityAnswer:
        adapter = self.adapters[payer_id]
        key = self.cache_key(payer_id, inquiry.member_id, inquiry.provider_npi)
        cached = self.cache.get(key)
        if cached is not None:
            coverage = coverage_from_record(cached["coverage"])
            if _covers(coverage, inquiry.service_date):
                return EligibilityAnswer(coverage, "cache", datetime.fromisoformat(cached["verified_at"]))
        try:
            result = adapter.eligibility(inquiry)
        except PayerError as exc:
            failed = exc.exchange
            exchange_id = self.db.run(lambda cur: record_exchange(cur, failed))
            log.warning("payer %s failed (%s); exchange %s", payer_id, type(exc).__name__, exchange_id)
            if isinstance(exc, PayerUnavailable):
                stale = self._stale(payer_id, inquiry)
                if stale is not None:
                    return dataclasses.replace(stale, exchange_id=exchange_id)
            raise
        verified_at = datetime.now(UTC)
        record = coverage_record(result.coverage)

        def store(cur) -> str:  # type: ignore[no-untyped-def]
            exchange_id = record_exchange(cur, result.exchange)
            cur.execute(
                """
                INSERT INTO insurance_eligibility (payer_id, member_id, provider_id, eligibility_data, effective_date,
                                                   expiry_date, created_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (payer_id, member_id, provider_id) DO UPDATE
                SET eligibility_data = EXCLUDED.eligibility_data, effective_date = EXCLUDED.effective_date,
                    expiry_date = EXCLUDED.expiry_date, created_at = EXCLUDED.created_at
                """,
                (
                    payer_id,
                    inquiry.member_id,
                    inquiry.provider_npi,
                    Json(record),
                    verified_at,
                    verified_at + self.stale_max_age,
                    verified_at,
                ),
            )
            return exchange_id

        exchange_id = self.db.run(store)
        self.cache.set(
            key, {"coverage": record, "verified_at": verified_at.isoformat()}, self.ttl(adapter.config, result.coverage)
        )
        return EligibilityAnswer(result.coverage, "payer", verified_at, exchange_id)

    def _stale(self, payer_id: str, inquiry: EligibilityInquiry) -> EligibilityAnswer | None:
        row = self.db.fetchone(
            """
            SELECT eligibility_data, effective_date FROM insurance_eligibility
            WHERE payer_id = %s AND member_id = %s AND provider_id = %s AND effective_date > %s
            """,
            (payer_id, inquiry.member_id, inquiry.provider_npi, datetime.now(UTC) - self.stale_max_age),
        )
        if row is None:
            return None
        return EligibilityAnswer(coverage_from_record(row["eligibility_data"]), "stale", row["effective_date"])


def _covers(coverage: Coverage, service_date: date) -> bool:
    """A cached answer serves only service dates inside the plan period it reported."""
    if coverage.effective_date and service_date < coverage.effective_date:
        return False
    return not (coverage.termination_date and service_date > coverage.termination_date)


# --------------------------------------------------------------------------------------------------- response


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else cents(value)


def verify_response(
    *,
    member_id: str,
    provider_id: str,
    service_codes: list[str],
    service_date: date,
    payer: PayerConfig,
    answer: EligibilityAnswer,
) -> dict[str, Any]:
    """The seed's response fields from the real 271, with the new fields beside them."""
    coverage = answer.coverage
    requested = list(dict.fromkeys(service_codes))
    flagged = set(coverage.authorization_required_codes) | payer.prior_auth_codes
    auth_codes = sorted(code for code in requested if code in flagged)
    active = coverage.eligibility_status == "active"
    body: dict[str, Any] = {
        "member_id": member_id,
        "provider_id": provider_id,
        "verification_date": answer.verified_at.isoformat(),
        "eligibility_status": coverage.eligibility_status,
        "coverage_details": {
            "deductible_remaining": _money(coverage.deductible_remaining),
            "copay_amount": _money(coverage.copay_amount),
            "out_of_pocket_max": _money(coverage.out_of_pocket_max),
            "covered_services": requested if active else [],
            "deductible": _money(coverage.deductible),
            "family_deductible_remaining": _money(coverage.family_deductible_remaining),
        },
        "authorization_required": bool(auth_codes),
        "effective_date": coverage.effective_date,
        "termination_date": coverage.termination_date,
        "coinsurance_rate": coverage.coinsurance_rate,
        "out_of_pocket_remaining": _money(coverage.out_of_pocket_remaining),
        "authorization_required_codes": auth_codes,
        "payer_id": payer.payer_id,
        "source": answer.source,
        "plan_name": coverage.plan_name,
        "service_date": service_date,
    }
    if coverage.eligibility_status == "rejected":
        body["reject_reason_code"] = coverage.reject_reason_code
        body["reject_reason"] = REJECT_REASONS.get(coverage.reject_reason_code or "", "rejected by the payer")
    if coverage.subscriber is not None:
        body["subscriber"] = coverage_record(coverage)["subscriber"]
    return body
