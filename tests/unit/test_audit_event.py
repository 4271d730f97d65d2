import pytest

from core.audit import AuditEvent


def test_events_refuse_unknown_outcomes_and_empty_actors() -> None:
    with pytest.raises(ValueError, match="outcome must be one of"):
        AuditEvent(service="s", user_id="u", action="read", resource_type="claim", outcome="ok")
    with pytest.raises(ValueError, match="non-empty user_id"):
        AuditEvent(service="s", user_id="", action="read", resource_type="claim", outcome="success")


def test_a_valid_event() -> None:
    event = AuditEvent(service="billing", user_id="u", action="read", resource_type="claim", outcome="denied")
    assert event.details == {}
