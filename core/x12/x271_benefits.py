"""Which EB of a 271 says what: the deductible, the out-of-pocket maximum, the office copay and coinsurance.

A 271 often says the same kind of thing many times — per network, per coverage level, per service type, per time
period. Real files mix a chiropractic copay, an inpatient-psych copay and a Medicare Part A hospital-day copay with
the office one; an out-of-network deductible with the in-network one. Reading the first EB of a kind, or the best of
any service type, puts the wrong number in front of the desk. So each value has one rule (`RULES`):

- the kind (EB01), the element that holds it (EB07 amount, EB08 percent) and the time periods (EB06) it accepts:
  a plan total is 22/23/25 (service year, calendar year, contract) or blank (`EB*C*IND*30****3000`), what remains
  is 29;
- the service types (EB03) it may come from, in order of preference: the plan (30) or none for totals; office visit
  (98), then the plan (30), then none for copay and coinsurance — never another type;
- the coverage level (EB02): individual (IND, or blank) or family (FAM);
- never a procedure-specific EB (EB13 set: that is a rule for one procedure).

The network (EB12) splits the candidates: in network is Y — or, when no EB of that rule says Y or N, the blank/W
ones ("no network split"); out of network is N, reported apart and labelled, never in place of the in-network one.
Among what is left: the preferred service type, then IND over a blank level, then the order in the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.x12._common import PROCEDURE_QUALIFIERS, cents, parse_error, read_amount
from core.x12.reader import Segment

ACTIVE = frozenset({"1", "2", "3", "4", "5"})
INACTIVE = frozenset({"6", "7", "8"})
_TOTAL = frozenset({"22", "23", "25", ""})
_REMAINING = frozenset({"29"})
_PLAN = ("30", "")
_VISIT = ("98", "30", "")


@dataclass(frozen=True)
class Benefit:
    """One EB of a person's loop (2110C/D), with its place among the person's EBs and the segments that follow it."""

    eb: Segment
    order: int
    loop: tuple[Segment, ...] = ()

    @property
    def kind(self) -> str:
        return self.eb.get(1)

    @property
    def level(self) -> str:
        return self.eb.get(2)

    @property
    def service_types(self) -> tuple[str, ...]:
        """EB03's repeats; ("",) when blank (the EB is about no particular service type). EB03 is never composite:
        where an interchange gives the repetition separator's character to ISA16 too (the guide's own examples
        write `EB*B**1^33^98`), its components are the repeats."""
        repeats = self.eb.repeats(3)
        if len(repeats) == 1 and self.eb.delimiters.component in repeats[0]:
            repeats = self.eb.components(3)
        return tuple(code for code in repeats if code) or ("",)

    @property
    def procedure(self) -> str:
        return self.eb.component(13, 2) if self.eb.component(13, 1) in PROCEDURE_QUALIFIERS else ""

    @property
    def network(self) -> str:
        return self.eb.get(12)


@dataclass(frozen=True)
class Rule:
    field: str
    kind: str  # EB01
    element: int  # 7 (EB07 amount) or 8 (EB08 percent)
    periods: frozenset[str] | None  # EB06 values taken; None: any
    service_types: tuple[str, ...]  # EB03 values taken, in order of preference ("" = blank)
    family: bool = False

    def accepts(self, b: Benefit) -> bool:
        return (
            b.kind == self.kind
            and b.eb.get(self.element) != ""
            and not b.procedure
            and (b.level == "FAM" if self.family else b.level in ("IND", ""))
            and (self.periods is None or b.eb.get(6) in self.periods)
            and any(t in self.service_types for t in b.service_types)
        )

    def rank(self, b: Benefit) -> tuple[int, int, int]:
        best_type = min(self.service_types.index(t) for t in b.service_types if t in self.service_types)
        return best_type, 0 if b.level in ("IND", "FAM") else 1, b.order


RULES = (
    Rule("deductible", "C", 7, _TOTAL, _PLAN),
    Rule("deductible_remaining", "C", 7, _REMAINING, _PLAN),
    Rule("family_deductible_remaining", "C", 7, _REMAINING, _PLAN, family=True),
    Rule("out_of_pocket_max", "G", 7, _TOTAL, _PLAN),
    Rule("out_of_pocket_remaining", "G", 7, _REMAINING, _PLAN),
    Rule("copay_amount", "B", 7, None, _VISIT),
    Rule("coinsurance_rate", "A", 8, None, _VISIT),
)


def values(benefits: Iterable[Benefit]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """(in network, out of network): each rule's value where the 271 gives one."""
    in_network: dict[str, Decimal] = {}
    out_of_network: dict[str, Decimal] = {}
    listed = list(benefits)
    for rule in RULES:
        candidates = [b for b in listed if rule.accepts(b)]
        split = any(b.network in ("Y", "N") for b in candidates)
        inside = [b for b in candidates if b.network == "Y" or (not split and b.network != "N")]
        outside = [b for b in candidates if b.network == "N"]
        for chosen, into in ((inside, in_network), (outside, out_of_network)):
            if chosen:
                into[rule.field] = _value(min(chosen, key=rule.rank), rule)
    return in_network, out_of_network


def _value(b: Benefit, rule: Rule) -> Decimal:
    value = read_amount(b.eb, rule.element)
    assert value is not None  # accepts() wants the element set, and read_amount reads a set one or raises
    if rule.element == 8:
        return rate(b.eb, value)
    return cents(value)


def rate(eb: Segment, value: Decimal) -> Decimal:
    """EB08 as a fraction. Negative is refused; above 1 it is a whole percent where the guide wants a fraction
    (20 means 0.20, never 2000 %)."""
    if value < 0:
        raise parse_error(eb, "EB08 is negative")
    if value > 1:
        value = value / 100
    if value > 1:
        raise parse_error(eb, "EB08 is over 100 percent")
    return two_places(value)


def two_places(value: Decimal) -> Decimal:
    """At least two decimals (0.2 → 0.20) without rounding away precision (0.125 stays)."""
    exponent = value.normalize().as_tuple().exponent
    return value.quantize(Decimal("0.01")) if isinstance(exponent, int) and exponent >= -2 else value.normalize()


def status_benefit(benefits: Iterable[Benefit]) -> Benefit | None:
    """The EB that gives the person's coverage status: EB01 1-8 with no procedure, the plan's (30 or blank) before
    another service type's, active before inactive, then the first in the file."""
    candidates = [b for b in benefits if (b.kind in ACTIVE or b.kind in INACTIVE) and not b.eb.get(13)]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda b: (0 if any(t in _PLAN for t in b.service_types) else 1, 0 if b.kind in ACTIVE else 1, b.order),
    )


def plan_name(benefits: Iterable[Benefit], status: Benefit | None) -> str | None:
    """EB05 of the status EB (active or inactive: it names the plan either way), else of another coverage EB
    (EB01 1-5) — never the text of a limitation (EB*F) or any other kind, which describes a benefit, not the plan."""
    if status is not None and status.eb.get(5):
        return status.eb.get(5)
    return next((b.eb.get(5) for b in benefits if b.kind in ACTIVE and b.eb.get(5)), None)


def authorization_codes(benefits: Iterable[Benefit]) -> tuple[str, ...]:
    """Procedures an EB marks as needing prior authorization (EB11 Y with EB13 a procedure)."""
    return tuple(sorted({b.procedure for b in benefits if b.eb.get(11) == "Y" and b.procedure}))
