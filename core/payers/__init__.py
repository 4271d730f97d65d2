"""Payers: their configuration and the adapters that carry eligibility questions to them."""

from collections.abc import Mapping

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
from core.payers.config import PayerConfig, PayerConfigError, UnknownPayer, load_payers, require_payer

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
    "UnknownPayer",
    "X12HttpAdapter",
    "adapters_for",
    "load_payers",
    "record_exchange",
    "require_payer",
]


def adapters_for(
    payers: Mapping[str, PayerConfig], environ: Mapping[str, str], verify: str | bool = True
) -> dict[str, PayerAdapter]:
    """One adapter per configured payer, reading the variables its file names from `environ` (Settings.environ);
    `verify` is what its HTTPS trusts (core.tls.trust). Every payer speaks X12 over HTTP today; others plug in
    here."""
    return {payer_id: X12HttpAdapter(config, environ=environ, verify=verify) for payer_id, config in payers.items()}
