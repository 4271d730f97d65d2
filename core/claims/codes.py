"""Code-set checks for claims: CPT/HCPCS format, ICD-10-CM validity, NPI check digit, place of service.

CPT is AMA-licensed, so only its format is checked and no descriptions ship. ICD-10-CM is public: codes are looked
up in the April 2026 release carried by `simple-icd-10-cm`, and must be billable (a leaf, the most specific code).
"""

from __future__ import annotations

import re
import warnings
from functools import cache

_CPT = re.compile(r"^\d{4}[0-9AFMTU]$")
_HCPCS = re.compile(r"^[A-V]\d{4}$")
_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
_ICD_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
_NPI = re.compile(r"^\d{10}$")

# CMS Place of Service code set (the codes in use; unassigned numbers are refused).
PLACES_OF_SERVICE = frozenset(
    "01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 31 32 33 34 41 42 49 50 51 "
    "52 53 54 55 56 57 58 60 61 62 65 66 71 72 81 99".split()
)


def is_procedure_code(code: str) -> bool:
    """CPT (five characters, the last a digit or one of A F M T U) or HCPCS Level II (a letter A-V and 4 digits)."""
    return bool(_CPT.match(code) or _HCPCS.match(code))


def is_modifier(code: str) -> bool:
    return bool(_MODIFIER.match(code))


@cache
def _icd():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():  # its import warns about pkg_resources
        warnings.simplefilter("ignore")
        import simple_icd_10_cm

    return simple_icd_10_cm


def icd10_problem(code: str) -> str | None:
    """None for a billable ICD-10-CM code, else what is wrong with it (safe to show: a code is not PHI)."""
    if not _ICD_SHAPE.match(code):
        return "is not shaped like an ICD-10-CM code (e.g. E11.9)"
    icd = _icd()
    if not icd.is_valid_item(code):
        return "is not in the ICD-10-CM code set"
    if not icd.is_leaf(code):
        return "is a category, not a billable code (use a more specific child code)"
    return None


def icd10_undotted(code: str) -> str:
    """The form X12 carries (no dot): E11.9 → E119."""
    return code.replace(".", "")


def npi_is_valid(npi: str) -> bool:
    """Ten digits whose last is the Luhn check digit over the prefix 80840 + the first nine (CMS NPI standard)."""
    if not _NPI.match(npi):
        return False
    digits = [int(d) for d in "80840" + npi[:-1]]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[-1])
