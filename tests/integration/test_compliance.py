"""The compliance service over HTTP: /log_access (seed fields, flags, alerts), /scan_pii, the review API, roles and
bad input — on real PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from compliance import ComplianceSettings, create_app
from core import auth
from core.auth import Role
from core.db import Database


@pytest.fixture
def compliance(service_url: str, build_app):  # type: ignore[no-untyped-def]
    settings = ComplianceSettings.from_env({**os.environ, "POSTGRES_URL": service_url})
    return build_app(create_app, settings).test_client()


@pytest.fixture
def as_role(db: Database) -> Callable[[Role], dict[str, str]]:
    def headers(role: Role) -> dict[str, str]:
        token = auth.issue_token(db, f"{role.value}-{os.urandom(4).hex()}", role)
        return {"Authorization": f"Bearer {token}"}

    return headers


def _access(**overrides: Any) -> dict[str, Any]:
    body = {
        "user_id": f"nurse-{os.urandom(3).hex()}",
        "resource": "patient/123/chart",
        "action": "view",
        "success": True,
        "ip_address": "10.0.0.7",
    }
    body.update(overrides)
    return body


def test_log_access_answers_the_seed_fields(compliance, as_role, db) -> None:  # type: ignore[no-untyped-def]
    body = _access(action="export")
    response = compliance.post("/log_access", json=body, headers=as_role(Role.SERVICE))
    assert response.status_code == 200, response.json
    out = response.json
    for key in ("user_id", "resource", "action", "success", "ip_address"):
        assert out[key] == body[key]
    assert {"audit_id", "timestamp", "compliance_flags"} <= set(out)
    assert "PHI_EXPORT" in out["compliance_flags"]
    assert [a["rule"] for a in out["alerts"]] == ["PHI_EXPORT"]
    row = db.fetchone("SELECT * FROM audit_log WHERE audit_id = %s", (out["audit_id"],))
    assert row["user_id"] == body["user_id"] and row["seq"] == out["seq"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"user_id": ""}, "user_id"),
        ({"success": "yes"}, "success"),
        ({"success": None}, "success"),
        ({"action": "DROP TABLE"}, "action"),
        ({"ip_address": "999.1.1.1"}, "ip_address"),
        ({"resource": "x" * 513}, "resource"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_access_reports_are_400_naming_the_field(compliance, as_role, change, field) -> None:  # type: ignore[no-untyped-def]
    response = compliance.post("/log_access", json=_access(**change), headers=as_role(Role.SERVICE))
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]


def test_missing_fields_are_named(compliance, as_role) -> None:  # type: ignore[no-untyped-def]
    response = compliance.post("/log_access", json={"user_id": "u"}, headers=as_role(Role.SERVICE))
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"resource", "action", "success"}


def test_scan_pii_finds_spans_and_redacts_without_storing(compliance, as_role, db) -> None:  # type: ignore[no-untyped-def]
    text = "Pt Jane Doe, DOB 03/14/1962, SSN 219-09-9999, call 217-555-0147. BP 142/88, A1c 7.2."
    before = db.fetchone("SELECT count(*) AS n FROM audit_log")["n"]
    response = compliance.post("/scan_pii", json={"content": text, "redact": True}, headers=as_role(Role.CLINICIAN))
    assert response.status_code == 200, response.json
    out = response.json
    assert out["violations_found"] is True
    found = {(f["type"], text[f["start"] : f["end"]]) for f in out["findings"]}
    assert ("ssn", "219-09-9999") in found
    assert ("date_of_birth", "03/14/1962") in found
    assert ("phone", "217-555-0147") in found
    assert ("name", "Jane Doe") in found
    assert not any(text[f["start"] : f["end"]] == "142/88" for f in out["findings"])
    severities = {d["type"]: d["severity"] for d in out["violation_details"]}
    assert severities["ssn"] == "high" and severities["name"] == "high"  # a name with a birth date
    assert "219-09-9999" not in out["redacted_content"] and "[SSN]" in out["redacted_content"]
    assert "142/88" in out["redacted_content"]
    rows = db.fetchall(
        "SELECT details FROM audit_log ORDER BY seq DESC LIMIT %s",
        (db.fetchone("SELECT count(*) AS n FROM audit_log")["n"] - before,),
    )
    assert all("219-09-9999" not in str(r["details"]) and "Jane" not in str(r["details"]) for r in rows)


def test_scan_pii_with_nothing_found(compliance, as_role) -> None:  # type: ignore[no-untyped-def]
    out = compliance.post(
        "/scan_pii", json={"content": "BP 120/80, HR 72, metformin 500 mg BID."}, headers=as_role(Role.SERVICE)
    ).json
    assert out["violations_found"] is False and out["violation_details"] == [] and out["findings"] == []


def test_scan_pii_bad_input(compliance, as_role) -> None:  # type: ignore[no-untyped-def]
    headers = as_role(Role.SERVICE)
    assert compliance.post("/scan_pii", json={"text": "x"}, headers=headers).json["error"]["fields"].keys() >= {
        "content"
    }
    assert compliance.post("/scan_pii", json={"content": 5}, headers=headers).status_code == 400
    too_long = compliance.post("/scan_pii", json={"content": "a" * 1_000_001}, headers=headers)
    assert too_long.status_code == 400 and "content" in too_long.json["error"]["fields"]


def test_alerts_are_listed_ranked_and_resolved_with_who_and_why(compliance, as_role, db) -> None:  # type: ignore[no-untyped-def]
    service = as_role(Role.SERVICE)
    user = f"clerk-{os.urandom(3).hex()}"
    compliance.post("/log_access", json=_access(user_id=user, action="download"), headers=service)
    for _ in range(5):
        compliance.post("/log_access", json=_access(user_id=user, success=False), headers=service)
    officer = as_role(Role.COMPLIANCE)
    listed = compliance.get(f"/alerts?user_id={user}", headers=officer).json["alerts"]
    assert [a["alert_type"] for a in listed] == ["FAILED_ACCESS_BURST", "PHI_EXPORT"]  # high before medium
    target = listed[0]["alert_id"]
    resolved = compliance.post(
        f"/alerts/{target}/resolve",
        json={"note": "locked out after password change"},
        headers={**officer, "X-Request-ID": f"res-{target[:8]}"},
    )
    assert resolved.status_code == 200, resolved.json
    assert resolved.json["status"] == "resolved" and resolved.json["resolution_note"].startswith("locked out")
    assert resolved.json["resolved_by"].startswith("compliance-")
    again = compliance.post(f"/alerts/{target}/resolve", json={"note": "again"}, headers=officer)
    assert again.status_code == 409
    audit_row = db.fetchone("SELECT * FROM audit_log WHERE request_id = %s", (f"res-{target[:8]}",))
    assert audit_row["action"] == "resolve" and audit_row["resource_id"] == target
    open_only = compliance.get(f"/alerts?user_id={user}", headers=officer).json["alerts"]
    assert [a["alert_type"] for a in open_only] == ["PHI_EXPORT"]
    assert (
        compliance.post(
            "/alerts/00000000-0000-0000-0000-000000000000/resolve", json={"note": "x"}, headers=officer
        ).status_code
        == 404
    )
    assert compliance.post(f"/alerts/{target}/resolve", json={"note": ""}, headers=officer).status_code == 400
    assert compliance.get("/alerts?status=maybe", headers=officer).status_code == 400


def test_audit_search_pages_in_chain_order(compliance, as_role) -> None:  # type: ignore[no-untyped-def]
    service = as_role(Role.SERVICE)
    user = f"tech-{os.urandom(3).hex()}"
    made = [
        compliance.post("/log_access", json=_access(user_id=user, resource=f"patient/{i}"), headers=service).json
        for i in range(5)
    ]
    officer = as_role(Role.COMPLIANCE)
    first = compliance.get(f"/audit?user_id={user}&limit=3", headers=officer).json
    assert [e["audit_id"] for e in first["entries"]] == [m["audit_id"] for m in made[:3]]
    rest = compliance.get(f"/audit?user_id={user}&limit=3&after_seq={first['next_after_seq']}", headers=officer).json
    assert [e["audit_id"] for e in rest["entries"]] == [m["audit_id"] for m in made[3:]]
    assert rest["next_after_seq"] is None
    one = compliance.get(f"/audit?user_id={user}&resource=patient/2", headers=officer).json["entries"]
    assert [e["resource_id"] for e in one] == ["patient/2"]
    future = compliance.get(f"/audit?user_id={user}&since=2999-01-01T00:00:00Z", headers=officer).json
    assert future["entries"] == []
    assert compliance.get("/audit?since=yesterday", headers=officer).status_code == 400
    assert compliance.get("/audit?after_seq=-1", headers=officer).status_code == 400
    newest = compliance.get(f"/audit?user_id={user}&limit=3&order=newest", headers=officer).json
    assert [e["audit_id"] for e in newest["entries"]] == [m["audit_id"] for m in reversed(made[2:])]
    older = compliance.get(
        f"/audit?user_id={user}&limit=3&order=newest&before_seq={newest['next_before_seq']}", headers=officer
    ).json
    assert [e["audit_id"] for e in older["entries"]] == [m["audit_id"] for m in reversed(made[:2])]
    assert older["next_before_seq"] is None and "next_after_seq" not in older
    assert compliance.get("/audit?order=sideways", headers=officer).status_code == 400


def test_audit_search_by_action_and_outcome(compliance, as_role) -> None:  # type: ignore[no-untyped-def]
    service = as_role(Role.SERVICE)
    user = f"desk-{os.urandom(3).hex()}"
    for action, success in (("view", True), ("view", False), ("export", True)):
        compliance.post("/log_access", json=_access(user_id=user, action=action, success=success), headers=service)
    officer = as_role(Role.COMPLIANCE)

    def found(query: str) -> list[tuple[str, str]]:
        entries = compliance.get(f"/audit?user_id={user}&{query}", headers=officer).json["entries"]
        return [(e["action"], e["outcome"]) for e in entries]

    assert found("action=view") == [("view", "success"), ("view", "failure")]
    assert found("outcome=failure") == [("view", "failure")]
    assert found("action=export&outcome=success") == [("export", "success")]
    bad = compliance.get("/audit?outcome=maybe", headers=officer)
    assert bad.status_code == 400 and "outcome" in bad.json["error"]["fields"]


def test_daily_activity_counts_accesses_refusals_and_alerts(compliance, as_role) -> None:  # type: ignore[no-untyped-def]
    officer = as_role(Role.COMPLIANCE)
    before = compliance.get("/audit/daily?days=3", headers=officer).json["days"]
    assert len(before) == 3 and before[0]["day"] < before[-1]["day"]
    service = as_role(Role.SERVICE)
    compliance.post("/log_access", json=_access(success=False), headers=service)
    compliance.post("/log_access", json=_access(action="export"), headers=service)  # raises a PHI_EXPORT alert
    after = compliance.get("/audit/daily?days=3", headers=officer).json["days"]
    today, was = after[-1], before[-1]
    assert today["day"] == was["day"]
    # Each report is one row; each GET /audit/daily above is audited too (one row each).
    assert today["accesses"] >= was["accesses"] + 3
    assert today["not_successful"] >= was["not_successful"] + 1
    assert today["alerts"] >= was["alerts"] + 1
    assert len(compliance.get("/audit/daily", headers=officer).json["days"]) == 30
    for days in ("0", "367", "x"):
        assert compliance.get(f"/audit/daily?days={days}", headers=officer).status_code == 400


def test_audit_verify_and_fhir_audit_event(compliance, as_role) -> None:  # type: ignore[no-untyped-def]
    made = compliance.post("/log_access", json=_access(success=False), headers=as_role(Role.SERVICE)).json
    officer = as_role(Role.COMPLIANCE)
    verified = compliance.get("/audit/verify", headers=officer).json
    assert verified["ok"] is True and verified["rows_checked"] >= 1 and len(verified["head_hash"]) == 64
    plain = compliance.get(f"/audit/{made['audit_id']}", headers=officer)
    assert plain.json["seq"] == made["seq"]
    fhir = compliance.get(f"/audit/{made['audit_id']}", headers={**officer, "Accept": "application/fhir+json"})
    assert fhir.mimetype == "application/fhir+json"
    from fhir.resources.R4B.auditevent import AuditEvent

    event = AuditEvent.model_validate(fhir.json)
    assert event.action == "R" and event.outcome == "4"
    assert event.agent[0].who.identifier.value == made["user_id"]
    assert event.agent[0].network.address == "10.0.0.7"
    assert event.entity[0].what.identifier.value == "patient/123/chart"
    assert compliance.get("/audit/not-a-uuid", headers=officer).status_code == 404


ENDPOINTS = [
    ("post", "/log_access", {Role.SERVICE, Role.COMPLIANCE}),
    ("post", "/scan_pii", {Role.CLINICIAN, Role.BILLING, Role.COMPLIANCE, Role.SERVICE}),
    ("get", "/alerts", {Role.COMPLIANCE}),
    ("post", "/alerts/00000000-0000-0000-0000-000000000000/resolve", {Role.COMPLIANCE}),
    ("get", "/audit", {Role.COMPLIANCE}),
    ("get", "/audit/verify", {Role.COMPLIANCE}),
    ("get", "/audit/daily", {Role.COMPLIANCE}),
    ("get", "/audit/00000000-0000-0000-0000-000000000000", {Role.COMPLIANCE}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), ENDPOINTS)
def test_roles_on_every_endpoint(compliance, as_role, method, path, allowed) -> None:  # type: ignore[no-untyped-def]
    call = getattr(compliance, method)
    assert call(path, json={}).status_code == 401
    for role in Role:
        status = call(path, json={}, headers=as_role(role)).status_code
        if role in allowed or role is Role.ADMIN:
            assert status not in (401, 403), (role, path)
        else:
            assert status == 403, (role, path)


def test_a_clinic_may_keep_place_names_in_scanned_text(service_url, build_app, as_role, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Facilities, organizations and cities are found and redacted by default; `phi_keep` in compliance.yml leaves
    the ones a clinic lists in the text — and no other kind of identifier can be listed."""
    from pathlib import Path

    text = "Transferred from Holy Cross Hospital. Wife, Rosalind, lives in Scranton. Works at Ridgeway Foods."
    default = build_app(create_app, ComplianceSettings.from_env({**os.environ, "POSTGRES_URL": service_url}))
    body = (
        default.test_client()
        .post("/scan_pii", json={"content": text, "redact": True}, headers=as_role(Role.CLINICIAN))
        .get_json()
    )
    assert {"facility", "city", "name"} <= {f["type"] for f in body["findings"]}
    assert "Holy Cross" not in body["redacted_content"] and "Scranton" not in body["redacted_content"]

    rules = Path("config/compliance.yml").read_text().replace("phi_keep: []", "phi_keep: [facility, city]")
    kept_file = tmp_path / "compliance.yml"
    kept_file.write_text(rules)
    env = {**os.environ, "POSTGRES_URL": service_url, "INTELLUXE_COMPLIANCE_FILE": str(kept_file)}
    kept = build_app(create_app, ComplianceSettings.from_env(env))
    body = (
        kept.test_client()
        .post("/scan_pii", json={"content": text, "redact": True}, headers=as_role(Role.CLINICIAN))
        .get_json()
    )
    assert {f["type"] for f in body["findings"]} & {"facility", "city"} == set()
    assert "Holy Cross Hospital" in body["redacted_content"] and "Scranton" in body["redacted_content"]
    assert "Rosalind" not in body["redacted_content"]  # names are never kept

    kept_file.write_text(rules.replace("phi_keep: [facility, city]", "phi_keep: [name]"))
    with pytest.raises(Exception, match="only place names can"):
        build_app(create_app, ComplianceSettings.from_env(env))
