"""The 271 eligibility answer, implementation guide 005010X279A1: read from payers, written by the payer sandbox.

We write 270s to ask payers about a patient's coverage and read their 271s into a `Coverage` the front desk can use:
active or not, the plan period, what is left of the deductible and out-of-pocket maximum, coinsurance, the office
copay and which procedures need prior authorization. The payer sandbox does the reverse (`read_270`, `build_271`).

Theory of operation for reading a 271:
- The HL segments make a tree: 20 information source (payer) → 21 information receiver (us) → 22 subscriber →
  23 dependent. Each subscriber or dependent becomes one Coverage; the payer id comes from the NM1*PR of its
  ancestor. An HL 20 with no subscriber under it becomes a Coverage only when it carries a rejection.
- A rejection is an AAA in the subscriber's name loop (2100C/D) or in an ancestor (payer 2100A, receiver 2100B). It
  is never "inactive": the payer did not say the member has no coverage, it could not answer (AAA03 72 invalid
  member id, 75 subscriber not found, 42 unable to respond now, …). An AAA after an EB (loop 2110C) concerns that
  one benefit; it only rejects the subscriber when no EB gives a coverage status.
- Status comes from EB01 (1-5 active, 6-8 inactive) of a plan-level EB (EB03 30 or blank, no EB13 procedure).
  With no status EB and no AAA, the coverage is reported "inactive" (unknown is not safe to call active).
- Money: several EBs often say the same thing for different networks, levels and service types. Candidates are
  ranked and the best kept: in network (EB12 Y) before blank/W before out of network (N); individual (IND or blank)
  before family (FAM only fills `family_deductible_remaining`); for copay and coinsurance service type 98 (office
  visit) before 30 before others; then the order in the file.
- EB06 time period: 22/23/25 (service year, calendar year, contract) are the period amount, 29 is what remains.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.x12._common import (
    SegmentWriter,
    cents,
    control_numbers,
    d8,
    format_amount,
    format_decimal,
    interchange,
    parse_error,
    read_amount,
    read_date,
    read_period,
)
from core.x12.parties import Dependent, Subscriber
from core.x12.reader import Segment, Transaction, X12ParseError, parse
from core.x12.x270 import TRACE_ORIGINATOR, VERSION, EligibilityRequest

_ACTIVE = frozenset({"1", "2", "3", "4", "5"})
_INACTIVE = frozenset({"6", "7", "8"})
_PERIOD_TOTAL = frozenset({"22", "23", "25"})
_PERIOD_REMAINING = "29"
_PLAN_START_QUALIFIERS = ("291", "307", "346", "356")  # in order of preference
_PLAN_END_QUALIFIERS = ("291", "307", "347", "357")
_MONEY_FIELDS = frozenset(
    {
        "deductible",
        "deductible_remaining",
        "family_deductible_remaining",
        "copay_amount",
        "out_of_pocket_max",
        "out_of_pocket_remaining",
    }
)
_PROCEDURE_QUALIFIERS = frozenset({"HC", "AD", "CJ", "ID", "IV", "N4", "ZZ"})


@dataclass(frozen=True)
class Coverage:
    """What a 271 says about one subscriber. Money is Decimal in dollars, rates are fractions (0.20 = 20 %)."""

    eligibility_status: str
    member_id: str | None = None
    payer_id: str | None = None
    plan_name: str | None = None
    effective_date: date | None = None
    termination_date: date | None = None
    deductible: Decimal | None = None
    deductible_remaining: Decimal | None = None
    family_deductible_remaining: Decimal | None = None
    coinsurance_rate: Decimal | None = None
    copay_amount: Decimal | None = None
    out_of_pocket_max: Decimal | None = None
    out_of_pocket_remaining: Decimal | None = None
    authorization_required_codes: tuple[str, ...] = ()
    reject_reason_code: str | None = None
    subscriber: Subscriber | None = None
    trace_number: str | None = None
    # The patient when the 271 answers for a dependent (2100D); `subscriber` is then the policy holder (2100C).
    dependent: Dependent | None = None

    def to_json(self) -> dict[str, Any]:
        """The fields the 271 carried, JSON-ready: ISO dates, money "1500.00", rates "0.20".

        None fields, an empty `authorization_required_codes`, `subscriber` and `trace_number` are left out.
        """
        out: dict[str, Any] = {}
        for name in (
            "eligibility_status",
            "member_id",
            "payer_id",
            "plan_name",
            "effective_date",
            "termination_date",
            "deductible",
            "deductible_remaining",
            "family_deductible_remaining",
            "coinsurance_rate",
            "copay_amount",
            "out_of_pocket_max",
            "out_of_pocket_remaining",
            "authorization_required_codes",
            "reject_reason_code",
        ):
            value = getattr(self, name)
            if value is None or value == ():
                continue
            if isinstance(value, date):
                out[name] = value.isoformat()
            elif name in _MONEY_FIELDS:
                out[name] = f"{cents(value):f}"
            elif name == "coinsurance_rate":
                out[name] = f"{_rate(value):f}"
            elif isinstance(value, tuple):
                out[name] = list(value)
            else:
                out[name] = value
        return out


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


def _rate(value: Decimal) -> Decimal:
    """At least two decimals (0.2 → 0.20) without rounding away precision (0.125 stays)."""
    exponent = value.normalize().as_tuple().exponent
    return value.quantize(Decimal("0.01")) if isinstance(exponent, int) and exponent >= -2 else value.normalize()


# ---------------------------------------------------------------------------------------------------------------------
# 271 reading


@dataclass
class _Node:
    """One HL loop of a 271 with the segments up to the next HL."""

    hl: Segment
    segments: list[Segment] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.hl.get(1)

    @property
    def parent(self) -> str:
        return self.hl.get(2)

    @property
    def level(self) -> str:
        return self.hl.get(3)


@dataclass(frozen=True)
class _Benefit:
    eb: Segment
    order: int
    loop: tuple[Segment, ...]  # the 2110C segments that follow the EB

    @property
    def kind(self) -> str:
        return self.eb.get(1)

    @property
    def level(self) -> str:
        return self.eb.get(2)

    @property
    def service_types(self) -> tuple[str, ...]:
        return tuple(code for code in self.eb.repeats(3) if code)

    @property
    def procedure(self) -> str:
        return self.eb.component(13, 2) if self.eb.component(13, 1) in _PROCEDURE_QUALIFIERS else ""


def _network_rank(b: _Benefit) -> int:
    return {"Y": 0, "": 1, "W": 1}.get(b.eb.get(12), 2)


def _plan_type_rank(b: _Benefit) -> int:
    types = b.service_types
    return 0 if not types or "30" in types else 1


def _visit_type_rank(b: _Benefit) -> int:
    types = b.service_types
    return 0 if "98" in types else 1 if "30" in types else 2 if not types else 3


def _best(
    benefits: Iterable[_Benefit], accept: Callable[[_Benefit], bool], rank: Callable[[_Benefit], tuple[int, ...]]
) -> _Benefit | None:
    candidates = [b for b in benefits if accept(b)]
    return min(candidates, key=lambda b: (*rank(b), b.order)) if candidates else None


def read_271(text: str) -> Coverage:
    """The coverage of the first subscriber of the first 271 in `text`.

    Raises:
        X12ParseError: not well-formed X12, no 271 in the input, or a malformed date or amount.
    """
    for coverage in _coverages(text, first_only=True):
        return coverage
    raise X12ParseError("segment 1: the input holds no 271 subscriber", position=1)


def read_271_all(text: str) -> list[Coverage]:
    """One Coverage per subscriber and dependent loop of every 271 in `text`, in file order."""
    return list(_coverages(text, first_only=False))


def _coverages(text: str, *, first_only: bool) -> Iterable[Coverage]:
    found = False
    for ich in parse(text):
        for _, transaction in ich.transactions("271"):
            found = True
            for coverage in _transaction_coverages(transaction):
                yield coverage
                if first_only:
                    return
    if not found:
        raise X12ParseError("segment 1: the input holds no 271 transaction set", position=1)


def _transaction_coverages(transaction: Transaction) -> Iterable[Coverage]:
    nodes: list[_Node] = []
    for seg in transaction.segments:
        if seg.tag == "HL":
            nodes.append(_Node(seg))
        elif nodes:
            nodes[-1].segments.append(seg)
    by_id = {node.id: node for node in nodes}
    has_children = {node.parent for node in nodes}

    def ancestors(node: _Node) -> list[_Node]:
        chain: list[_Node] = []
        seen = {node.id}
        while node.parent in by_id and node.parent not in seen:
            node = by_id[node.parent]
            seen.add(node.id)
            chain.append(node)
        return chain

    for node in nodes:
        if node.level in ("22", "23"):
            yield _coverage(node, ancestors(node), by_id)
        elif node.level in ("20", "21") and node.id not in has_children:
            # A payer or receiver loop with nothing under it: report its rejection, if it has one.
            chain = [node, *ancestors(node)]
            code = next((c for n in chain if (c := _name_loop_aaa(n)) is not None), None)
            if code is not None:
                yield Coverage(eligibility_status="rejected", payer_id=_payer_id(chain), reject_reason_code=code)


def _name_loop_aaa(node: _Node) -> str | None:
    """AAA03 of an AAA in the node's name loop (before any EB or LS); None when there is none."""
    for seg in node.segments:
        if seg.tag in ("EB", "LS"):
            return None
        if seg.tag == "AAA":
            return seg.get(3)
    return None


def _payer_id(chain: list[_Node]) -> str | None:
    for node in chain:
        for seg in node.segments:
            if seg.tag == "NM1" and seg.get(1) == "PR" and seg.get(9):
                return seg.get(9)
    return None


def _coverage(node: _Node, ancestors: list[_Node], by_id: dict[str, _Node]) -> Coverage:
    name = n3 = n4 = dmg = None
    trace_echo = trace_any = None
    own_dates: list[Segment] = []
    benefits: list[_Benefit] = []
    benefit_aaa: str | None = None
    current: list[Segment] | None = None  # the 2110C loop being collected
    current_eb: Segment | None = None
    nested = 0  # depth inside LS … LE (2120C benefit-related entities)

    def close_benefit() -> None:
        if current_eb is not None and current is not None:
            benefits.append(_Benefit(current_eb, len(benefits), tuple(current)))

    for seg in node.segments:
        if seg.tag == "LS":
            nested += 1
            continue
        if seg.tag == "LE":
            nested = max(0, nested - 1)
            continue
        if nested:
            continue
        if seg.tag == "EB":
            close_benefit()
            current_eb, current = seg, []
            continue
        if current is not None:
            current.append(seg)
            if seg.tag == "AAA" and benefit_aaa is None:
                benefit_aaa = seg.get(3)
            continue
        if seg.tag == "TRN":
            if seg.get(1) == "2" and trace_echo is None:
                trace_echo = seg.get(2)
            trace_any = trace_any or seg.get(2)
        elif seg.tag == "NM1" and name is None and seg.get(1) in ("IL", "03"):
            name = seg
        elif seg.tag == "N3" and n3 is None:
            n3 = seg
        elif seg.tag == "N4" and n4 is None:
            n4 = seg
        elif seg.tag == "DMG" and dmg is None:
            dmg = seg
        elif seg.tag == "DTP":
            own_dates.append(seg)
    close_benefit()

    chain = [node, *ancestors]
    member_id = name.get(9) if name is not None and name.get(9) else None
    if member_id is None and node.level == "23" and node.parent in by_id:
        # A dependent without an id of its own is known by the subscriber's.
        parent = by_id[node.parent]
        member_id = next((s.get(9) for s in parent.segments if s.tag == "NM1" and s.get(1) == "IL" and s.get(9)), None)
    subscriber = _subscriber(name, n3, n4, dmg)
    base: dict[str, Any] = {
        "member_id": member_id,
        "payer_id": _payer_id(chain),
        "subscriber": subscriber,
        "trace_number": trace_echo or trace_any,
    }

    reject = next((c for n in chain if (c := _name_loop_aaa(n)) is not None), None)
    if reject is not None:
        return Coverage(eligibility_status="rejected", reject_reason_code=reject, **base)

    status_eb = _best(
        benefits,
        lambda b: (b.kind in _ACTIVE or b.kind in _INACTIVE) and not b.eb.get(13),
        lambda b: (_plan_type_rank(b), 0 if b.kind in _ACTIVE else 1),
    )
    if status_eb is None and benefit_aaa is not None:
        return Coverage(eligibility_status="rejected", reject_reason_code=benefit_aaa, **base)
    status = "active" if status_eb is not None and status_eb.kind in _ACTIVE else "inactive"

    plan_name = status_eb.eb.get(5) if status_eb is not None and status_eb.eb.get(5) else None
    if plan_name is None:
        plan_name = next((b.eb.get(5) for b in benefits if b.eb.get(5)), None)

    effective, termination = _plan_dates(own_dates)
    if effective is None and termination is None and status_eb is not None:
        effective, termination = _plan_dates([s for s in status_eb.loop if s.tag == "DTP"])

    return Coverage(
        eligibility_status=status,
        plan_name=plan_name,
        effective_date=effective,
        termination_date=termination,
        deductible=_amount(benefits, "C", _PERIOD_TOTAL, family=False),
        deductible_remaining=_amount(benefits, "C", {_PERIOD_REMAINING}, family=False),
        family_deductible_remaining=_amount(benefits, "C", {_PERIOD_REMAINING}, family=True),
        out_of_pocket_max=_amount(benefits, "G", _PERIOD_TOTAL, family=False),
        out_of_pocket_remaining=_amount(benefits, "G", {_PERIOD_REMAINING}, family=False),
        copay_amount=_visit_value(benefits, "B", 7),
        coinsurance_rate=_coinsurance(benefits),
        authorization_required_codes=tuple(
            sorted({b.procedure for b in benefits if b.eb.get(11) == "Y" and b.procedure})
        ),
        **base,
    )


def _subscriber(name: Segment | None, n3: Segment | None, n4: Segment | None, dmg: Segment | None) -> Subscriber | None:
    if name is None:
        return None
    return Subscriber(
        first_name=name.get(4),
        last_name=name.get(3),
        birth_date=read_date(dmg, 2) if dmg is not None and dmg.get(1) == "D8" and dmg.get(2) else None,
        gender=(dmg.get(3) if dmg is not None else "") or "U",
        address_line=n3.get(1) if n3 is not None else "",
        city=n4.get(1) if n4 is not None else "",
        state=n4.get(2) if n4 is not None else "",
        zip=n4.get(3) if n4 is not None else "",
    )


def _plan_dates(dtps: list[Segment]) -> tuple[date | None, date | None]:
    starts: dict[str, date] = {}
    ends: dict[str, date] = {}
    for seg in dtps:
        qualifier = seg.get(1)
        if qualifier not in _PLAN_START_QUALIFIERS and qualifier not in _PLAN_END_QUALIFIERS:
            continue
        first, last = read_period(seg, 2, 3)
        if qualifier in ("291", "307"):
            starts.setdefault(qualifier, first)
            if last is not None:
                ends.setdefault(qualifier, last)
        elif qualifier in _PLAN_START_QUALIFIERS:
            starts.setdefault(qualifier, first)
        else:
            ends.setdefault(qualifier, first)
    start = next((starts[q] for q in _PLAN_START_QUALIFIERS if q in starts), None)
    end = next((ends[q] for q in _PLAN_END_QUALIFIERS if q in ends), None)
    return start, end


def _is_family(b: _Benefit) -> bool:
    return b.level == "FAM"


def _is_individual(b: _Benefit) -> bool:
    return b.level in ("IND", "")


def _amount(benefits: list[_Benefit], kind: str, periods: Iterable[str], *, family: bool) -> Decimal | None:
    wanted = set(periods)
    level_ok = _is_family if family else _is_individual
    best = _best(
        benefits,
        lambda b: b.kind == kind and b.eb.get(6) in wanted and level_ok(b) and b.eb.get(7) != "",
        lambda b: (_network_rank(b), _plan_type_rank(b), 1 if b.procedure else 0),
    )
    if best is None:
        return None
    value = read_amount(best.eb, 7)
    return cents(value) if value is not None else None


def _visit_value(benefits: list[_Benefit], kind: str, element: int) -> Decimal | None:
    best = _best(
        benefits,
        lambda b: b.kind == kind and not _is_family(b) and b.eb.get(element) != "",
        lambda b: (_network_rank(b), _visit_type_rank(b), 1 if b.procedure else 0, 0 if b.level == "IND" else 1),
    )
    if best is None:
        return None
    value = read_amount(best.eb, element)
    return cents(value) if value is not None else None


def _coinsurance(benefits: list[_Benefit]) -> Decimal | None:
    best = _best(
        benefits,
        lambda b: b.kind == "A" and not _is_family(b) and b.eb.get(8) != "",
        lambda b: (_network_rank(b), _visit_type_rank(b), 1 if b.procedure else 0, 0 if b.level == "IND" else 1),
    )
    if best is None:
        return None
    value = read_amount(best.eb, 8)
    if value is None:
        return None
    if value < 0:
        raise parse_error(best.eb, "EB08 is negative")
    if value > 1:
        value = value / 100  # a whole percent where the guide wants a fraction: 20 means 0.20, never 2000 %
    return _rate(value)


# ---------------------------------------------------------------------------------------------------------------------
# 271 writing (payer sandbox)


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
    w.add("HL", "1", "", "20", "1")
    w.add("NM1", "PR", "2", request.payer_name, "", "", "", "", "PI", request.payer_id)
    w.add("HL", "2", "1", "21", "1")
    w.add("NM1", "1P", "2", request.provider_name, "", "", "", "", "XX", request.provider_npi)
    w.add("HL", "3", "2", "22", "0")
    if request.trace_number:
        w.add("TRN", "2", request.trace_number, TRACE_ORIGINATOR)
    sub = answer.subscriber
    last = sub.last_name if sub is not None else request.member_last_name or ""
    first = sub.first_name if sub is not None else request.member_first_name or ""
    w.add("NM1", "IL", "1", last, first, "", "", "", "MI", request.member_id)
    if sub is not None and sub.address_line:
        w.add("N3", sub.address_line)
        w.add("N4", sub.city, sub.state, sub.zip)
    if answer.reject_reason_code is not None:
        w.add("AAA", "N", "", answer.reject_reason_code, "C")
    birth = sub.birth_date if sub is not None else request.member_birth_date
    if birth is not None:
        gender = sub.gender if sub is not None and sub.gender in ("M", "F") else ""
        w.add("DMG", "D8", d8(birth), gender)
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
