"""The 837P professional claim we send, implementation guide 005010X222A1.

Why these rules: a clearinghouse rejects a whole 837 batch for errors that are cheap to catch before sending, so
`build_837p` refuses (ValueError) what the front end could get wrong: an NPI whose check digit fails, a diagnosis
pointer past the diagnosis list, more diagnoses than one HI can carry, a CPT/HCPCS code of the wrong shape, a place
of service not on the CMS list, a future service date. The total (CLM02) is always the sum of the lines.

The subscriber is the patient (SBR02 = 18), so there is no patient loop (2000C); a dependent needs a different claim
shape that we do not write yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from core.x12._common import (
    SegmentWriter,
    check_npi,
    control_numbers,
    d8,
    format_amount,
    format_decimal,
    interchange,
    zip_code,
)
from core.x12.parties import BillingProvider, Party, Payer, Subscriber

VERSION_837P = "005010X222A1"
MAX_DIAGNOSES = 12  # one HI segment; more needs a second HI, which we do not write
MAX_POINTERS = 4  # SV107 has four components
MAX_LINES = 50  # loop 2400 repeat limit

# CMS place of service codes (https://www.cms.gov/medicare/coding-billing/place-of-service-codes/code-sets).
PLACE_OF_SERVICE_CODES = frozenset(
    "01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 31 32 33 34 41 42 49 50 51 "
    "52 53 54 55 56 57 58 60 61 62 65 66 71 72 81 99".split()
)

_CPT = re.compile(r"^\d{4}[0-9AFMTU]$")  # format only: CPT descriptions are AMA-licensed
_HCPCS = re.compile(r"^[A-V]\d{4}$")
_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
_ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")
_STATE = re.compile(r"^[A-Z]{2}$")
TAX_ID = re.compile(r"^\d{9}$")


@dataclass(frozen=True)
class ServiceLine:
    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: Decimal
    diagnosis_pointers: tuple[int, ...]  # 1-based positions in ProfessionalClaim.diagnosis_codes
    service_date: date


@dataclass(frozen=True)
class ProfessionalClaim:
    claim_id: str  # CLM01, our patient account number; comes back as CLP01
    place_of_service: str
    diagnosis_codes: tuple[str, ...]  # ICD-10-CM without the dot; the first is the principal diagnosis
    lines: tuple[ServiceLine, ...]
    frequency_code: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void
    claim_filing_indicator: str = "CI"  # SBR09: CI commercial, MB Medicare B, MC Medicaid, BL Blue Cross, …

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal(0))


def _validate_claim(claim: ProfessionalClaim, today: date) -> tuple[str, ...]:
    """Raise ValueError naming what is wrong (line and position numbers, never values); return diagnosis codes."""
    if not 1 <= len(claim.claim_id) <= 38:
        raise ValueError("claim_id must be 1 to 38 characters")
    if claim.place_of_service not in PLACE_OF_SERVICE_CODES:
        raise ValueError("place_of_service is not a CMS place of service code")
    if claim.frequency_code not in ("1", "7", "8"):
        raise ValueError("frequency_code must be 1, 7 or 8")
    if not claim.diagnosis_codes:
        raise ValueError("a claim needs at least one diagnosis")
    if len(claim.diagnosis_codes) > MAX_DIAGNOSES:
        raise ValueError(f"a claim carries at most {MAX_DIAGNOSES} diagnoses, got {len(claim.diagnosis_codes)}")
    codes = tuple(code.replace(".", "").upper() for code in claim.diagnosis_codes)
    for number, code in enumerate(codes, start=1):
        if not _ICD10CM.match(code):
            raise ValueError(f"diagnosis {number} is not shaped like an ICD-10-CM code")
    if len(set(codes)) != len(codes):
        raise ValueError("a diagnosis code is listed twice")
    if not 1 <= len(claim.lines) <= MAX_LINES:
        raise ValueError(f"a claim needs 1 to {MAX_LINES} service lines")
    for number, line in enumerate(claim.lines, start=1):
        if not (_CPT.match(line.procedure_code) or _HCPCS.match(line.procedure_code)):
            raise ValueError(f"line {number}: procedure code is not shaped like a CPT or HCPCS code")
        if len(line.modifiers) > 4 or not all(_MODIFIER.match(m) for m in line.modifiers):
            raise ValueError(f"line {number}: at most 4 modifiers of 2 letters or digits")
        if line.charge <= 0:
            raise ValueError(f"line {number}: charge must be positive")
        if line.units <= 0:
            raise ValueError(f"line {number}: units must be positive")
        if not 1 <= len(line.diagnosis_pointers) <= MAX_POINTERS:
            raise ValueError(f"line {number}: needs 1 to {MAX_POINTERS} diagnosis pointers")
        for pointer in line.diagnosis_pointers:
            if not 1 <= pointer <= len(codes):
                raise ValueError(
                    f"line {number}: diagnosis pointer {pointer} points past the {len(codes)} diagnoses of the claim"
                )
        if len(set(line.diagnosis_pointers)) != len(line.diagnosis_pointers):
            raise ValueError(f"line {number}: a diagnosis pointer is repeated")
        if line.service_date > today:
            raise ValueError(f"line {number}: service date is in the future")
    return codes


def build_837p(
    claim: ProfessionalClaim,
    *,
    submitter: Party,
    receiver: Party,
    billing_provider: BillingProvider,
    subscriber: Subscriber,
    member_id: str,
    payer: Payer,
    control_number: int,
    now: datetime,
    usage_indicator: str = "P",
) -> str:
    """Write one professional claim, subscriber = patient, as a whole interchange.

    Raises:
        ValueError: the claim or a party breaks an 837P rule; the message names the line or field, never a value.
    """
    codes = _validate_claim(claim, now.date())
    check_npi(billing_provider.npi, "billing provider")
    if not TAX_ID.match(billing_provider.tax_id.replace("-", "")):
        raise ValueError("billing provider tax id must be 9 digits")
    if not submitter.contact_phone.isdigit() or len(submitter.contact_phone) != 10:
        raise ValueError("submitter needs a 10-digit contact phone (1000A PER)")
    for what, state in (("billing provider", billing_provider.state), ("subscriber", subscriber.state)):
        if not _STATE.match(state):
            raise ValueError(f"{what} state must be a 2-letter code")
    if subscriber.birth_date is None:
        raise ValueError("subscriber birth date is required (2010BA DMG)")
    if subscriber.gender not in ("M", "F", "U"):
        raise ValueError("subscriber gender must be M, F or U")
    if not subscriber.last_name or not subscriber.address_line or not subscriber.city:
        raise ValueError("subscriber needs a last name, an address line and a city")
    if not member_id:
        raise ValueError("member_id is required")

    _, _, st02 = control_numbers(control_number)
    w = SegmentWriter("837", VERSION_837P, st02)
    w.add("BHT", "0019", "00", str(control_number), d8(now.date()), now.strftime("%H%M"), "CH")
    # 1000A submitter, 1000B receiver
    w.add("NM1", "41", "2", submitter.name, "", "", "", "", "46", submitter.id)
    w.add("PER", "IC", submitter.contact_name or submitter.name, "TE", submitter.contact_phone)
    w.add("NM1", "40", "2", receiver.name, "", "", "", "", "46", receiver.id)
    # 2000A / 2010AA billing provider
    w.add("HL", "1", "", "20", "1")
    w.add("NM1", "85", "2", billing_provider.organization_name, "", "", "", "", "XX", billing_provider.npi)
    w.add("N3", billing_provider.address_line)
    billing_zip = zip_code(billing_provider.zip, "billing provider", nine=True)
    w.add("N4", billing_provider.city, billing_provider.state, billing_zip)
    w.add("REF", "EI", billing_provider.tax_id.replace("-", ""))
    # 2000B subscriber (the patient), 2010BA subscriber name, 2010BB payer
    w.add("HL", "2", "1", "22", "0")
    w.add("SBR", "P", "18", "", "", "", "", "", "", claim.claim_filing_indicator)
    w.add("NM1", "IL", "1", subscriber.last_name, subscriber.first_name, "", "", "", "MI", member_id)
    w.add("N3", subscriber.address_line)
    w.add("N4", subscriber.city, subscriber.state, zip_code(subscriber.zip, "subscriber"))
    w.add("DMG", "D8", d8(subscriber.birth_date), subscriber.gender)
    w.add("NM1", "PR", "2", payer.name, "", "", "", "", "PI", payer.payer_id)
    # 2300 claim
    w.add(
        "CLM",
        claim.claim_id,
        format_amount(claim.total_charge),
        "",
        "",
        (claim.place_of_service, "B", claim.frequency_code),
        "Y",
        "A",
        "Y",
        "Y",
    )
    w.add("HI", *((("ABK" if n == 0 else "ABF"), code) for n, code in enumerate(codes)))
    # 2400 service lines
    for number, line in enumerate(claim.lines, start=1):
        w.add("LX", str(number))
        w.add(
            "SV1",
            ("HC", line.procedure_code, *line.modifiers),
            format_amount(line.charge),
            "UN",
            format_decimal(line.units),
            "",
            "",
            tuple(str(p) for p in line.diagnosis_pointers),
        )
        w.add("DTP", "472", "D8", d8(line.service_date))
    return interchange(
        w,
        sender_id=submitter.id,
        receiver_id=receiver.id,
        control_number=control_number,
        now=now,
        usage_indicator=usage_indicator,
    )
