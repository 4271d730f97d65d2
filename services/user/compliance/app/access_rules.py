"""compliance's domain step: record an access in the audit chain, flag it, and raise ranked, de-duplicated alerts.

Theory of operation:
- An access reported by an outside app (`POST /log_access`) becomes one row of the hash-chained audit log. Its
  compliance flags (PHI_EXPORT, BULK_ACCESS, AFTER_HOURS, FAILED_ACCESS) are computed from the event alone.
- Rules then look at windows of the log for that user only, through the (user_id, created_at) indexes — a range
  scan of at most a window's rows, never a query over the whole table. They run in the same transaction as the
  append, which holds the audit append lock, so two concurrent events cannot both see "50" and the count at the
  51st event is exact.
- An alert is one row per user and rule while open: a repeat adds its audit id to the evidence, counts, and every
  `escalate_every` events raises the severity one level, instead of a new row per event. Studies of access-alert
  systems find most single flags have clinical explanations; ranking and folding them keeps the list readable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app
from psycopg2.extras import Json
from pydantic import BaseModel, ConfigDict, Field, field_validator

from core import audit
from core.yaml_config import ConfigFileError, load_model

from .settings import ComplianceSettings

log = logging.getLogger(__name__)

SEVERITIES = ("low", "medium", "high", "critical")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Severity = Literal["low", "medium", "high", "critical"]


# What a clinic may choose to leave in scanned text: the names of places, which identify a patient only with other
# facts. Every other identifier is always reported and redacted.
KEEPABLE_PHI_TYPES = frozenset({"facility", "organization", "city"})


class ComplianceConfigError(ConfigFileError):
    """config/compliance.yml is wrong; the message names the field."""


# --------------------------------------------------------------------------------------------------- config


class _Hours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: time
    end: time
    days: list[str] = Field(min_length=1)

    @field_validator("days")
    @classmethod
    def _days(cls, days: list[str]) -> list[str]:
        bad = [d for d in days if d not in DAYS]
        if bad:
            raise ValueError(f"unknown days {bad}; use {', '.join(DAYS)}")
        return days


class _Excessive(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_minutes: int = Field(gt=0)
    max_accesses: int = Field(gt=0)
    severity: Severity = "medium"


class _Failed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_minutes: int = Field(gt=0)
    max_failures: int = Field(gt=0)
    severity: Severity = "high"


class _Simple(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severity: Severity = "medium"


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    excessive_access: _Excessive
    failed_access_burst: _Failed
    after_hours_bulk_access: _Simple
    phi_export: _Simple


class ComplianceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str
    clinic_hours: _Hours
    rules: _Rules
    escalate_every: int = Field(default=10, gt=0)
    export_actions: list[str] = Field(default_factory=lambda: ["export", "download"])
    bulk_actions: list[str] = Field(default_factory=lambda: ["bulk_access"])
    # Place types /scan_pii leaves in the text (not reported, not redacted); the default redacts them all.
    phi_keep: frozenset[str] = frozenset()

    @field_validator("phi_keep")
    @classmethod
    def _keep(cls, value: frozenset[str]) -> frozenset[str]:
        bad = sorted(value - KEEPABLE_PHI_TYPES)
        if bad:
            raise ValueError(f"{bad} cannot be kept; only place names can: {sorted(KEEPABLE_PHI_TYPES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like America/Chicago)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_after_hours(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        hours = self.clinic_hours
        if DAYS[local.weekday()] not in hours.days:
            return True
        return not (hours.start <= local.time().replace(tzinfo=None) < hours.end)


def load_config(path: Path | None = None) -> ComplianceConfig:
    """The rules file (default ComplianceSettings.compliance_file: config/compliance.yml or
    INTELLUXE_COMPLIANCE_FILE); ComplianceConfigError naming the field when it is wrong."""
    path = path or ComplianceSettings.from_env().compliance_file
    return load_model(path, ComplianceConfig, ComplianceConfigError)


# --------------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class AccessEvent:
    user_id: str
    resource: str
    action: str
    success: bool
    ip_address: str | None
    reported_by: str
    request_id: str | None = None


@dataclass
class AccessResult:
    audit: audit.AuditRecord
    flags: list[str]
    alerts: list[dict[str, Any]] = field(default_factory=list)


def compliance_flags(event: AccessEvent, at: datetime, config: ComplianceConfig) -> list[str]:
    """The seed's PHI_EXPORT and BULK_ACCESS, plus AFTER_HOURS and FAILED_ACCESS."""
    flags = []
    action = event.action.lower()
    if action in config.export_actions and "patient" in event.resource.lower():
        flags.append("PHI_EXPORT")
    if action in config.bulk_actions:
        flags.append("BULK_ACCESS")
    if config.is_after_hours(at):
        flags.append("AFTER_HOURS")
    if not event.success:
        flags.append("FAILED_ACCESS")
    return flags


def _resource_type(resource: str) -> str:
    head = resource.strip("/").split("/", 1)[0].strip()
    return head[:64] or "resource"


def record_access(cur, event: AccessEvent, config: ComplianceConfig, *, at: datetime) -> AccessResult:  # type: ignore[no-untyped-def]
    """Append the access to the audit chain and run the rules, all in the caller's transaction."""
    flags = compliance_flags(event, at, config)
    record = audit.append_in(
        cur,
        audit.AuditEvent(
            service="compliance",
            user_id=event.user_id,
            action=event.action,
            resource_type=_resource_type(event.resource),
            resource_id=event.resource,
            outcome="success" if event.success else "failure",
            client_ip=event.ip_address,
            request_id=event.request_id,
            details={"reported_by": event.reported_by, "flags": flags},
        ),
        at=at,
    )
    alerts = []
    for rule, severity, evidence in _triggered(cur, event, flags, record, config, at):
        alerts.append(_raise_alert(cur, rule, event.user_id, severity, evidence, at, config))
    return AccessResult(record, flags, alerts)


def _count(cur, user_id: str, since: datetime, until: datetime, *, failed_only: bool = False) -> int:  # type: ignore[no-untyped-def]
    failed = " AND outcome <> 'success'" if failed_only else ""  # a fixed clause: the partial index serves it
    cur.execute(
        f"SELECT count(*) AS n FROM audit_log WHERE user_id = %s AND created_at > %s AND created_at <= %s{failed}",  # noqa: S608
        (user_id, since, until),
    )
    row = cur.fetchone()
    return int(row["n"] if isinstance(row, dict) else row[0])


def _triggered(
    cur,
    event: AccessEvent,
    flags: list[str],
    record: audit.AuditRecord,
    config: ComplianceConfig,  # type: ignore[no-untyped-def]
    at: datetime,
) -> list[tuple[str, str, dict[str, Any]]]:
    rules = config.rules
    hits: list[tuple[str, str, dict[str, Any]]] = []
    evidence = {"audit_id": record.audit_id, "seq": record.seq, "flags": flags}
    window = timedelta(minutes=rules.excessive_access.window_minutes)
    # Within any window ending at this event: (at - window, at]. Events exactly `window` apart are not together.
    count = _count(cur, event.user_id, at - window, at)
    if count > rules.excessive_access.max_accesses:
        hits.append(
            (
                "SUSPICIOUS_ACTIVITY",
                rules.excessive_access.severity,
                {**evidence, "accesses_in_window": count, "window_minutes": window.seconds // 60},
            )
        )
    if not event.success:
        failed_window = timedelta(minutes=rules.failed_access_burst.window_minutes)
        failures = _count(cur, event.user_id, at - failed_window, at, failed_only=True)
        if failures >= rules.failed_access_burst.max_failures:
            hits.append(
                (
                    "FAILED_ACCESS_BURST",
                    rules.failed_access_burst.severity,
                    {**evidence, "failures_in_window": failures},
                )
            )
    if "BULK_ACCESS" in flags and "AFTER_HOURS" in flags:
        hits.append(("AFTER_HOURS_BULK_ACCESS", rules.after_hours_bulk_access.severity, evidence))
    if "PHI_EXPORT" in flags:
        hits.append(("PHI_EXPORT", rules.phi_export.severity, evidence))
    return hits


def _escalated(base: str, events: int, every: int) -> str:
    level = min(SEVERITIES.index(base) + (events - 1) // every, len(SEVERITIES) - 1)
    return SEVERITIES[level]


MAX_EVIDENCE = 200  # the newest audit ids kept on an alert; the count keeps going


def _raise_alert(
    cur,
    rule: str,
    user_id: str,
    base_severity: str,
    evidence: dict[str, Any],
    at: datetime,  # type: ignore[no-untyped-def]
    config: ComplianceConfig,
) -> dict[str, Any]:
    cur.execute(
        "SELECT alert_id, created_at, event_count, details FROM security_alerts "
        "WHERE user_id = %s AND alert_type = %s AND status = 'open' FOR UPDATE",
        (user_id, rule),
    )
    row = cur.fetchone()
    if row is None:
        severity = base_severity
        details = {"rule": rule, "base_severity": base_severity, "evidence": [evidence]}
        cur.execute(
            """
            INSERT INTO security_alerts (alert_type, user_id, details, status, created_at, severity, event_count,
                                         last_seen_at)
            VALUES (%s, %s, %s, 'open', %s, %s, 1, %s) RETURNING alert_id
            """,
            (rule, user_id, Json(details), at, severity, at),
        )
        alert_id, count, new = str(cur.fetchone()["alert_id"]), 1, True
    else:
        count = row["event_count"] + 1
        details = dict(row["details"])
        details["evidence"] = ([*details.get("evidence", []), evidence])[-MAX_EVIDENCE:]
        severity = _escalated(details.get("base_severity", base_severity), count, config.escalate_every)
        cur.execute(
            """
            UPDATE security_alerts SET details = %s, event_count = %s, severity = %s, last_seen_at = %s
            WHERE alert_id = %s AND created_at = %s
            """,
            (Json(details), count, severity, at, row["alert_id"], row["created_at"]),
        )
        alert_id, new = str(row["alert_id"]), False
    # A structured warning for the service log: rule, severity, ids — never the resource or other PHI.
    log.warning(
        "security alert rule=%s severity=%s alert_id=%s events=%d new=%s audit_id=%s",
        rule,
        severity,
        alert_id,
        count,
        new,
        evidence["audit_id"],
    )
    return {"alert_id": alert_id, "rule": rule, "severity": severity, "event_count": count, "new": new}


def init_app(app: Flask, rules: ComplianceConfig) -> None:
    app.extensions["compliance.rules"] = rules


def current_rules() -> ComplianceConfig:
    return current_app.extensions["compliance.rules"]
