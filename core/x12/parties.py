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


# Individual relationship codes to the subscriber, as a 271 (INS02) and an 837P (PAT01) write them for a dependent.
RELATIONSHIPS = {
    "01": "spouse",
    "19": "child",
    "20": "employee",
    "21": "unknown",
    "39": "organ donor",
    "40": "cadaver donor",
    "53": "life partner",
    "G8": "other relationship",
}


@dataclass(frozen=True)
class Dependent(Subscriber):
    """A patient who is not the subscriber: a 271's dependent loop (2000D/2100D), an 837P's patient loop
    (2000C/2010CA). `relationship` is the code of RELATIONSHIPS (271 INS02, 837P PAT01)."""

    relationship: str = "21"


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
