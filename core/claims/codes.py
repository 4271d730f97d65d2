"""Code-set checks for claims: CPT/HCPCS format, ICD-10-CM validity, NPI check digit, place of service.

CPT is AMA-licensed, so only its format is checked and no descriptions ship. ICD-10-CM is public: codes are looked
up in the April 2026 release carried by `simple-icd-10-cm`, and must be billable (a leaf, the most specific code).
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

from core.checksums import npi_is_valid
from core.shapes import off_shape

_CPT = re.compile(r"^\d{4}[0-9AFMTU]$")
_HCPCS = re.compile(r"^[A-V]\d{4}$")
_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
_ICD_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")

# CMS Place of Service code set (the codes in use; unassigned numbers are refused).
PLACES_OF_SERVICE = frozenset(
    "01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 31 32 33 34 41 42 49 50 51 "
    "52 53 54 55 56 57 58 60 61 62 65 66 71 72 81 99".split()
)


def is_procedure_code(code: str) -> bool:
    """CPT (five characters, the last a digit or one of A F M T U) or HCPCS Level II (a letter A-V and 4 digits)."""
    return bool(_CPT.match(code) or _HCPCS.match(code))


def _procedure_code(code: str) -> str:
    if not is_procedure_code(code):
        raise off_shape("is not a CPT (5 characters) or HCPCS Level II (letter + 4 digits) code")
    return code


def _procedure_codes(codes: list[str]) -> list[str]:
    bad = [i for i, code in enumerate(codes) if not is_procedure_code(code)]
    if bad:
        raise off_shape(f"not CPT (5 characters) or HCPCS Level II (letter + 4 digits) codes: entries {bad}")
    return codes


def _npi(value: str) -> str:
    if not (len(value) == 10 and value.isascii() and value.isdigit()):
        raise off_shape("is not a valid NPI (10 digits with a correct check digit)")
    if not npi_is_valid(value):
        raise ValueError("is not a valid NPI (10 digits with a correct check digit)")
    return value


# Validated types for request and config models: one rule, one message, wherever a code is accepted. The list form
# names the bad entries by position (a list-level field error, as the API has always reported it).
# The pattern is what the OpenAPI document shows; the validator is what decides (and names what is wrong).
PROCEDURE_CODE_PATTERN = r"^(\d{4}[0-9AFMTU]|[A-V]\d{4})$"
_CodeText = Annotated[str, WithJsonSchema({"type": "string", "pattern": PROCEDURE_CODE_PATTERN})]
ProcedureCode = Annotated[_CodeText, AfterValidator(_procedure_code)]
ProcedureCodes = Annotated[list[_CodeText], AfterValidator(_procedure_codes)]
Npi = Annotated[str, AfterValidator(_npi), WithJsonSchema({"type": "string", "pattern": r"^\d{10}$"})]
# What the documents say of a modifier and of an ICD-10-CM code's shape (the validators also check the code exists).
MODIFIER_SCHEMA = {"type": "string", "pattern": _MODIFIER.pattern}
ICD10_SCHEMA = {"type": "string", "pattern": r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$"}


def is_modifier(code: str) -> bool:
    return bool(_MODIFIER.match(code))


@cache
def _icd():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():  # its import warns about pkg_resources
        warnings.simplefilter("ignore")
        import simple_icd_10_cm

    return simple_icd_10_cm


ICD10_OFF_SHAPE = "is not shaped like an ICD-10-CM code (e.g. E11.9)"


def icd10_problem(code: str) -> str | None:
    """None for a billable ICD-10-CM code, else what is wrong with it (safe to show: a code is not PHI)."""
    if not _ICD_SHAPE.match(code):
        return ICD10_OFF_SHAPE
    icd = _icd()
    if not icd.is_valid_item(code):
        return "is not in the ICD-10-CM code set"
    if not icd.is_leaf(code):
        return "is a category, not a billable code (use a more specific child code)"
    return None


def icd10_undotted(code: str) -> str:
    """The form X12 carries (no dot): E11.9 → E119."""
    return code.replace(".", "")
