"""The 835 remittance advice, implementation guide 005010X221A1: read from payers, written by the payer sandbox.

Reading an 835: CLP opens a claim, SVC a service line inside it. CAS segments before the first SVC are claim-level
adjustments, after an SVC they belong to that line. One CAS carries a group (CO contractual, PR patient, OA other,
PI payer-initiated) and up to six reason/amount/quantity triplets. Patient responsibility by kind is the sum of PR
reasons 1 (deductible), 2 (coinsurance) and 3 (copay) at both levels; CO-45 is the contractual write-off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.x12._common import (
    SegmentWriter,
    cents,
    check_npi,
    control_numbers,
    d8,
    format_amount,
    format_decimal,
    interchange,
    missing,
    parse_error,
    read_amount,
    read_date,
    zip_code,
)
from core.x12.parties import PayerContact
from core.x12.reader import Segment, Transaction, TransactionRead, read_each
from core.x12.x837p import TAX_ID

VERSION_835 = "005010X221A1"
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
class ProviderAdjustment:
    """One PLB adjustment: not about a claim but the provider's account (a levy, an overpayment recovered, interest).
    A positive amount reduces the payment, a negative one adds to it."""

    reason_code: str  # PLB03-1 (e.g. WO overpayment recovery, L6 interest, FB forwarding balance)
    amount: Decimal
    reference: str = ""  # PLB03-2, the payer's identifier of what is adjusted


@dataclass(frozen=True)
class Remittance:
    payer_name: str
    payee_npi: str | None
    check_number: str  # TRN02: the check or EFT trace number; with the payer it identifies the payment
    payment_date: date | None
    total_paid: Decimal
    claims: list[ClaimPayment]
    payee_name: str | None = None
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()

    @property
    def provider_adjustment_total(self) -> Decimal:
        """What the PLBs take off the claims' payments: paid claims − this = the payment (BPR02)."""
        return sum((a.amount for a in self.provider_adjustments), Decimal(0))

    def to_json(self) -> dict[str, Any]:
        """What a person checks of a payment: its amount, trace, each claim's outcome and the provider-level
        adjustments; money as two-decimal strings."""
        return {
            "payment_amount": _text(self.total_paid),
            "check_number": self.check_number,
            "payer_name": self.payer_name,
            "payment_date": self.payment_date.isoformat() if self.payment_date else None,
            "claims": [
                {
                    "claim_id": c.claim_id,
                    "status_code": c.status_code,
                    "charge_amount": _text(c.billed),
                    "paid_amount": _text(c.paid),
                    "patient_responsibility": _text(c.patient_responsibility),
                }
                for c in self.claims
            ],
            "provider_adjustments": [
                {"reason_code": a.reason_code, "amount": _text(a.amount)} for a in self.provider_adjustments
            ],
        }


def _text(value: Decimal) -> str:
    return f"{cents(value):f}"


def read_remittances(text: str) -> list[TransactionRead[Remittance]]:
    """Every 835 transaction set of `text` (every group of every interchange), each read on its own: a batch from
    a clearinghouse carries one per payment, and each is money the clinic received.

    Raises:
        X12ParseError: not well-formed X12 (envelopes), or no 835 at all. A transaction whose content or own SE
            is at fault is reported in its TransactionRead, and the others are still read.
    """
    return read_each(text, "835", _remittance, own_trailer_must_match=True)


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
    elements = seg.elements
    for first in range(2, min(len(elements), 19) + 1, 3):  # CAS02/05/…/17: up to six reason/amount/quantity
        reason = elements[first - 1]
        if not reason:
            continue
        quantity = read_amount(seg, first + 2) if first + 2 <= len(elements) else None
        out.append(Adjustment(group, reason, _money(seg, first + 1), quantity))
    if not out:
        raise parse_error(seg, "CAS has no adjustment reason")
    return out


def _plb(seg: Segment) -> list[ProviderAdjustment]:
    """PLB03/04 … PLB13/14: up to six reason:reference / amount pairs."""
    return [
        ProviderAdjustment(seg.component(first, 1), _money(seg, first + 1), seg.component(first, 2))
        for first in range(3, 14, 2)
        if seg.get(first)
    ]


@dataclass
class _ClaimBuilder:
    """One CLP loop (2100) being collected: its CAS, its patient name and its SVC lines (2110)."""

    clp: Segment
    adjustments: list[Adjustment] = field(default_factory=list)
    lines: list[ServicePayment] = field(default_factory=list)
    name: Segment | None = None
    svc: Segment | None = None
    svc_adjustments: list[Adjustment] | None = None
    svc_date: date | None = None

    def take(self, seg: Segment) -> None:
        tag = seg.tag
        if tag == "SVC":
            self.close_line()
            self.svc, self.svc_adjustments = seg, []
        elif tag == "CAS":
            (self.svc_adjustments if self.svc_adjustments is not None else self.adjustments).extend(_cas(seg))
        elif tag == "NM1" and seg.get(1) == "QC" and self.name is None:
            self.name = seg
        elif tag == "DTM" and self.svc is not None and seg.get(1) in ("472", "150"):
            self.svc_date = self.svc_date or read_date(seg, 2)

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


@dataclass
class _RemittanceBuilder:
    """The header (BPR, TRN, payer and payee N1), the claims in order, and the PLBs of one 835."""

    header: dict[str, Segment] = field(default_factory=dict)
    claims: list[ClaimPayment] = field(default_factory=list)
    current: _ClaimBuilder | None = None
    adjustments: list[ProviderAdjustment] = field(default_factory=list)

    def take(self, seg: Segment) -> None:
        tag = seg.tag
        current = self.current
        if current is not None and tag not in _CLAIM_ENDS:
            current.take(seg)  # most segments of a remittance: spare them the header lookup
            return
        key = _HEADER_KEYS.get((tag, seg.get(1)) if tag == "N1" else (tag, ""))
        if key is not None and current is None:
            self.header.setdefault(key, seg)
        elif tag == "CLP":
            self.close_claim()
            self.current = _ClaimBuilder(seg)
        elif tag in ("LX", "PLB", "SE"):
            self.close_claim()
            if tag == "PLB":
                self.adjustments.extend(_plb(seg))
        elif self.current is not None:
            self.current.take(seg)
        elif tag in ("SVC", "CAS"):
            raise parse_error(seg, f"{tag} outside a claim (no CLP before it)")

    def close_claim(self) -> None:
        if self.current is not None:
            self.claims.append(self.current.build())
            self.current = None


_CLAIM_ENDS = frozenset({"CLP", "LX", "PLB", "SE"})  # what closes the claim being read
# The header segments an 835 reader keeps, by (tag, N101): the first of each.
_HEADER_KEYS = {("BPR", ""): "bpr", ("TRN", ""): "trn", ("N1", "PR"): "payer", ("N1", "PE"): "payee"}


def _remittance(transaction: Transaction) -> Remittance:
    builder = _RemittanceBuilder()
    for seg in transaction.segments:
        builder.take(seg)
    builder.close_claim()
    header = builder.header
    bpr, trn, payer, payee = (header.get(k) for k in ("bpr", "trn", "payer", "payee"))
    if bpr is None:
        raise missing(transaction, "BPR")
    if payer is None:
        raise missing(transaction, "N1*PR (1000A)")
    return Remittance(
        payer_name=payer.get(2),
        payee_name=payee.get(2) or None if payee is not None else None,
        payee_npi=payee.get(4) if payee is not None and payee.get(3) == "XX" and payee.get(4) else None,
        check_number=trn.get(2) if trn is not None else "",
        payment_date=read_date(bpr, 16) if bpr.get(16) else None,
        total_paid=_money(bpr, 2),
        claims=builder.claims,
        provider_adjustments=tuple(builder.adjustments),
    )


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
    check_npi(remittance.payee_npi, "payee")
    if not TAX_ID.match(payer.tax_id):
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
    w.add("N4", payer.city, payer.state, zip_code(payer.zip, "payer"))
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
