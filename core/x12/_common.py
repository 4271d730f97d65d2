"""Pieces shared by the transaction modules: value formats, the NPI check digit and the envelope writer.

The writers emit `*` elements, `:` components, `^` repetitions and `~` terminators followed by a newline (the
newline is for people reading logs; readers skip it). A value that contains one of those characters would shift
every element after it, so `SegmentWriter.add` refuses it, naming the segment and element but not the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from core.checksums import npi_is_valid  # one NPI check for the whole suite
from core.claims.money import cents  # noqa: F401 - one rounding of money for the whole suite
from core.x12.reader import Segment, Transaction, X12ParseError

_FORBIDDEN = frozenset("*:~^\r\n")
# Qualifiers of a product/service id (270 EQ02, 271 EB13): CPT/HCPCS (HC), ADA, CDT, ICD, NDC, … and mutually
# defined (ZZ) — the procedure a question or a benefit is about.
PROCEDURE_QUALIFIERS = frozenset({"HC", "AD", "CJ", "ID", "IV", "N4", "ZZ"})
_GS01 = {"270": "HS", "271": "HB", "278": "HI", "835": "HP", "837": "HC"}

Element = str | tuple[str, ...]


def parse_error(segment: Segment, message: str) -> X12ParseError:
    return X12ParseError(f"{segment.label}: {message}", position=segment.position, tag=segment.tag)


def read_date(segment: Segment, n: int, value: str | None = None) -> date:
    """A CCYYMMDD date from element `n` (or `value`, a part of it)."""
    text = segment.get(n) if value is None else value
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise parse_error(segment, f"{segment.tag}{n:02d} is not a CCYYMMDD date") from None


def read_period(segment: Segment, format_n: int, value_n: int) -> tuple[date, date | None]:
    """A D8 date or an RD8 range (CCYYMMDD-CCYYMMDD) given by a format qualifier and a value element."""
    qualifier = segment.get(format_n)
    if qualifier == "D8":
        return read_date(segment, value_n), None
    if qualifier == "RD8":
        start, sep, end = segment.get(value_n).partition("-")
        if not sep:
            raise parse_error(segment, f"{segment.tag}{value_n:02d} is not a CCYYMMDD-CCYYMMDD range")
        return read_date(segment, value_n, start), read_date(segment, value_n, end)
    raise parse_error(segment, f"{segment.tag}{format_n:02d} must be D8 or RD8")


# X12's R type as the HIPAA guides use it: an optional minus, at most 18 digits, an optional decimal point; no
# exponent, no plus sign, no grouping.
_REAL = re.compile(r"^-?(?=\.?\d)\d*(\.\d*)?$")
_MAX_DIGITS = 18


def read_amount(segment: Segment, n: int) -> Decimal | None:
    """A decimal number from element `n`; None when the element is empty."""
    text = segment.get(n).strip()
    if not text:
        return None
    digits = len(text) - text.startswith("-") - ("." in text)
    if digits > _MAX_DIGITS or not _REAL.match(text):
        raise parse_error(segment, f"{segment.tag}{n:02d} is not a number of at most {_MAX_DIGITS} digits")
    try:
        return Decimal(text)
    except InvalidOperation:  # the pattern admits only what Decimal reads; kept as a guard, never a traceback
        raise parse_error(segment, f"{segment.tag}{n:02d} is not a number") from None


def format_amount(value: Decimal) -> str:
    """An X12 R value: cents, no exponent, no trailing zeros after the point ("100", "100.5", "0.2")."""
    rounded = cents(value)
    return "0" if rounded == 0 else format(rounded.normalize(), "f")  # never "-0"


def format_decimal(value: Decimal) -> str:
    """A rate or quantity without rounding to cents ("0.125", "1")."""
    return format(value.normalize(), "f")


def d8(value: date) -> str:
    """CCYYMMDD. strftime writes a year before 1000 with fewer digits, an invalid date element: refuse it here (a
    caller bug: the request models allow 1900 and later)."""
    if value.year < 1000:
        raise ValueError("an X12 date needs a four-digit year")
    return value.strftime("%Y%m%d")


@dataclass
class SegmentWriter:
    """Collects the segments of one transaction set (ST to SE), checking each value for delimiters."""

    set_id: str
    version: str  # GS08; also ST03 unless `st03` is False (the 835 guide marks ST03 "not used")
    control_number: str
    st03: bool = True

    def __post_init__(self) -> None:
        self._segments: list[str] = []
        self.add("ST", self.set_id, self.control_number, self.version if self.st03 else "")

    def add(self, tag: str, *elements: Element) -> None:
        rendered = []
        for number, element in enumerate(elements, start=1):
            parts = (element,) if isinstance(element, str) else element
            for part in parts:
                if _FORBIDDEN.intersection(part):
                    raise ValueError(f"{tag}{number:02d} contains a delimiter or line break character")
            rendered.append(":".join(parts).rstrip(":") if not isinstance(element, str) else element)
        while rendered and rendered[-1] == "":
            rendered.pop()
        self._segments.append("*".join((tag, *rendered)))

    def finish(self) -> list[str]:
        """The segments with the SE trailer (SE01 counts ST and SE)."""
        count = len(self._segments) + 1
        return [*self._segments, f"SE*{count}*{self.control_number}"]


def _interchange_id(value: str, what: str) -> str:
    if not 2 <= len(value) <= 15 or _FORBIDDEN.intersection(value) or value != value.strip():
        raise ValueError(f"{what} must be 2 to 15 characters without delimiters or surrounding spaces")
    return value


def control_numbers(control_number: int) -> tuple[str, str, str]:
    """ISA13 (9 digits), GS06 and ST02 (at least 4 digits) for one interchange holding one transaction set."""
    if not 1 <= control_number <= 999_999_999:
        raise ValueError("control_number must be between 1 and 999999999")
    return f"{control_number:09d}", str(control_number), f"{control_number:04d}"


def interchange(
    transaction: SegmentWriter,
    *,
    sender_id: str,
    receiver_id: str,
    control_number: int,
    now: datetime,
    usage_indicator: str = "P",
) -> str:
    """Wrap one transaction set in GS/GE and ISA/IEA; one segment per line."""
    isa13, gs06, _ = control_numbers(control_number)
    sender = _interchange_id(sender_id, "sender_id")
    receiver = _interchange_id(receiver_id, "receiver_id")
    if usage_indicator not in ("P", "T"):
        raise ValueError("usage_indicator must be P (production) or T (test)")
    isa = "*".join(
        (
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            "ZZ",
            sender.ljust(15),
            "ZZ",
            receiver.ljust(15),
            now.strftime("%y%m%d"),
            now.strftime("%H%M"),
            "^",
            "00501",
            isa13,
            "0",
            usage_indicator,
            ":",
        )
    )
    gs = "*".join(
        (
            "GS",
            _GS01[transaction.set_id],
            sender,
            receiver,
            now.strftime("%Y%m%d"),
            now.strftime("%H%M"),
            gs06,
            "X",
            transaction.version,
        )
    )
    segments = [isa, gs, *transaction.finish(), f"GE*1*{gs06}", f"IEA*1*{isa13}"]
    return "".join(f"{segment}~\n" for segment in segments)


_ZIP = re.compile(r"^\d{5}(\d{4})?$")


def check_npi(npi: str, what: str) -> None:
    """A writer's check: ValueError naming `what` when the NPI is not 10 digits with a valid check digit."""
    if not npi_is_valid(npi):
        raise ValueError(f"{what} NPI is not 10 digits with a valid check digit")


def zip_code(value: str, what: str, *, nine: bool = False) -> str:
    """A ZIP code as X12 writes it (digits only), or ValueError naming `what`."""
    digits = value.replace("-", "")
    if not _ZIP.match(digits) or (nine and len(digits) != 9):
        raise ValueError(f"{what} ZIP code must be {'9' if nine else '5 or 9'} digits")
    return digits


def missing(transaction: Transaction, what: str) -> X12ParseError:
    """The error for a transaction set that lacks a required part (named by the ST's position)."""
    st = transaction.st
    return X12ParseError(
        f"{st.label}: transaction set {transaction.set_id} has no {what}", position=st.position, tag=st.tag
    )
