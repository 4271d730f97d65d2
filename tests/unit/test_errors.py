"""The one error table: each code's status agrees with whose fault it is, and a typo in a code is a bug (500)."""

import pytest

from core.errors import ERRORS, ApiError, Fault, api_error, invalid


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_status_agrees_with_fault(code: str) -> None:
    kind = ERRORS[code]
    expected = {Fault.CLIENT: range(400, 500), Fault.DEPENDENCY: (502, 503, 504), Fault.SERVER: (500,)}[kind.fault]
    assert kind.status in expected
    assert kind.message and "{" not in kind.message


def test_raising_by_code_takes_status_and_default_message_from_the_table() -> None:
    error = api_error("not_found")
    assert (error.status, error.message, error.fields) == (404, ERRORS["not_found"].message, {})
    named = invalid(payer_id="unknown payer")
    assert (named.code, named.status, named.fields) == ("validation_error", 400, {"payer_id": "unknown payer"})


def test_a_subclass_fixes_its_code_and_takes_a_message() -> None:
    class NotExportable(ApiError):
        code = "not_exportable"

    error = NotExportable("no diagnosis")
    assert (error.code, error.status, error.message) == ("not_exportable", 422, "no diagnosis")


def test_an_unknown_code_is_our_bug_not_the_callers() -> None:
    with pytest.raises(KeyError):
        api_error("no_such_code")
