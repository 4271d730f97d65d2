"""The 837P professional claim we send, implementation guide 005010X222A1.

Why these rules: a clearinghouse rejects a whole 837 batch for errors that are cheap to catch before sending, so
`build_837p` refuses (ValueError) what the front end could get wrong: an NPI whose check digit fails, a diagnosis
pointer past the diagnosis list, more diagnoses than one HI can carry, a CPT/HCPCS code of the wrong shape, a place
of service not on the CMS list, a future service date, a replacement or void (frequency 7, 8) without the payer's
claim control number. Each line's charge is rounded to cents as SV102 writes it and CLM02 is the sum of those
written amounts, so the total always adds up for the payer.

Names and addresses are written in the X12 character set (`_text.x12_text`: MÜLLER → MULLER); one that is still
longer than its element is refused with `UnwritableText` naming the element, never written over-length.

The patient is the subscriber (SBR02 = 18, no 2000C) unless `patient` names a dependent: then 2000B says so (SBR02
blank, HL04 = 1) and the 2000C/2010CA patient loop follows the payer. A 271 answers in a dependent loop only for a
patient without a member id of their own, which is exactly when the guide wants 2000C.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from core.x12._common import (
    SegmentWriter,
    cents,
    check_npi,
    control_numbers,
    d8,
    format_amount,
    format_decimal,
    interchange,
    zip_code,
)
from core.x12._text import address_lines, text_element
from core.x12.parties import RELATIONSHIPS, BillingProvider, Dependent, Party, Payer, Subscriber

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
# REF02 (AN 1-50), e.g. the payer's claim control number: printable ASCII without our delimiters, no space at
# either end.
REFERENCE_ID = re.compile(r"^(?!.*[*:~^])[!-~](?:[ -~]{0,48}[!-~])?$")
FREQUENCIES = {"1": "original", "7": "replacement", "8": "void"}
# Free-text lengths of 005010X222A1: NM103 names, NM104 first names, N401 cities, PER02 contact names.
NAME_MAX, FIRST_NAME_MAX, CITY_MAX, CONTACT_MAX = 60, 35, 30, 60


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
    # 2300 REF*F8: the payer's number for the claim being replaced or voided (835 CLP07); only with frequency 7 or 8.
    payer_claim_control_number: str | None = None

    @property
    def total_charge(self) -> Decimal:
        """CLM02: the sum of the line charges as SV102 writes them (each rounded to cents first), so three lines
        of 10.005 total 30.03, not a rounded 30.015 = 30.02 the payer would find off by a cent."""
        return sum((cents(line.charge) for line in self.lines), Decimal(0))


def _validate_claim(claim: ProfessionalClaim, today: date) -> tuple[str, ...]:
    """Raise ValueError naming what is wrong (line and position numbers, never values); return diagnosis codes."""
    if not 1 <= len(claim.claim_id) <= 38:
        raise ValueError("claim_id must be 1 to 38 characters")
    if claim.place_of_service not in PLACE_OF_SERVICE_CODES:
        raise ValueError("place_of_service is not a CMS place of service code")
    _check_frequency(claim)
    codes = _diagnosis_codes(claim)
    if not 1 <= len(claim.lines) <= MAX_LINES:
        raise ValueError(f"a claim needs 1 to {MAX_LINES} service lines")
    for number, line in enumerate(claim.lines, start=1):
        _check_line(f"line {number}", line, len(codes), today)
    return codes


def _check_frequency(claim: ProfessionalClaim) -> None:
    """An original (1) carries no payer claim control number; a replacement (7) or void (8) must (REF*F8)."""
    if claim.frequency_code not in FREQUENCIES:
        raise ValueError("frequency_code must be 1, 7 or 8")
    control = claim.payer_claim_control_number
    if claim.frequency_code == "1" and control is not None:
        raise ValueError("payer_claim_control_number is only for a replacement or void (frequency_code 7 or 8)")
    if claim.frequency_code != "1" and control is None:
        raise ValueError("payer_claim_control_number is required with frequency_code 7 or 8 (2300 REF*F8)")
    if control is not None and not REFERENCE_ID.match(control):
        raise ValueError("payer_claim_control_number must be 1 to 50 printable ASCII characters without delimiters")


def _diagnosis_codes(claim: ProfessionalClaim) -> tuple[str, ...]:
    """The claim's ICD-10-CM codes as HI carries them (no dot, upper case): 1 to 12, each once."""
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
    return codes


def _check_line(where: str, line: ServiceLine, diagnoses: int, today: date) -> None:
    if not (_CPT.match(line.procedure_code) or _HCPCS.match(line.procedure_code)):
        raise ValueError(f"{where}: procedure code is not shaped like a CPT or HCPCS code")
    if len(line.modifiers) > 4 or not all(_MODIFIER.match(m) for m in line.modifiers):
        raise ValueError(f"{where}: at most 4 modifiers of 2 letters or digits")
    if cents(line.charge) <= 0:
        raise ValueError(f"{where}: charge must be positive (at least a cent)")
    if line.units <= 0:
        raise ValueError(f"{where}: units must be positive")
    pointers = line.diagnosis_pointers
    if not 1 <= len(pointers) <= MAX_POINTERS:
        raise ValueError(f"{where}: needs 1 to {MAX_POINTERS} diagnosis pointers")
    for pointer in pointers:
        if not 1 <= pointer <= diagnoses:
            raise ValueError(f"{where}: diagnosis pointer {pointer} points past the {diagnoses} diagnoses of the claim")
    if len(set(pointers)) != len(pointers):
        raise ValueError(f"{where}: a diagnosis pointer is repeated")
    if line.service_date > today:
        raise ValueError(f"{where}: service date is in the future")


def _check_person(person: Subscriber, who: str, *, full: bool) -> None:
    """The demographics 2010BA (patient = subscriber) or 2010CA needs; `full=False` for a subscriber who is not the
    patient, whose address and birth date the guide leaves to the sender (written when given)."""
    if not person.last_name:
        raise ValueError(f"{who} needs a last name")
    if full and (person.birth_date is None or not person.address_line or not person.city):
        raise ValueError(f"{who} needs a birth date (DMG), an address line and a city")
    if person.address_line and (not person.city or not _STATE.match(person.state)):
        raise ValueError(f"{who} needs a city and a 2-letter state with an address")
    if person.birth_date is not None and person.gender not in ("M", "F", "U"):
        raise ValueError(f"{who} gender must be M, F or U")


def _person(w: SegmentWriter, loop: str, who: str, person: Subscriber, entity: str, ids: tuple[str, ...]) -> None:
    """NM1 (person), then N3/N4 when there is an address and DMG when there is a birth date."""
    last = text_element(person.last_name, f"{loop} NM103", f"{who} last name", NAME_MAX)
    first = text_element(person.first_name, f"{loop} NM104", f"{who} first name", FIRST_NAME_MAX, required=False)
    w.add("NM1", entity, "1", last, first, "", "", "", *ids)
    if person.address_line:
        _address(w, loop, who, person.address_line, person.city, person.state, zip_code(person.zip, who))
    if person.birth_date is not None:
        w.add("DMG", "D8", d8(person.birth_date), person.gender)


def _address(w: SegmentWriter, loop: str, who: str, line: str, city: str, state: str, zip_digits: str) -> None:
    w.add("N3", *address_lines(line, loop, f"{who} address"))
    w.add("N4", text_element(city, f"{loop} N401", f"{who} city", CITY_MAX), state, zip_digits)


def _name(value: str, loop: str, who: str) -> str:
    return text_element(value, f"{loop} NM103", f"{who} name", NAME_MAX)


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
    patient: Dependent | None = None,
) -> str:
    """Write one professional claim as a whole interchange; the patient is the subscriber unless `patient` is given.

    Raises:
        ValueError: the claim or a party breaks an 837P rule; the message names the line or field, never a value.
            `UnwritableText` (a ValueError) when a name or address does not fit its element.
    """
    codes = _validate_claim(claim, now.date())
    check_npi(billing_provider.npi, "billing provider")
    if not TAX_ID.match(billing_provider.tax_id.replace("-", "")):
        raise ValueError("billing provider tax id must be 9 digits")
    if not submitter.contact_phone.isdigit() or len(submitter.contact_phone) != 10:
        raise ValueError("submitter needs a 10-digit contact phone (1000A PER)")
    if not _STATE.match(billing_provider.state):
        raise ValueError("billing provider state must be a 2-letter code")
    _check_person(subscriber, "subscriber", full=patient is None)
    if patient is not None:
        _check_person(patient, "patient", full=True)
        if patient.relationship not in RELATIONSHIPS:
            raise ValueError(f"patient relationship must be one of {', '.join(RELATIONSHIPS)} (2000C PAT01)")
    if not member_id:
        raise ValueError("member_id is required")

    _, _, st02 = control_numbers(control_number)
    w = SegmentWriter("837", VERSION_837P, st02)
    w.add("BHT", "0019", "00", str(control_number), d8(now.date()), now.strftime("%H%M"), "CH")
    # 1000A submitter, 1000B receiver
    w.add("NM1", "41", "2", _name(submitter.name, "1000A", "submitter"), "", "", "", "", "46", submitter.id)
    contact = text_element(submitter.contact_name or submitter.name, "1000A PER02", "submitter contact", CONTACT_MAX)
    w.add("PER", "IC", contact, "TE", submitter.contact_phone)
    w.add("NM1", "40", "2", _name(receiver.name, "1000B", "receiver"), "", "", "", "", "46", receiver.id)
    # 2000A / 2010AA billing provider
    w.add("HL", "1", "", "20", "1")
    provider_name = _name(billing_provider.organization_name, "2010AA", "billing provider")
    w.add("NM1", "85", "2", provider_name, "", "", "", "", "XX", billing_provider.npi)
    billing_zip = zip_code(billing_provider.zip, "billing provider", nine=True)
    provider = billing_provider
    _address(w, "2010AA", "billing provider", provider.address_line, provider.city, provider.state, billing_zip)
    w.add("REF", "EI", billing_provider.tax_id.replace("-", ""))
    # 2000B subscriber, 2010BA subscriber name, 2010BB payer. SBR02 18 = the subscriber is the patient; blank when
    # the 2000C patient loop follows (HL04 = 1: this HL has a child).
    w.add("HL", "2", "1", "22", "0" if patient is None else "1")
    w.add("SBR", "P", "18" if patient is None else "", "", "", "", "", "", "", claim.claim_filing_indicator)
    _person(w, "2010BA", "subscriber", subscriber, "IL", ("MI", member_id))
    w.add("NM1", "PR", "2", _name(payer.name, "2010BB", "payer"), "", "", "", "", "PI", payer.payer_id)
    if patient is not None:
        # 2000C patient, 2010CA patient name (no id: a patient with a member id of their own is a subscriber)
        w.add("HL", "3", "2", "23", "0")
        w.add("PAT", patient.relationship)
        _person(w, "2010CA", "patient", patient, "QC", ())
    # 2300 claim: CLM, then the REFs (F8 for a replacement or void), then HI
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
    if claim.payer_claim_control_number is not None:
        w.add("REF", "F8", claim.payer_claim_control_number)
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
