"""The finding record, the type names and how serious each type is.

Severity is for ranking compliance findings, not for deciding what to redact (everything found is redacted):
- high: direct identifiers — any one of them names or reaches the person, or opens their records or money:
  name, SSN/ITIN, medical record, health-plan id, account (incl. card) numbers, phone, fax, email, street address,
  date of birth, license (incl. DEA) numbers.
- medium: identifying in combination or through a registry lookup: dates, ages over 89, ZIP codes, vehicle and
  device identifiers, IP addresses, URLs, other ids.
- low: city, facility and organization (Safe Harbor lists geographic subdivisions smaller than a state; a city, a
  hospital or an employer alone covers thousands of people, but they narrow down who a note is about).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Finding:
    """One identifier in the text: `text[start:end]` (Python str indices, code points) is of `type`. `rule` says
    what found it, for a reviewer: "cue:mrn" (the value after an MRN cue), "shape:phone" (a number of that shape,
    validated), "names:lists" (census name lists and capitalisation), "names:context" (cue words in any case),
    "place:type" (a facility type word), "place:ward", ... (see `_detect`)."""

    type: str
    start: int
    end: int
    score: float
    rule: str = ""


def tag(cands: list, since: int, rule: str) -> None:  # type: ignore[type-arg]
    """Give the candidates appended since `since` that have no rule yet this one (a 5th element)."""
    for i in range(since, len(cands)):
        if len(cands[i]) == 4:
            cands[i] = (*cands[i], rule)


# (type, description) in the order placeholders are documented; the names are stable API.
PHI_TYPES: tuple[tuple[str, str], ...] = (
    ("name", "a person's name: patient, relative, clinician (titles and credentials are left out of the span)"),
    ("street_address", "house number and street with its suffix (and unit), or a PO box"),
    ("city", "a city, town or county name given as a place (before a state, after 'lives in')"),
    ("facility", "a hospital, clinic, rehab or nursing home, or a named ward or unit, by name ('Holy Cross Hospital')"),
    ("organization", "an employer or insurer named after a cue ('works at', 'employed by', 'employer:')"),
    ("zip_code", "a 5- or 9-digit ZIP code after a state or a 'zip' cue"),
    ("date", "a calendar date with a day or a month (never a bare year)"),
    ("date_of_birth", "a date with a birth cue (DOB, born, birth date)"),
    ("age_over_89", "an age of 90 or more with an age cue ('92 yo', 'age 95'); the span is the number"),
    ("phone", "a telephone number that parses as valid (US default region)"),
    ("fax", "a telephone number with a 'fax' cue"),
    ("email", "an e-mail address"),
    ("ssn", "a US Social Security number or an ITIN (validated; known sample numbers scored low)"),
    ("medical_record", "a medical record number after an MRN / medical record / chart cue"),
    ("health_plan_id", "a health-plan member, subscriber or policy number, or a Medicare MBI"),
    ("account_number", "an account number after an account cue, or a payment card number (Luhn)"),
    ("license_number", "a licence or certificate number after a cue, incl. DEA numbers (check digit)"),
    ("vehicle_id", "a VIN (check digit) or a licence plate after a plate cue"),
    ("device_id", "a device serial number, UDI or IMEI after a cue, or a GS1 UDI"),
    ("url", "a web address"),
    ("ip_address", "an IPv4 (octets <= 255) or IPv6 address"),
    ("other_id", "another identifying number after an id cue (encounter, accession, claim, order, ID)"),
)
TYPE_NAMES = frozenset(name for name, _ in PHI_TYPES)

_HIGH = frozenset(
    {
        "name",
        "ssn",
        "medical_record",
        "health_plan_id",
        "account_number",
        "phone",
        "fax",
        "email",
        "street_address",
        "date_of_birth",
        "license_number",
    }
)
_LOW = frozenset({"city", "facility", "organization"})


def severity(phi_type: str) -> Severity:
    """'high', 'medium' or 'low' for a type name (see the module docstring for why); ValueError for unknown types."""
    if phi_type not in TYPE_NAMES:
        raise ValueError(f"unknown PHI type {phi_type!r}")
    if phi_type in _HIGH:
        return "high"
    return "low" if phi_type in _LOW else "medium"
