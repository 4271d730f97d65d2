"""Telephone and fax numbers: shapes from the number pass, checked against the NANP rules and phonenumbers'
metadata, typed as fax by a fax cue just before them.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

Cands = list[tuple[float, int, int, str]]

PHONE_CUE = re.compile(r"\b(?:phone|ph|tel|telephone|cell|mobile|call|called|contact|pager|home|work|c|h|w|m)\b")
FAX_CUE = re.compile(r"\b(?:fax|facsimile|f)\b")


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


def add(low: str, start: int, end: int, value: str, cands: Cands) -> None:
    """A phone (or fax, after a fax cue) if `value` is a valid number."""
    if not phone_ok(value):
        return
    window = max(0, start - 24)
    fax = FAX_CUE.search(low, window, start)
    if fax and not PHONE_CUE.search(low, fax.end(), start):  # "Fax: ..." unless "fax ... phone ..." came closer
        cands.append((0.95, start, end, "fax"))
        return
    cands.append((0.9, start, end, "phone"))


def shaped(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
    """Number-pass handler: a number with the shape of a phone number ('(312) 555-0187', '+44 20 7946 0958')."""
    add(low, m.start(), m.end(), m.group(), cands)
