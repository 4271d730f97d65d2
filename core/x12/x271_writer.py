"""The 271 the payer sandbox writes: a payer's answer to our 270, in the shape real payers use (005010X279A1).

It is a test partner, so it also writes what trips naive readers: out-of-network values before the in-network ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from core.x12._common import SegmentWriter, control_numbers, d8, format_amount, format_decimal, interchange
from core.x12.parties import Dependent, Subscriber
from core.x12.x270 import TRACE_ORIGINATOR, VERSION, EligibilityRequest, add_source_and_receiver


@dataclass(frozen=True)
class CoverageAnswer:
    """What the payer sandbox answers to a 270. A `reject_reason_code` (AAA03) makes it a rejection; the rest is
    then ignored. Amounts are individual in-network unless named family; `copay` is for office visits (type 98)."""

    reject_reason_code: str | None = None
    status: str = "active"
    plan_name: str = ""
    plan_begin: date | None = None
    plan_end: date | None = None
    subscriber: Subscriber | None = None
    dependent: Dependent | None = None  # the patient, when the 270 named a dependent of the subscriber
    deductible: Decimal | None = None
    deductible_remaining: Decimal | None = None
    family_deductible: Decimal | None = None
    family_deductible_remaining: Decimal | None = None
    coinsurance_rate: Decimal | None = None
    copay: Decimal | None = None
    out_of_pocket_max: Decimal | None = None
    out_of_pocket_remaining: Decimal | None = None
    family_out_of_pocket_max: Decimal | None = None
    family_out_of_pocket_remaining: Decimal | None = None
    authorization_required_codes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.status not in ("active", "inactive"):
            raise ValueError("status must be 'active' or 'inactive'")


def build_271(
    request: EligibilityRequest,
    answer: CoverageAnswer,
    *,
    control_number: int,
    now: datetime,
    usage_indicator: str = "P",
) -> str:
    """Write the 271 a payer would send for `request`: the envelope ids swapped, the trace echoed as TRN*2.

    The in-network individual amounts come with EB12=Y; an out-of-network deductible and coinsurance with other
    numbers (EB12=N) come first, so a reader that takes the first EB it sees gets them wrong.
    """
    _, _, st02 = control_numbers(control_number)
    w = SegmentWriter("271", VERSION, st02)
    w.add("BHT", "0022", "11", str(control_number), d8(now.date()), now.strftime("%H%M"))
    add_source_and_receiver(w, request)
    dependent = answer.dependent
    # 2000C subscriber; when the answer is about a dependent (2000D), the benefits go in the dependent's loop.
    w.add("HL", "3", "2", "22", "1" if dependent is not None else "0")
    if request.trace_number and dependent is None:
        w.add("TRN", "2", request.trace_number, TRACE_ORIGINATOR)
    sub = answer.subscriber
    last = sub.last_name if sub is not None else request.member_last_name or ""
    first = sub.first_name if sub is not None else request.member_first_name or ""
    w.add("NM1", "IL", "1", last, first, "", "", "", "MI", request.member_id)
    birth = sub.birth_date if sub is not None else request.member_birth_date
    _demographics(w, sub, birth, answer.reject_reason_code if dependent is None else None)
    if dependent is not None:
        w.add("HL", "4", "3", "23", "0")
        if request.trace_number:
            w.add("TRN", "2", request.trace_number, TRACE_ORIGINATOR)
        w.add("NM1", "03", "1", dependent.last_name, dependent.first_name)
        _demographics(w, dependent, dependent.birth_date, answer.reject_reason_code)
        w.add("INS", "N", dependent.relationship)
    if answer.reject_reason_code is None:
        if answer.plan_begin is not None:
            if answer.plan_end is not None:
                w.add("DTP", "291", "RD8", f"{d8(answer.plan_begin)}-{d8(answer.plan_end)}")
            else:
                w.add("DTP", "291", "D8", d8(answer.plan_begin))
        _add_benefits(w, answer)
    return interchange(
        w,
        sender_id=request.receiver_id,
        receiver_id=request.sender_id,
        control_number=control_number,
        now=now,
        usage_indicator=usage_indicator,
    )


def _demographics(w: SegmentWriter, person: Subscriber | None, birth: date | None, reject: str | None) -> None:
    """N3/N4, the AAA of a rejection, DMG: the rest of a name loop (2100C/D), in the guide's order."""
    if person is not None and person.address_line:
        w.add("N3", person.address_line)
        w.add("N4", person.city, person.state, person.zip)
    if reject is not None:
        w.add("AAA", "N", "", reject, "C")
    if birth is not None:
        gender = person.gender if person is not None and person.gender in ("M", "F") else ""
        w.add("DMG", "D8", d8(birth), gender)


def _eb(
    w: SegmentWriter,
    kind: str,
    level: str,
    service_type: str,
    *,
    plan: str = "",
    period: str = "",
    amount: Decimal | None = None,
    rate: Decimal | None = None,
    auth: str = "",
    network: str = "",
    procedure: str = "",
) -> None:
    w.add(
        "EB",
        kind,
        level,
        service_type,
        "",
        plan,
        period,
        format_amount(amount) if amount is not None else "",
        format_decimal(rate) if rate is not None else "",
        "",
        "",
        auth,
        network,
        ("HC", procedure) if procedure else "",
    )


def _add_benefits(w: SegmentWriter, a: CoverageAnswer) -> None:
    if a.status == "inactive":
        _eb(w, "6", "IND", "30", plan=a.plan_name)
        return
    _eb(w, "1", "IND", "30", plan=a.plan_name)
    # Out of network first, with other numbers, to catch readers that take the first EB they meet.
    if a.deductible is not None:
        _eb(w, "C", "IND", "30", period="23", amount=a.deductible * 2, network="N")
    if a.coinsurance_rate is not None:
        _eb(w, "A", "IND", "98", rate=min(Decimal(1), max(a.coinsurance_rate * 2, Decimal("0.4"))), network="N")
    for level, kind, period, value in (
        ("IND", "C", "23", a.deductible),
        ("IND", "C", "29", a.deductible_remaining),
        ("FAM", "C", "23", a.family_deductible),
        ("FAM", "C", "29", a.family_deductible_remaining),
        ("IND", "G", "23", a.out_of_pocket_max),
        ("IND", "G", "29", a.out_of_pocket_remaining),
        ("FAM", "G", "23", a.family_out_of_pocket_max),
        ("FAM", "G", "29", a.family_out_of_pocket_remaining),
    ):
        if value is not None:
            _eb(w, kind, level, "30", period=period, amount=value, network="Y")
    if a.coinsurance_rate is not None:
        _eb(w, "A", "IND", "98", rate=a.coinsurance_rate, network="Y")
    if a.copay is not None:
        _eb(w, "B", "IND", "98", period="27", amount=a.copay, network="Y")
    for code in sorted(set(a.authorization_required_codes)):
        _eb(w, "1", "IND", "", auth="Y", network="Y", procedure=code)
