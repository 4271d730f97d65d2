"""The parties X12 transactions name: the subscriber (271 → 837P), submitter and receiver, billing provider, payer.

They live apart from the transaction modules so that a writer does not import a reader to name a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Subscriber:
    """Demographics of the subscriber as the payer has them (271 NM1/N3/N4/DMG); the patient of an 837P."""

    first_name: str
    last_name: str
    birth_date: date | None = None
    gender: str = "U"
    address_line: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""


@dataclass(frozen=True)
class Party:
    """Submitter or receiver of an interchange (1000A/1000B). The submitter needs a contact phone (PER)."""

    name: str
    id: str
    contact_name: str = ""
    contact_phone: str = ""


@dataclass(frozen=True)
class BillingProvider:
    organization_name: str
    npi: str
    tax_id: str  # EIN, 9 digits
    address_line: str
    city: str
    state: str
    zip: str  # 9 digits in 2010AA (ZIP+4), with or without the dash


@dataclass(frozen=True)
class Payer:
    name: str
    payer_id: str


@dataclass(frozen=True)
class PayerContact:
    """What an 835 says about its payer beyond the name (1000A N3/N4/PER, TRN03)."""

    tax_id: str  # EIN, 9 digits
    address_line: str
    city: str
    state: str
    zip: str
    phone: str
