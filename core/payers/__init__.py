"""Payers: their configuration and the adapters that carry eligibility questions to them."""

from core.payers.adapter import (
    EligibilityInquiry,
    EligibilityResult,
    Exchange,
    PayerAdapter,
    PayerError,
    PayerResponseError,
    PayerUnavailable,
    X12HttpAdapter,
    record_exchange,
)
from core.payers.config import PayerConfig, PayerConfigError, load_payers

__all__ = [
    "EligibilityInquiry",
    "EligibilityResult",
    "Exchange",
    "PayerAdapter",
    "PayerConfig",
    "PayerConfigError",
    "PayerError",
    "PayerResponseError",
    "PayerUnavailable",
    "X12HttpAdapter",
    "adapters_for",
    "load_payers",
    "record_exchange",
]


def adapters_for(payers: dict[str, PayerConfig]) -> dict[str, PayerAdapter]:
    """One adapter per configured payer. Every payer speaks X12 over HTTP today; others plug in here."""
    return {payer_id: X12HttpAdapter(config) for payer_id, config in payers.items()}
