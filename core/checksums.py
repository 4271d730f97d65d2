"""Check digits of the identifiers the suite validates or detects: the Luhn mod-10 scheme (payment cards, NPIs).

One implementation for claims (NPI), PHI detection (card numbers, NPIs) and the benchmark's generator, so the
three can never disagree about what is valid.
"""

from __future__ import annotations

import re

_NPI = re.compile(r"^\d{10}$")
# CMS: an NPI's check digit is the Luhn digit over the card issuer prefix 80840 followed by its first nine digits.
NPI_PREFIX = "80840"


def _luhn_sum(digits: str, *, with_check_digit: bool) -> int:
    total = 0
    # Double every second digit from the right, counting the check digit (present or to come) as the first.
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if (i % 2 == 1) == with_check_digit:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total


def luhn_valid(digits: str) -> bool:
    """True when the last digit of `digits` (ASCII digits only) is the Luhn check digit of the rest."""
    return _luhn_sum(digits, with_check_digit=True) % 10 == 0


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit to append to `digits`."""
    return (10 - _luhn_sum(digits, with_check_digit=False) % 10) % 10


def npi_is_valid(npi: str) -> bool:
    """Ten digits whose last is the Luhn check digit over the prefix 80840 + the first nine (CMS NPI standard)."""
    return bool(_NPI.match(npi)) and luhn_valid(NPI_PREFIX + npi)
