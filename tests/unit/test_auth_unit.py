import pytest

from core.auth import ForbiddenError, Principal, Role, bearer_token


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer   abc  ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer    ", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_role_check_allows_listed_roles_and_admin() -> None:
    Principal("b", Role.BILLING, "1").require(Role.BILLING, Role.CLINICIAN)
    Principal("a", Role.ADMIN, "2").require(Role.BILLING)


def test_role_check_refuses_other_roles_naming_what_is_needed() -> None:
    with pytest.raises(ForbiddenError, match=r"role 'clinician' may not do this \(needs one of: billing\)"):
        Principal("c", Role.CLINICIAN, "3").require(Role.BILLING)
    assert ForbiddenError("x").status == 403


def test_unknown_role_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Role("root")
