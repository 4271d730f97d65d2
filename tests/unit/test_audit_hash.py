from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.audit import GENESIS, AuditEvent, chain_hash


def _row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "seq": 1, "audit_id": "6c3f0d52-8a46-4a8f-9a52-4a0a3d0a8a11",
        "created_at": datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=UTC), "service": "billing",
        "user_id": "frontdesk", "actor_role": "billing", "action": "read", "resource_type": "claim",
        "resource_id": "CLM-1", "outcome": "success", "http_status": 200, "client_ip": "127.0.0.1",
        "request_id": "r1", "details": {"bytes": 10},
    }  # fmt: skip
    row.update(overrides)
    return row


def test_hash_is_deterministic_and_independent_of_time_zone() -> None:
    first = chain_hash(GENESIS, _row())
    eastern = datetime(2026, 11, 25, 5, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-5)))
    assert chain_hash(GENESIS, _row(created_at=eastern)) == first
    assert len(first) == 64


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", 2), ("user_id", "someone"), ("action", "update"), ("resource_id", "CLM-2"),
        ("outcome", "denied"), ("http_status", 403), ("client_ip", "10.0.0.9"), ("details", {"bytes": 11}),
        ("created_at", datetime(2026, 11, 25, 10, 0, 0, 123457, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_every_field_is_covered_by_the_hash(field: str, value: object) -> None:
    assert chain_hash(GENESIS, _row(**{field: value})) != chain_hash(GENESIS, _row())


def test_the_previous_hash_is_chained_in() -> None:
    assert chain_hash("1" * 64, _row()) != chain_hash(GENESIS, _row())


def test_events_refuse_unknown_outcomes_and_empty_actors() -> None:
    with pytest.raises(ValueError, match="outcome must be one of"):
        AuditEvent(service="s", user_id="u", action="read", resource_type="claim", outcome="ok")
    with pytest.raises(ValueError, match="non-empty user_id"):
        AuditEvent(service="s", user_id="", action="read", resource_type="claim", outcome="success")
