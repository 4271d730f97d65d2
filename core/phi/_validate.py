"""Validators: a candidate that a pattern found becomes a finding only if it passes the checks its kind allows.

Each function takes the matched text (or its parts) and answers cheaply; they are called on candidates only, never
on the whole note. The rules and their sources:

- SSN (SSA, "randomization" since 2011): area not 000, 666 or 900-999; group not 00; serial not 0000. The area
  900-999 is the IRS's: an ITIN has group 50-65, 70-88, 90-92 or 94-99. Numbers printed as examples for decades
  (078-05-1120 from the Woolworth wallet insert, 219-09-9999 from an SSA pamphlet, 123-45-6789) are `sample`.
- Luhn (ISO/IEC 7812) for payment cards; card prefixes from the issuer ranges still in use.
- DEA registration: two letters and seven digits; the last digit is (d1+d3+d5 + 2*(d2+d4+d6)) mod 10.
- VIN (49 CFR 565): 17 characters without I, O, Q; position 9 is the check digit (transliterated weights).
- Dates are real calendar dates; a two-digit year is read as 19xx/20xx; four-digit years 1880-2099.
"""

from __future__ import annotations

import ipaddress
from datetime import date

from core.checksums import luhn_valid

SAMPLE_SSNS = frozenset({"078051120", "219099999", "123456789", "111111111", "987654320"})
SAMPLE_SCORE = 0.5  # a sample SSN is still redacted, with a score that tells a reviewer


def ssn_kind(area: str, group: str, serial: str) -> str | None:
    """'ssn', 'itin', 'sample' or None (not an issuable number)."""
    if area + group + serial in SAMPLE_SSNS:
        return "sample"
    if area[0] == "9":
        g = int(group)
        if 50 <= g <= 65 or 70 <= g <= 88 or 90 <= g <= 92 or 94 <= g <= 99:
            return "itin"
        return None
    if area in ("000", "666") or group == "00" or serial == "0000":
        return None
    return "ssn"


def card_ok(digits: str) -> bool:
    """A payment card number: an issuer prefix, a length that issuer uses, and the Luhn check."""
    n = len(digits)
    if not 13 <= n <= 19 or not luhn_valid(digits):
        return False
    head2, head4 = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return n in (13, 16, 19)
    if 51 <= head2 <= 55 or 2221 <= head4 <= 2720:  # Mastercard
        return n == 16
    if head2 in (34, 37):  # American Express
        return n == 15
    if digits.startswith("6011") or head2 == 65 or 644 <= int(digits[:3]) <= 649:  # Discover
        return n in (16, 19)
    if 3528 <= head4 <= 3589:  # JCB
        return 16 <= n <= 19
    return head2 in (36, 38, 30) and n == 14  # Diners Club


_DEA_FIRST = frozenset("ABCDEFGHJKLMPRSTUX")


def dea_ok(value: str) -> bool:
    """DEA registration number (e.g. AB1234563): registrant letter, a letter or 9, seven digits with a check digit."""
    if len(value) != 9 or not value[2:].isdigit():
        return False
    first, second = value[0].upper(), value[1].upper()
    if first not in _DEA_FIRST or not (second.isalpha() or second == "9"):
        return False
    d = [ord(c) - 48 for c in value[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


_VIN_VALUES = dict(zip("0123456789", range(10), strict=True))
_VIN_VALUES.update(zip("ABCDEFGH", range(1, 9), strict=True))
_VIN_VALUES.update(zip("JKLMN", range(1, 6), strict=True))
_VIN_VALUES.update({"P": 7, "R": 9})
_VIN_VALUES.update(zip("STUVWXYZ", range(2, 10), strict=True))
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_ok(value: str) -> bool:
    """A 17-character VIN whose ninth character is its check digit (0-9 or X for 10)."""
    vin = value.upper()
    if len(vin) != 17:
        return False
    try:
        total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    except KeyError:  # I, O, Q or punctuation
        return False
    check = total % 11
    return vin[8] == ("X" if check == 10 else str(check))


def ipv4_ok(value: str) -> bool:
    parts = value.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) <= 255 and (p == "0" or p[0] != "0") for p in parts)


def ipv6_ok(value: str) -> bool:
    try:
        return ipaddress.ip_address(value).version == 6
    except ValueError:
        return False


def full_year(year: str) -> int | None:
    """Four-digit years 1880-2099 as they are; two-digit years as 19xx/20xx (pivot: 30 → 1930, 29 → 2029)."""
    y = int(year)
    if len(year) == 2:
        return 2000 + y if y < 30 else 1900 + y
    if len(year) == 4 and 1880 <= y <= 2099:
        return y
    return None


def real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def month_day_ok(month: int, day: int) -> bool:
    """A day that exists in that month in some year (Feb 29 included)."""
    return 1 <= month <= 12 and real_date(2000, month, day)
