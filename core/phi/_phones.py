"""Telephone and fax numbers: shapes from the number pass, checked against the NANP rules and phonenumbers'
metadata, typed as fax by a fax cue just before them.

Notes carry numbers whose area code is not (or no longer) assigned, and write them oddly: '410 202-6694',
'212- 476- 8356', '201/324/1423', a 7-digit local '671-9309', a 5-digit pager. So the metadata is one way in, not
the only one: a number of NANP shape (area code and exchange 2-9) in a phone context is a phone too, and the local
and pager shapes are phones only in that context. A phone context is a phone or pager word, a relative (whose
number it is) or another phone number just before.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

Cands = list[tuple[float, int, int, str]]

PHONE_CUE = re.compile(r"\b(?:phone|ph|tel|telephone|cell|mobile|call|called|contact|pager|home|work|c|h|w|m)\b")
FAX_CUE = re.compile(r"\b(?:fax|facsimile|f)\b")
_CONTEXT = re.compile(
    r"(?<![a-z])(?:phone|ph|tel|telephone|cell|cellular|mobile|call|called|calls|contact|reached|reach|number|home"
    r"|work|office|pager|beeper|pg|page|daughter|dtr|son|wife|husband|sister|brother|mother|father|niece|nephew"
    r"|family|friend|spouse|partner|proxy|hcp)(?![a-z])|(?<![a-z/])[hwcm](?:[ \t]*[:)=]|-(?=[ \t]*\d))|#"
)
_PAGER_CUE = re.compile(r"(?<![a-z])(?:pager|beeper|pgr|pg|page|beep|bpr)(?:[ \t#:.-]|number|num|no)*$")
_WINDOW = 32


@lru_cache(maxsize=4096)
def _nanp_prefix_ok(prefix: str) -> bool:
    """Is a US number with this area code and exchange valid (phonenumbers' metadata; cached per 6-digit prefix)?"""
    return phonenumbers.is_valid_number(phonenumbers.parse(f"+1{prefix}0123", None))


def phone_ok(value: str) -> bool:
    digits = "".join(filter(str.isdigit, value.split("x")[0].split("ext")[0]))
    if not value.startswith("+") or value.startswith("+1"):
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
        # NANP: area code and exchange start 2-9; then ask the metadata whether that area code is in service.
        return len(digits) == 10 and digits[0] > "1" and digits[3] > "1" and _nanp_prefix_ok(digits[:6])
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, "US"))
    except phonenumbers.NumberParseException:
        return False


def add(low: str, start: int, end: int, value: str, cands: Cands, score: float = 0.9) -> None:
    """A phone (or fax, after a fax cue) if `value` is a valid number."""
    if not phone_ok(value):
        return
    cands.append((score, start, end, _fax_or_phone(low, start)))


def _fax_or_phone(low: str, start: int) -> str:
    fax = FAX_CUE.search(low, max(0, start - 24), start)
    if fax and not PHONE_CUE.search(low, fax.end(), start):  # "Fax: ..." unless "fax ... phone ..." came closer
        return "fax"
    return "phone"


def _in_context(low: str, start: int, cands: Cands) -> bool:
    """A phone word or a relative in the words before `start`, or another phone number ending just before it."""
    if _CONTEXT.search(low, max(0, start - _WINDOW), start):
        return True
    return any(c[3] in ("phone", "fax") and 0 <= start - c[2] <= _WINDOW for c in cands[-3:])


def _nanp_shape(digits: str) -> bool:
    """Ten digits (after a leading 1) whose area code and exchange start 2-9."""
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return len(digits) == 10 and digits[0] > "1" and digits[3] > "1"


def shaped(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
    """Number-pass handler: the shape of a phone number ('(312) 555-0187', '212- 476- 8356', '+44 20 7946 0958').

    Valid by the metadata: a phone. Of NANP shape but not in the metadata (unassigned area codes): a phone only in a
    phone context.
    """
    value = m.group()
    start, end = m.span()
    if phone_ok(value):
        cands.append((0.9, start, end, _fax_or_phone(low, start)))
        return
    digits = "".join(filter(str.isdigit, re.split(r"x|ext", value.lower())[0]))
    if not value.startswith("+") and _nanp_shape(digits) and _in_context(low, start, cands):
        cands.append((0.8, start, end, _fax_or_phone(low, start)))


def local(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
    """Number-pass handler: '671-9309' and '202 2671093' are phones in a phone context, ranges otherwise."""
    value = m.group()
    digits = "".join(filter(str.isdigit, value))
    first = digits[-7]  # the exchange
    if first > "1" and (len(digits) == 7 or _nanp_shape(digits)) and _in_context(low, m.start(), cands):
        cands.append((0.75, m.start(), m.end(), _fax_or_phone(low, m.start())))


def pager(low: str, start: int, end: int, cands: Cands) -> bool:
    """'Pager 54321', 'beeper number 55037', 'PG 23456': a 4-6 digit number right after a pager word."""
    if _PAGER_CUE.search(low, max(0, start - 20), start):
        cands.append((0.8, start, end, "phone"))
        return True
    return False
