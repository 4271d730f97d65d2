"""The 271 eligibility answer, implementation guide 005010X279A1 (and 004010X092A1, whose loops we read are the
same): read from payers into a `Coverage` the front desk can use — active or not, the plan period, what is left of
the deductible and out-of-pocket maximum, coinsurance, the office copay and which procedures need prior
authorization. The payer sandbox writes them (`x271_writer`).

Theory of operation:
- A file may hold many 271s (a clearinghouse batch): every transaction set of every group and interchange is read
  on its own (`read_eligibility`); a bad value rejects its own transaction only, reported with its position.
- The HL segments make a tree: 20 information source (payer) → 21 information receiver (us) → 22 subscriber →
  23 dependent. Each subscriber or dependent becomes one Coverage. When a payer answers about a dependent, the
  benefits are in the dependent's loop (2000D) and the subscriber's loop has none: the patient is the dependent,
  and its Coverage carries the policy holder as `subscriber` and the patient as `dependent` (with INS02, the
  relationship). `read_271` answers for the patient asked about: the person matching the inquiry's name or birth
  date, else the dependent when there is one, else the subscriber.
- The payer id is the 2100A information source's NM109 (the HL 20 loop) — never the NM1 of a related entity
  inside LS/LE (2120C/D: "the primary payer is Medicare"), which is skipped with everything in LS/LE.
- A rejection is an AAA in the person's name loop (2100C/D) or in an ancestor (payer 2100A, receiver 2100B). It
  is never "inactive": the payer did not say the member has no coverage, it could not answer (AAA03 72 invalid
  member id, 75 subscriber not found, 42 unable to respond now, …). An AAA after an EB (loop 2110C) concerns that
  one benefit; it only rejects the person when no EB gives a coverage status.
- Status comes from EB01 (1-5 active, 6-8 inactive) of a plan-level EB (EB03 30 or blank, no EB13 procedure).
  With no status EB and no AAA, the payer said nothing of the person's coverage: "unknown" — never "inactive"
  (which says the payer denies coverage) nor active. It is what the subscriber of an answer about a dependent
  gets, and what a person with only an EB*R (another payer) gets.
- Money and rates: one rule per value, as a table, in `x271_benefits` (service types, networks, levels, periods).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from core.x12._common import cents, read_date, read_period
from core.x12.parties import Dependent, Subscriber
from core.x12.reader import Segment, Transaction, TransactionRead, X12ParseError, read_each
from core.x12.x271_benefits import (
    ACTIVE,
    Benefit,
    authorization_codes,
    plan_name,
    status_benefit,
    two_places,
    values,
)

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
_PERSON_NAMES = ("IL", "03")  # NM101 of a subscriber (insured) and of a dependent


class Asked(Protocol):
    """Who an inquiry asked about (an EligibilityRequest, or the inquiry it is built from)."""

    @property
    def member_first_name(self) -> str | None: ...

    @property
    def member_last_name(self) -> str | None: ...

    @property
    def member_birth_date(self) -> date | None: ...


@dataclass(frozen=True)
class OutOfNetwork:
    """What the 271 says of out-of-network care (EB12 N): reported apart, never in place of the in-network values."""

    deductible: Decimal | None = None
    deductible_remaining: Decimal | None = None
    family_deductible_remaining: Decimal | None = None
    out_of_pocket_max: Decimal | None = None
    out_of_pocket_remaining: Decimal | None = None
    copay_amount: Decimal | None = None
    coinsurance_rate: Decimal | None = None

    def to_json(self) -> dict[str, str]:
        return {
            name: f"{two_places(value) if name == 'coinsurance_rate' else cents(value):f}"
            for name, value in vars(self).items()
            if value is not None
        }


@dataclass(frozen=True)
class Coverage:
    """What a 271 says about one person. Money is Decimal in dollars, rates are fractions (0.20 = 20 %); the amounts
    are in network (EB12 Y, or no network split), individual unless named family."""

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
    subscriber: Subscriber | None = None  # the policy holder as the payer has them (2100C)
    trace_number: str | None = None
    # The patient when the 271 answers for a dependent (2100D); `subscriber` is then the policy holder.
    dependent: Dependent | None = None
    out_of_network: OutOfNetwork | None = None

    def to_json(self) -> dict[str, Any]:
        """The fields the 271 carried, JSON-ready: ISO dates, money "1500.00", rates "0.20"; out-of-network values
        under "out_of_network", and for a dependent the relationship code (no names: they are PHI).

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
                out[name] = f"{two_places(value):f}"
            elif isinstance(value, tuple):
                out[name] = list(value)
            else:
                out[name] = value
        if self.dependent is not None:
            out["relationship"] = self.dependent.relationship
        if self.out_of_network is not None:
            out["out_of_network"] = self.out_of_network.to_json()
        return out


# ---------------------------------------------------------------------------------------------------------------------
# reading


def read_eligibility(text: str) -> list[TransactionRead[list[Coverage]]]:
    """Every 271 transaction set of `text`, each read into one Coverage per subscriber and dependent (in file order),
    or its own error.

    Raises:
        X12ParseError: not well-formed X12 (envelopes), or no 271 at all.
    """
    return read_each(text, "271", _transaction_coverages)


def read_271(text: str, *, asked: Asked | None = None) -> Coverage:
    """The patient's coverage in the first 271 of `text` (a payer's answer to one 270): the person matching the
    inquiry `asked` (name or birth date), else the dependent when the answer is about one, else the subscriber.

    Raises:
        X12ParseError: not well-formed X12, no 271 in the input, or that 271 unreadable (a malformed date or amount).
    """
    first = read_eligibility(text)[0]
    if first.error is not None:
        raise first.error
    coverages = first.value or []
    if not coverages:
        raise X12ParseError(f"{first.transaction.st.label}: the 271 names no subscriber", position=first.position)
    return _patient(coverages, asked)


def _patient(coverages: list[Coverage], asked: Asked | None) -> Coverage:
    if asked is not None:
        matching = [c for c in coverages if _matches(c, asked)]
        if matching:
            return matching[0]
    return next((c for c in coverages if c.dependent is not None), coverages[0])


def _matches(coverage: Coverage, asked: Asked) -> bool:
    person = coverage.dependent or coverage.subscriber
    if person is None:
        return False
    if asked.member_birth_date is not None and person.birth_date is not None:
        return person.birth_date == asked.member_birth_date and (
            not asked.member_first_name or asked.member_first_name.upper() == person.first_name.upper()
        )
    return bool(asked.member_first_name and asked.member_last_name) and (
        (asked.member_first_name.upper(), asked.member_last_name.upper())
        == (person.first_name.upper(), person.last_name.upper())
    )


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


@dataclass
class _Person:
    """One subscriber or dependent loop (2000C/D) collected: its name loop's segments (2100C/D) and its benefits
    (2110C/D with the segments after each EB). What sits inside LS … LE (2120C/D, a related entity such as another
    payer) is skipped."""

    node: _Node
    found: dict[str, Segment] = field(default_factory=dict)  # the first NM1/N3/N4/DMG/INS of the name loop
    traces: list[Segment] = field(default_factory=list)
    dates: list[Segment] = field(default_factory=list)
    benefits: list[Benefit] = field(default_factory=list)
    benefit_aaa: str | None = None

    @property
    def name(self) -> Segment | None:
        return self.found.get("NM1")


def _collect(node: _Node) -> _Person:
    person = _Person(node)
    nested = 0
    eb: Segment | None = None
    loop: list[Segment] = []
    for seg in node.segments:
        if seg.tag in ("LS", "LE"):
            nested = nested + 1 if seg.tag == "LS" else max(0, nested - 1)
        elif nested:
            continue
        elif seg.tag == "EB":
            if eb is not None:
                person.benefits.append(Benefit(eb, len(person.benefits), tuple(loop)))
            eb, loop = seg, []
        elif eb is not None:
            loop.append(seg)
            if seg.tag == "AAA" and person.benefit_aaa is None:
                person.benefit_aaa = seg.get(3)
        else:
            _name_loop(person, seg)
    if eb is not None:
        person.benefits.append(Benefit(eb, len(person.benefits), tuple(loop)))
    return person


def _name_loop(person: _Person, seg: Segment) -> None:
    tag = seg.tag
    if tag == "TRN":
        person.traces.append(seg)
    elif tag == "DTP":
        person.dates.append(seg)
    elif tag == "NM1":
        if seg.get(1) in _PERSON_NAMES:
            person.found.setdefault("NM1", seg)
    elif tag in ("N3", "N4", "DMG", "INS"):
        person.found.setdefault(tag, seg)


def _transaction_coverages(transaction: Transaction) -> list[Coverage]:
    nodes: list[_Node] = []
    for seg in transaction.segments:
        if seg.tag == "HL":
            nodes.append(_Node(seg))
        elif nodes:
            nodes[-1].segments.append(seg)
    by_id = {node.id: node for node in nodes}
    has_children = {node.parent for node in nodes}
    people = {node.id: _collect(node) for node in nodes if node.level in ("22", "23")}

    def ancestors(node: _Node) -> list[_Node]:
        chain: list[_Node] = []
        seen = {node.id}
        while node.parent in by_id and node.parent not in seen:
            node = by_id[node.parent]
            seen.add(node.id)
            chain.append(node)
        return chain

    out: list[Coverage] = []
    for node in nodes:
        chain = [node, *ancestors(node)]
        if node.id in people:
            holder = people.get(node.parent) if node.level == "23" else None
            out.append(_coverage(people[node.id], chain, holder))
        elif node.level in ("20", "21") and node.id not in has_children:
            # A payer or receiver loop with nothing under it: report its rejection, if it has one.
            code = next((c for n in chain if (c := _name_loop_aaa(n)) is not None), None)
            if code is not None:
                out.append(Coverage(eligibility_status="rejected", payer_id=_payer_id(chain), reject_reason_code=code))
    return out


def _name_loop_aaa(node: _Node) -> str | None:
    """AAA03 of an AAA in the node's name loop (before any EB or LS); None when there is none."""
    for seg in node.segments:
        if seg.tag in ("EB", "LS"):
            return None
        if seg.tag == "AAA":
            return seg.get(3)
    return None


def _payer_id(chain: list[_Node]) -> str | None:
    """NM109 of the information source's name (2100A): the first NM1 of the HL 20 loop above the person."""
    source = next((node for node in chain if node.level == "20"), None)
    if source is None:
        return None
    name = next((seg for seg in source.segments if seg.tag == "NM1"), None)
    return (name.get(9) or None) if name is not None else None


def _coverage(person: _Person, chain: list[_Node], holder: _Person | None) -> Coverage:
    """One person's Coverage; `holder` is the subscriber's loop when the person is a dependent."""
    name = person.name
    member_id = name.get(9) if name is not None and name.get(9) else None
    if member_id is None and holder is not None and holder.name is not None:
        member_id = holder.name.get(9) or None  # a dependent without an id of its own is known by the subscriber's
    echo = next((t.get(2) for t in person.traces if t.get(1) == "2" and t.get(2)), None)
    base: dict[str, Any] = {
        "member_id": member_id,
        "payer_id": _payer_id(chain),
        "trace_number": echo or next((t.get(2) for t in person.traces if t.get(2)), None),
    }
    if person.node.level == "23":
        base["subscriber"] = _demographics(holder) if holder is not None else None
        base["dependent"] = _dependent(person)
    else:
        base["subscriber"] = _demographics(person)

    reject = next((c for n in chain if (c := _name_loop_aaa(n)) is not None), None)
    if reject is not None:
        return Coverage(eligibility_status="rejected", reject_reason_code=reject, **base)
    status = status_benefit(person.benefits)
    if status is None and person.benefit_aaa is not None:
        return Coverage(eligibility_status="rejected", reject_reason_code=person.benefit_aaa, **base)

    effective, termination = _plan_dates(person.dates)
    if effective is None and termination is None and status is not None:
        effective, termination = _plan_dates([s for s in status.loop if s.tag == "DTP"])
    in_network, out_of_network = values(person.benefits)
    return Coverage(
        eligibility_status="unknown" if status is None else "active" if status.kind in ACTIVE else "inactive",
        plan_name=plan_name(person.benefits, status) or _plan_ref(person),
        effective_date=effective,
        termination_date=termination,
        authorization_required_codes=authorization_codes(person.benefits),
        out_of_network=OutOfNetwork(**out_of_network) if out_of_network else None,
        **in_network,
        **base,
    )


def _plan_ref(person: _Person) -> str | None:
    """The plan's description from the name loop's REF*18 (plan number) when no coverage EB names the plan."""
    refs = [seg for seg in person.node.segments if seg.tag == "REF" and seg.get(1) == "18" and seg.get(3)]
    return refs[0].get(3) if refs else None


def _demographics(person: _Person) -> Subscriber | None:
    name = person.name
    if name is None:
        return None
    found = person.found
    dmg, n3, n4 = found.get("DMG"), found.get("N3"), found.get("N4")
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


def _dependent(person: _Person) -> Dependent | None:
    who = _demographics(person)
    if who is None:
        return None
    ins = person.found.get("INS")
    relationship = ins.get(2) if ins is not None and ins.get(2) else "21"  # 21: unknown
    return Dependent(**vars(who), relationship=relationship)


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
