"""The compliance rules on real PostgreSQL, with event times under the test's control: the 50/51 boundary and
window edges, failed bursts, after-hours with time zones, export alerts, de-duplication and escalation."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.db import Database


@pytest.fixture
def rules():  # type: ignore[no-untyped-def]
    from compliance import access_rules

    return access_rules


@pytest.fixture
def config(rules):  # type: ignore[no-untyped-def]
    return rules.load_config()


def _user() -> str:
    return f"nurse-{os.urandom(4).hex()}"


def _record(
    db: Database,
    rules,
    config,
    user: str,
    at: datetime,
    *,
    action: str = "view",  # type: ignore[no-untyped-def]
    resource: str = "patient/123",
    success: bool = True,
):
    event = rules.AccessEvent(
        user_id=user, resource=resource, action=action, success=success, ip_address="10.1.2.3", reported_by="ehr"
    )
    return db.run(lambda cur: rules.record_access(cur, event, config, at=at))


def _alerts(db: Database, user: str) -> list[dict]:
    return db.fetchall("SELECT * FROM security_alerts WHERE user_id = %s ORDER BY created_at", (user,))


# A Wednesday, 10:00 in Chicago (UTC-6 in November): inside clinic hours.
DAY = datetime(2026, 11, 18, 16, 0, tzinfo=UTC)


def test_the_51st_access_within_60_minutes_raises_the_50th_does_not(db, rules, config) -> None:  # type: ignore[no-untyped-def]
    user = _user()
    for i in range(50):
        result = _record(db, rules, config, user, DAY + timedelta(seconds=60 * i))  # 50 accesses over 49 minutes
        assert result.alerts == []
    assert _alerts(db, user) == []
    result = _record(db, rules, config, user, DAY + timedelta(minutes=59, seconds=59))
    assert [a["rule"] for a in result.alerts] == ["SUSPICIOUS_ACTIVITY"]
    alert = _alerts(db, user)[0]
    assert alert["details"]["evidence"][0]["accesses_in_window"] == 51
    assert alert["severity"] == "medium" and alert["status"] == "open"


def test_events_exactly_60_minutes_apart_are_not_in_one_window(db, rules, config) -> None:  # type: ignore[no-untyped-def]
    user = _user()
    for i in range(50):
        _record(db, rules, config, user, DAY + timedelta(seconds=i))
    # The 51st comes exactly 60 minutes after the first: the first has left the window (t - 60 min, t].
    result = _record(db, rules, config, user, DAY + timedelta(minutes=60))
    assert result.alerts == []
    result = _record(db, rules, config, user, DAY + timedelta(minutes=60, seconds=0.5))
    assert result.alerts != []  # 50 events (1..49 s and 60:00) + this one = 51 within the window


def test_repeats_fold_into_one_alert_and_escalate(db, rules, config) -> None:  # type: ignore[no-untyped-def]
    user = _user()
    for i in range(51 + 25):
        _record(db, rules, config, user, DAY + timedelta(seconds=10 * i))
    alerts = _alerts(db, user)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["event_count"] == 26
    assert alert["severity"] == "critical"  # medium → high at the 11th event → critical at the 21st
    assert len(alert["details"]["evidence"]) == 26
    assert alert["details"]["evidence"][-1]["accesses_in_window"] == 76


def test_a_resolved_alert_is_followed_by_a_new_one(db, rules, config) -> None:  # type: ignore[no-untyped-def]
    user = _user()
    _record(db, rules, config, user, DAY, action="export")
    db.execute("UPDATE security_alerts SET status = 'resolved' WHERE user_id = %s", (user,))
    _record(db, rules, config, user, DAY + timedelta(minutes=1), action="export")
    assert [a["status"] for a in _alerts(db, user)] == ["resolved", "open"]


def test_a_burst_of_failures(db, rules, config) -> None:  # type: ignore[no-untyped-def]
    user = _user()
    for i in range(4):
        result = _record(db, rules, config, user, DAY + timedelta(minutes=i), success=False)
        assert "FAILED_ACCESS" in result.flags and result.alerts == []
    result = _record(db, rules, config, user, DAY + timedelta(minutes=9), success=False)
    assert [a["rule"] for a in result.alerts] == ["FAILED_ACCESS_BURST"]
    assert result.alerts[0]["severity"] == "high"


def test_failures_spread_wider_than_the_window_do_not_burst(db, rules, config) -> None:  # type: ignore[no-untyped-def]
    user = _user()
    for i in range(6):
        result = _record(db, rules, config, user, DAY + timedelta(minutes=3 * i), success=False)
    assert result.alerts == []  # at most 4 failures inside any 10 minutes


@pytest.mark.parametrize(
    ("when", "after_hours"),
    [
        (datetime(2026, 11, 18, 12, 59, tzinfo=UTC), True),  # Wed 06:59 in Chicago
        (datetime(2026, 11, 18, 13, 0, tzinfo=UTC), False),  # Wed 07:00
        (datetime(2026, 11, 19, 0, 59, tzinfo=UTC), False),  # Wed 18:59
        (datetime(2026, 11, 19, 1, 0, tzinfo=UTC), True),  # Wed 19:00
        (datetime(2026, 11, 22, 18, 0, tzinfo=UTC), True),  # Sunday noon: the clinic is closed
        (datetime(2026, 7, 15, 12, 30, tzinfo=UTC), False),  # July: UTC-5, so 07:30
        (datetime(2026, 7, 15, 11, 30, tzinfo=UTC), True),  # July 06:30
    ],
)
def test_after_hours_follows_the_clinics_time_zone(config, when: datetime, after_hours: bool) -> None:  # type: ignore[no-untyped-def]
    assert config.is_after_hours(when) is after_hours


def test_bulk_access_after_hours_raises_and_during_hours_only_flags(db, rules, config) -> None:  # type: ignore[no-untyped-def]
    user = _user()
    day = _record(db, rules, config, user, DAY, action="bulk_access", resource="patients/report")
    assert day.flags == ["BULK_ACCESS"] and day.alerts == []
    night = _record(
        db,
        rules,
        config,
        user,
        datetime(2026, 11, 19, 5, 0, tzinfo=UTC),
        action="bulk_access",
        resource="patients/report",
    )
    assert night.flags == ["BULK_ACCESS", "AFTER_HOURS"]
    assert [a["rule"] for a in night.alerts] == ["AFTER_HOURS_BULK_ACCESS"]


def test_exports_of_patient_data_flag_and_alert(db, rules, config) -> None:  # type: ignore[no-untyped-def]
    user = _user()
    result = _record(db, rules, config, user, DAY, action="download", resource="patient/77/chart")
    assert result.flags == ["PHI_EXPORT"]
    assert [a["rule"] for a in result.alerts] == ["PHI_EXPORT"]
    other = _record(db, rules, config, _user(), DAY, action="download", resource="forms/blank-intake")
    assert other.flags == [] and other.alerts == []


def test_access_rows_join_the_chain(db, rules, config) -> None:  # type: ignore[no-untyped-def]
    from core import audit

    user = _user()
    result = _record(db, rules, config, user, DAY, action="view", resource="patient/9/labs", success=False)
    row = db.fetchone("SELECT * FROM audit_log WHERE audit_id = %s", (result.audit.audit_id,))
    assert row["user_id"] == user and row["resource_type"] == "patient" and row["resource_id"] == "patient/9/labs"
    assert row["outcome"] == "failure" and row["client_ip"] == "10.1.2.3"
    assert row["details"] == {"reported_by": "ehr", "flags": ["FAILED_ACCESS"]}
    assert audit.verify(db).ok


def test_a_bad_config_names_the_field(rules, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = (Path(__file__).resolve().parents[2] / "config" / "compliance.yml").read_text()
    bad = tmp_path / "compliance.yml"
    bad.write_text(text.replace("America/Chicago", "Mars/Olympus"))
    with pytest.raises(rules.ComplianceConfigError, match="timezone: unknown time zone"):
        rules.load_config(bad)
    bad.write_text(text.replace("max_accesses: 50", "max_accesses: 0"))
    with pytest.raises(rules.ComplianceConfigError, match=r"rules\.excessive_access\.max_accesses"):
        rules.load_config(bad)
