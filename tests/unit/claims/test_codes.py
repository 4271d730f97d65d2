import pytest

from core.claims.codes import icd10_problem, is_procedure_code, npi_is_valid


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("99213", True),
        ("0001U", True),
        ("0503T", True),
        ("G0442", True),
        ("J3490", True),
        ("9921", False),
        ("992130", False),
        ("W1234", False),
        ("99213X", False),
        ("", False),
    ],
)
def test_procedure_codes(code: str, ok: bool) -> None:
    assert is_procedure_code(code) is ok


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("E11.9", None),
        ("E119", None),
        ("U07.1", None),
        ("Z00.00", None),
        ("E11", "is a category"),
        ("E11.99", "is not in the ICD-10-CM code set"),
        ("11.9", "is not shaped"),
    ],
)
def test_icd10(code: str, problem: str | None) -> None:
    found = icd10_problem(code)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(
    ("npi", "ok"),
    [
        ("1234567893", True),
        ("1245319599", True),
        ("1234567890", False),
        ("123456789", False),
        ("12345678931", False),
        ("abcdefghij", False),
    ],
)
def test_npi_check_digit(npi: str, ok: bool) -> None:
    assert npi_is_valid(npi) is ok
