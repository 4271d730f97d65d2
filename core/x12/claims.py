"""Claims: the 837P professional claim we send (005010X222A1) and the 835 remittance we get back (005010X221A1).

Why these rules: a clearinghouse rejects a whole 837 batch for errors that are cheap to catch before sending, so
`build_837p` refuses (ValueError) what the front end could get wrong: an NPI whose check digit fails, a diagnosis
pointer past the diagnosis list, more diagnoses than one HI can carry, a CPT/HCPCS code of the wrong shape, a place
of service not on the CMS list, a future service date. The total (CLM02) is always the sum of the lines.

The subscriber is the patient (SBR02 = 18), so there is no patient loop (2000C); a dependent needs a different claim
shape that we do not write yet.

Reading an 835: CLP opens a claim, SVC a service line inside it. CAS segments before the first SVC are claim-level
adjustments, after an SVC they belong to that line. One CAS carries a group (CO contractual, PR patient, OA other,
PI payer-initiated) and up to six reason/amount/quantity triplets. Patient responsibility by kind is the sum of PR
reasons 1 (deductible), 2 (coinsurance) and 3 (copay) at both levels; CO-45 is the contractual write-off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from core.x12._common import (
    SegmentWriter,
    cents,
    control_numbers,
    d8,
    format_amount,
    format_decimal,
    interchange,
    npi_is_valid,
    parse_error,
    read_amount,
    read_date,
)
from core.x12.eligibility import Subscriber
from core.x12.reader import Segment, Transaction, X12ParseError, parse

VERSION_837P = "005010X222A1"
VERSION_835 = "005010X221A1"
MAX_DIAGNOSES = 12  # one HI segment; more needs a second HI, which we do not write
MAX_POINTERS = 4  # SV107 has four components
MAX_LINES = 50  # loop 2400 repeat limit

# CMS place of service codes (https://www.cms.gov/medicare/coding-billing/place-of-service-codes/code-sets).
PLACE_OF_SERVICE_CODES = frozenset(
    "01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 31 32 33 34 41 42 49 50 51 "
    "52 53 54 55 56 57 58 60 61 62 65 66 71 72 81 99".split()
)
# CLP02 claim status codes.
CLAIM_STATUS = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to additional payer(s)",
    "20": "processed as secondary, forwarded to additional payer(s)",
    "21": "processed as tertiary, forwarded to additional payer(s)",
    "22": "reversal of previous payment",
    "23": "not our claim, forwarded to additional payer(s)",
    "25": "predetermination pricing only - no payment",
}

_CPT = re.compile(r"^\d{4}[0-9AFMTU]$")  # format only: CPT descriptions are AMA-licensed
_HCPCS = re.compile(r"^[A-V]\d{4}$")
_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
_ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")
_ZIP = re.compile(r"^\d{5}(\d{4})?$")
_STATE = re.compile(r"^[A-Z]{2}$")
_TAX_ID = re.compile(r"^\d{9}$")


# ---------------------------------------------------------------------------------------------------------------------
# 837P


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


def _check_npi(npi: str, what: str) -> None:
    if not npi_is_valid(npi):
        raise ValueError(f"{what} NPI is not 10 digits with a valid check digit")


def _zip(value: str, what: str, *, nine: bool = False) -> str:
    digits = value.replace("-", "")
    if not _ZIP.match(digits) or (nine and len(digits) != 9):
        raise ValueError(f"{what} ZIP code must be {'9' if nine else '5 or 9'} digits")
    return digits


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
    _check_npi(billing_provider.npi, "billing provider")
    if not _TAX_ID.match(billing_provider.tax_id.replace("-", "")):
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
    billing_zip = _zip(billing_provider.zip, "billing provider", nine=True)
    w.add("N4", billing_provider.city, billing_provider.state, billing_zip)
    w.add("REF", "EI", billing_provider.tax_id.replace("-", ""))
    # 2000B subscriber (the patient), 2010BA subscriber name, 2010BB payer
    w.add("HL", "2", "1", "22", "0")
    w.add("SBR", "P", "18", "", "", "", "", "", "", claim.claim_filing_indicator)
    w.add("NM1", "IL", "1", subscriber.last_name, subscriber.first_name, "", "", "", "MI", member_id)
    w.add("N3", subscriber.address_line)
    w.add("N4", subscriber.city, subscriber.state, _zip(subscriber.zip, "subscriber"))
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


# ---------------------------------------------------------------------------------------------------------------------
# 835


@dataclass(frozen=True)
class Adjustment:
    """One reason/amount/quantity triplet of a CAS segment, with the CAS group code."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True)
class ServicePayment:
    procedure_code: str
    billed: Decimal
    paid: Decimal
    units: Decimal
    adjustments: tuple[Adjustment, ...] = ()
    modifiers: tuple[str, ...] = ()
    service_date: date | None = None


def _sum(adjustments: tuple[Adjustment, ...], group: str, reason: str) -> Decimal:
    return sum((a.amount for a in adjustments if a.group == group and a.reason == reason), Decimal(0))


@dataclass(frozen=True)
class ClaimPayment:
    claim_id: str
    status_code: str
    billed: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_number: str
    adjustments: tuple[Adjustment, ...] = ()
    lines: tuple[ServicePayment, ...] = ()
    patient_last_name: str | None = None
    patient_first_name: str | None = None
    patient_member_id: str | None = None

    @property
    def all_adjustments(self) -> tuple[Adjustment, ...]:
        """Claim-level then line-level adjustments."""
        return self.adjustments + tuple(a for line in self.lines for a in line.adjustments)

    @property
    def deductible(self) -> Decimal:
        return _sum(self.all_adjustments, "PR", "1")

    @property
    def coinsurance(self) -> Decimal:
        return _sum(self.all_adjustments, "PR", "2")

    @property
    def copay(self) -> Decimal:
        return _sum(self.all_adjustments, "PR", "3")

    @property
    def contractual(self) -> Decimal:
        return _sum(self.all_adjustments, "CO", "45")

    @property
    def status(self) -> str:
        return CLAIM_STATUS.get(self.status_code, "unknown")

    @property
    def is_denied(self) -> bool:
        return self.status_code == "4"

    @property
    def is_reversal(self) -> bool:
        return self.status_code == "22"


@dataclass(frozen=True)
class Remittance:
    payer_name: str
    payee_npi: str | None
    check_number: str
    payment_date: date | None
    total_paid: Decimal
    claims: list[ClaimPayment]
    payee_name: str | None = None
    provider_adjustments: Decimal = Decimal(0)  # sum of PLB amounts (positive reduces the payment)


@dataclass(frozen=True)
class PayerContact:
    """What an 835 says about its payer beyond the name (1000A N3/N4/PER, TRN03)."""

    tax_id: str  # EIN, 9 digits
    address_line: str
    city: str
    state: str
    zip: str
    phone: str


def read_835(text: str) -> Remittance:
    """Read the first 835 transaction set in `text`.

    Raises:
        X12ParseError: not well-formed X12, no 835, a required segment missing, or a bad amount or date.
    """
    for ich in parse(text):
        for _, transaction in ich.transactions("835"):
            return _remittance(transaction)
    raise X12ParseError("segment 1: the input holds no 835 transaction set", position=1)


def _required(seg: Segment, n: int) -> Decimal:
    value = read_amount(seg, n)
    if value is None:
        raise parse_error(seg, f"{seg.tag}{n:02d} is required")
    return value


def _money(seg: Segment, n: int) -> Decimal:
    return cents(_required(seg, n))


def _cas(seg: Segment) -> list[Adjustment]:
    group = seg.get(1)
    if group not in ("CO", "CR", "OA", "PI", "PR"):
        raise parse_error(seg, "CAS01 must be CO, CR, OA, PI or PR")
    out = []
    for first in range(2, 20, 3):
        reason = seg.get(first)
        if not reason:
            continue
        out.append(Adjustment(group, reason, _money(seg, first + 1), read_amount(seg, first + 2)))
    if not out:
        raise parse_error(seg, "CAS has no adjustment reason")
    return out


@dataclass
class _ClaimBuilder:
    clp: Segment
    adjustments: list[Adjustment]
    lines: list[ServicePayment]
    name: Segment | None = None
    svc: Segment | None = None
    svc_adjustments: list[Adjustment] | None = None
    svc_date: date | None = None

    def close_line(self) -> None:
        if self.svc is None:
            return
        svc = self.svc
        procedure = svc.components(1)
        units = read_amount(svc, 5)
        self.lines.append(
            ServicePayment(
                procedure_code=procedure[1] if len(procedure) > 1 else "",
                modifiers=tuple(m for m in procedure[2:6] if m),
                billed=_money(svc, 2),
                paid=_money(svc, 3),
                units=units if units is not None else Decimal(1),  # SVC05 is left out when it is 1
                adjustments=tuple(self.svc_adjustments or ()),
                service_date=self.svc_date,
            )
        )
        self.svc, self.svc_adjustments, self.svc_date = None, None, None

    def build(self) -> ClaimPayment:
        self.close_line()
        clp = self.clp
        name = self.name
        return ClaimPayment(
            claim_id=clp.get(1),
            status_code=clp.get(2),
            billed=_money(clp, 3),
            paid=_money(clp, 4),
            patient_responsibility=cents(read_amount(clp, 5) or Decimal(0)),
            payer_claim_number=clp.get(7),
            adjustments=tuple(self.adjustments),
            lines=tuple(self.lines),
            patient_last_name=(name.get(3) or None) if name is not None else None,
            patient_first_name=(name.get(4) or None) if name is not None else None,
            patient_member_id=(name.get(9) or None) if name is not None else None,
        )


def _remittance(transaction: Transaction) -> Remittance:
    bpr = trn = payer = payee = None
    claims: list[ClaimPayment] = []
    current: _ClaimBuilder | None = None
    plb_total = Decimal(0)
    for seg in transaction.segments:
        tag = seg.tag
        if tag == "BPR" and bpr is None:
            bpr = seg
        elif tag == "TRN" and trn is None:
            trn = seg
        elif tag == "N1" and seg.get(1) == "PR" and payer is None:
            payer = seg
        elif tag == "N1" and seg.get(1) == "PE" and payee is None:
            payee = seg
        elif tag == "CLP":
            if current is not None:
                claims.append(current.build())
            current = _ClaimBuilder(seg, [], [])
        elif tag in ("LX", "PLB"):
            if current is not None:
                claims.append(current.build())
                current = None
            if tag == "PLB":
                for first in range(4, 15, 2):
                    if seg.get(first - 1):
                        plb_total += _money(seg, first)
        elif tag in ("SVC", "CAS") and current is None:
            raise parse_error(seg, f"{tag} outside a claim (no CLP before it)")
        elif current is not None:
            if tag == "SVC":
                current.close_line()
                current.svc, current.svc_adjustments = seg, []
            elif tag == "CAS":
                if current.svc_adjustments is not None:
                    current.svc_adjustments.extend(_cas(seg))
                else:
                    current.adjustments.extend(_cas(seg))
            elif tag == "NM1" and seg.get(1) == "QC" and current.name is None:
                current.name = seg
            elif tag == "DTM" and current.svc is not None and seg.get(1) in ("472", "150"):
                current.svc_date = current.svc_date or read_date(seg, 2)
    if current is not None:
        claims.append(current.build())
    if bpr is None:
        raise _missing(transaction, "BPR")
    if payer is None:
        raise _missing(transaction, "N1*PR (1000A)")
    return Remittance(
        payer_name=payer.get(2),
        payee_name=payee.get(2) or None if payee is not None else None,
        payee_npi=payee.get(4) if payee is not None and payee.get(3) == "XX" and payee.get(4) else None,
        check_number=trn.get(2) if trn is not None else "",
        payment_date=read_date(bpr, 16) if bpr.get(16) else None,
        total_paid=_money(bpr, 2),
        claims=claims,
        provider_adjustments=plb_total,
    )


def _missing(transaction: Transaction, what: str) -> X12ParseError:
    st = transaction.st
    return X12ParseError(f"{st.label}: transaction set 835 has no {what}", position=st.position, tag=st.tag)


def build_835(
    remittance: Remittance,
    *,
    payer: PayerContact,
    sender_id: str,
    receiver_id: str,
    control_number: int,
    now: datetime,
    usage_indicator: str = "P",
) -> str:
    """Write an 835 paying `remittance.claims` by check (or a notice without payment when the total is 0).

    The payee needs a name and an NPI; every claim needs the patient's last name and member id (NM1*QC).
    """
    if not remittance.payee_name or not remittance.payee_npi:
        raise ValueError("the payee needs a name and an NPI (1000B N1*PE)")
    _check_npi(remittance.payee_npi, "payee")
    if not _TAX_ID.match(payer.tax_id):
        raise ValueError("payer tax id must be 9 digits")
    if remittance.payment_date is None:
        raise ValueError("payment_date is required (BPR16)")
    _, _, st02 = control_numbers(control_number)
    w = SegmentWriter("835", VERSION_835, st02, st03=False)
    total = format_amount(remittance.total_paid)
    if remittance.total_paid == 0:
        w.add("BPR", "H", total, "C", "NON", *([""] * 11), d8(remittance.payment_date))
    else:
        w.add("BPR", "I", total, "C", "CHK", *([""] * 11), d8(remittance.payment_date))
    w.add("TRN", "1", remittance.check_number, "1" + payer.tax_id)
    w.add("DTM", "405", d8(now.date()))
    w.add("N1", "PR", remittance.payer_name)
    w.add("N3", payer.address_line)
    w.add("N4", payer.city, payer.state, _zip(payer.zip, "payer"))
    w.add("PER", "BL", "PROVIDER SERVICES", "TE", payer.phone)
    w.add("N1", "PE", remittance.payee_name, "XX", remittance.payee_npi)
    if remittance.claims:
        w.add("LX", "1")
    for number, claim in enumerate(remittance.claims, start=1):
        if not claim.patient_last_name or not claim.patient_member_id:
            raise ValueError(f"claim {number}: the patient's last name and member id are required (NM1*QC)")
        w.add(
            "CLP",
            claim.claim_id,
            claim.status_code,
            format_amount(claim.billed),
            format_amount(claim.paid),
            format_amount(claim.patient_responsibility) if claim.patient_responsibility else "",
            "12",
            claim.payer_claim_number,
        )
        _add_cas(w, claim.adjustments)
        w.add(
            "NM1",
            "QC",
            "1",
            claim.patient_last_name,
            claim.patient_first_name or "",
            "",
            "",
            "",
            "MI",
            claim.patient_member_id,
        )
        for line in claim.lines:
            w.add(
                "SVC",
                ("HC", line.procedure_code, *line.modifiers),
                format_amount(line.billed),
                format_amount(line.paid),
                "",
                format_decimal(line.units) if line.units != 1 else "",
            )
            if line.service_date is not None:
                w.add("DTM", "472", d8(line.service_date))
            _add_cas(w, line.adjustments)
    return interchange(
        w,
        sender_id=sender_id,
        receiver_id=receiver_id,
        control_number=control_number,
        now=now,
        usage_indicator=usage_indicator,
    )


def _add_cas(w: SegmentWriter, adjustments: tuple[Adjustment, ...]) -> None:
    """One CAS per group, six triplets at most each, in the order the groups first appear."""
    groups: dict[str, list[Adjustment]] = {}
    for adjustment in adjustments:
        groups.setdefault(adjustment.group, []).append(adjustment)
    for group, items in groups.items():
        for start in range(0, len(items), 6):
            elements: list[str] = []
            for a in items[start : start + 6]:
                quantity = format_decimal(a.quantity) if a.quantity is not None else ""
                elements.extend((a.reason, format_amount(a.amount), quantity))
            w.add("CAS", group, *elements)
