"""Doctors' writing samples on real PostgreSQL: the compliance API (`/personalization/...`), `intelluxe personalize`,
readiness at 49 / 50, audit rows without text, and no raw identifier in the table, the audit log or the logs."""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from compliance import ComplianceSettings, create_app, personalization
from core import auth
from core.audit import AuditWriter
from core.auth import Role
from core.db import Database
from core.phi import Finding, detect
from core.training import Actor, TrainingDataCollector

# Plainly fake identifiers, unusual enough that any appearance is a leak and not a coincidence.
SECRETS = ("Zebulon", "Quixotewright", "219-09-9871", "8675309", "217-555-0147", "zebulon.q@example.org")
LETTER = (
    "Dear Dr. Healey, thank you for referring Mr. Zebulon Quixotewright (MRN 8675309), DOB 03/14/1962, whom I saw "
    "for exertional chest pain. SSN 219-09-9871. Mr. Quixotewright's echo showed preserved function; I started "
    "aspirin and a statin. He can be reached at 217-555-0147 or zebulon.q@example.org. Follow up in two weeks."
)
PLAIN_NOTE = (
    "SUBJECTIVE: 54 yo F with type 2 diabetes here for follow up, good adherence to metformin, no hypoglycemia. "
    "OBJECTIVE: BP 128/76, HR 72, A1c 7.1. ASSESSMENT: diabetes, controlled. PLAN: continue metformin, recheck A1c."
)


@pytest.fixture
def compliance(service_url: str, build_app):  # type: ignore[no-untyped-def]
    settings = ComplianceSettings.from_env({**os.environ, "POSTGRES_URL": service_url})
    return build_app(create_app, settings).test_client()


@pytest.fixture
def headers(db: Database) -> Callable[..., dict[str, str]]:
    def make(role: Role = Role.CLINICIAN, name: str | None = None) -> dict[str, str]:
        token = auth.issue_token(db, name or f"{role.value}-{os.urandom(4).hex()}", role)
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def doctor(db: Database) -> Iterator[str]:
    """A doctor of this test's own; their samples and preferences are removed afterwards (audit rows stay)."""
    doctor_id = f"dr-test-{os.urandom(4).hex()}"
    yield doctor_id
    db.execute("DELETE FROM user_writing_samples WHERE user_id = %s", (doctor_id,))
    db.execute("DELETE FROM user_preferences WHERE user_id = %s", (doctor_id,))


def _audit_rows(db: Database, doctor_id: str) -> list[dict]:  # type: ignore[type-arg]
    return db.fetchall(
        "SELECT * FROM audit_log WHERE details->>'doctor_id' = %s ORDER BY seq",
        (doctor_id,),
    )


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s.lower() in text.lower()]


def test_a_sample_is_stored_de_identified_and_audited_without_text(compliance, headers, db, doctor, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    response = compliance.post(
        "/personalization/samples",
        json={"doctor_id": doctor, "content_type": "letter", "text": LETTER},
        headers=headers(),
    )
    assert response.status_code == 201, response.json
    out = response.json
    assert _leaks(out["deidentified_text"]) == [] and "started aspirin and a statin" in out["deidentified_text"]
    assert out["sample"]["doctor_id"] == doctor and out["sample"]["content_type"] == "letter"
    assert out["sample"]["redactions"]["name"] >= 3 and out["sample"]["redactions"]["ssn"] == 1
    assert out["readiness"]["samples_collected"] == 1 and out["readiness"]["ready_for_training"] is False
    # Durable before the 201: the row is there, de-identified, as the answer said.
    row = db.fetchone("SELECT * FROM user_writing_samples WHERE sample_id = %s", (out["sample"]["sample_id"],))
    assert row["content"] == out["deidentified_text"] and _leaks(json.dumps(row, default=str)) == []
    # One audit row for the request, written with the sample, naming sizes and counts only.
    rows = _audit_rows(db, doctor)
    assert [(r["action"], r["outcome"], r["resource_id"]) for r in rows] == [
        ("store", "success", out["sample"]["sample_id"])
    ]
    assert rows[0]["service"] == "compliance" and rows[0]["actor_role"] == "clinician"
    assert _leaks(json.dumps(rows, default=str)) == [] and "aspirin" not in json.dumps(rows, default=str)
    assert _leaks(caplog.text) == []


def test_the_list_shows_no_text_and_delete_is_audited(compliance, headers, db, doctor) -> None:  # type: ignore[no-untyped-def]
    h = headers()
    ids = [
        compliance.post(
            "/personalization/samples", json={"doctor_id": doctor, "content_type": kind, "text": text}, headers=h
        ).json["sample"]["sample_id"]
        for kind, text in (("letter", LETTER), ("note", PLAIN_NOTE))
    ]
    listed = compliance.get(f"/personalization/samples?doctor_id={doctor}", headers=h)
    assert listed.status_code == 200
    samples = listed.json["samples"]
    assert [s["sample_id"] for s in samples] == ids[::-1]
    assert {"text", "content", "deidentified_text"}.isdisjoint({k for s in samples for k in s})
    assert samples[0]["words"] > 20 and samples[0]["characters"] > 100

    deleted = compliance.delete(f"/personalization/samples/{ids[0]}", headers=h)
    assert deleted.status_code == 200 and deleted.json["deleted"]["sample_id"] == ids[0]
    assert compliance.delete(f"/personalization/samples/{ids[0]}", headers=h).status_code == 404
    assert compliance.delete("/personalization/samples/not-a-uuid", headers=h).status_code == 404
    remaining = compliance.get(f"/personalization/samples?doctor_id={doctor}", headers=h).json["samples"]
    assert [s["sample_id"] for s in remaining] == [ids[1]]
    actions = [(r["action"], r["resource_id"]) for r in _audit_rows(db, doctor) if r["outcome"] == "success"]
    assert ("delete", ids[0]) in actions


def test_readiness_turns_at_fifty_and_marks_the_preference(compliance, headers, db, doctor) -> None:  # type: ignore[no-untyped-def]
    collector = TrainingDataCollector(db, AuditWriter(db))
    for i in range(49):
        collector.collect_writing_sample(doctor, f"{PLAIN_NOTE} Visit {i}.", "note", actor=Actor("cli:test"))
    h = headers()
    at_49 = compliance.get(f"/personalization/readiness/{doctor}", headers=h).json
    assert at_49 == {
        "user_id": doctor,
        "samples_collected": 49,
        "samples_needed": 50,
        "ready_for_training": False,
        "completion_percentage": 98.0,
    }
    assert collector.is_marked_ready(doctor) is False
    fiftieth = compliance.post(
        "/personalization/samples", json={"doctor_id": doctor, "content_type": "note", "text": PLAIN_NOTE}, headers=h
    )
    assert fiftieth.json["readiness"]["ready_for_training"] is True
    at_50 = compliance.get(f"/personalization/readiness/{doctor}", headers=h).json
    assert at_50["samples_collected"] == 50 and at_50["completion_percentage"] == 100.0
    pref = db.fetchone(
        "SELECT preference_data FROM user_preferences WHERE user_id = %s AND preference_type = 'personalization'",
        (doctor,),
    )
    assert pref["preference_data"]["training_ready"] is True
    # Below fifty again after a deletion: no longer ready.
    compliance.delete(f"/personalization/samples/{fiftieth.json['sample']['sample_id']}", headers=h)
    assert collector.is_marked_ready(doctor) is False


def test_identifiers_surviving_de_identification_refuse_it(compliance, headers, db, doctor, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def leaky(text: str) -> list[Finding]:
        found = detect(text)
        if "Healey" not in text:  # the second scan: something the first one missed
            start = text.index("aspirin")
            found = [*found, Finding("medical_record", start, start + 7, 0.9, "test")]
        return found

    monkeypatch.setattr(
        personalization, "TrainingDataCollector", functools.partial(TrainingDataCollector, detector=leaky)
    )
    response = compliance.post(
        "/personalization/samples",
        json={"doctor_id": doctor, "content_type": "letter", "text": LETTER},
        headers=headers(),
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "phi_remains" and error["fields"] == {"text": "medical_record"}
    assert _leaks(json.dumps(error)) == []
    assert db.fetchone("SELECT count(*) AS n FROM user_writing_samples WHERE user_id = %s", (doctor,))["n"] == 0
    rows = _audit_rows(db, doctor)
    assert [(r["action"], r["outcome"]) for r in rows] == [("store", "failure")]
    assert rows[0]["details"]["categories"] == ["medical_record"] and _leaks(json.dumps(rows, default=str)) == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"content_type": "note", "text": PLAIN_NOTE}, 400, "doctor_id"),
        ({"doctor_id": "Dr Smith", "content_type": "note", "text": PLAIN_NOTE}, 400, "doctor_id"),
        ({"doctor_id": "dr-x", "content_type": "prescription", "text": PLAIN_NOTE}, 400, "content_type"),
        ({"doctor_id": "dr-x", "content_type": "note", "text": ""}, 400, "text"),
        ({"doctor_id": "dr-x", "content_type": "note", "text": 5}, 400, "text"),
        ({"doctor_id": "dr-x", "content_type": "note", "text": "x" * 50_001}, 400, "text"),
        ({"doctor_id": "dr-x", "content_type": "note", "text": "   \n  "}, 422, "text"),
        ({"doctor_id": "dr-x", "content_type": "note", "text": "Zebulon is better today."}, 422, "text"),
        ({"doctor_id": "dr-x", "content_type": "note", "text": PLAIN_NOTE, "metadata": {}}, 400, "metadata"),
    ],
)
def test_bad_samples_are_4xx_naming_the_field(compliance, headers, db, body, status, field) -> None:  # type: ignore[no-untyped-def]
    response = compliance.post("/personalization/samples", json=body, headers=headers())
    assert response.status_code == status, response.json
    assert field in response.json["error"]["fields"]
    assert "Zebulon" not in json.dumps(response.json)
    assert db.fetchone("SELECT count(*) AS n FROM user_writing_samples WHERE user_id = 'dr-x'")["n"] == 0


def test_roles_and_a_doctors_own_token(compliance, headers, doctor) -> None:  # type: ignore[no-untyped-def]
    body = {"doctor_id": doctor, "content_type": "note", "text": PLAIN_NOTE}
    assert compliance.post("/personalization/samples", json=body).status_code == 401
    assert compliance.post("/personalization/samples", json=body, headers=headers(Role.BILLING)).status_code == 403
    assert compliance.get(f"/personalization/readiness/{doctor}", headers=headers(Role.SERVICE)).status_code == 403
    assert compliance.post("/personalization/samples", json=body, headers=headers(Role.ADMIN)).status_code == 201
    own = headers(Role.CLINICIAN, f"dictation-{doctor}")
    assert compliance.post("/personalization/samples", json=body, headers=own).status_code == 201
    other = {**body, "doctor_id": "dr-someone-else"}
    assert compliance.post("/personalization/samples", json=other, headers=own).status_code == 403
    assert compliance.get("/personalization/readiness/dr-someone-else", headers=own).status_code == 403
    assert compliance.get("/personalization/samples?doctor_id=dr-someone-else", headers=own).status_code == 403
    assert compliance.get("/personalization/samples", headers=own).json["error"]["fields"] == {"doctor_id": "required"}
    bad_id = compliance.get("/personalization/readiness/Dr%20X", headers=headers())
    assert bad_id.status_code == 404 and bad_id.json["error"]["code"] == "not_found"


def test_a_doctor_opts_in_and_out_of_corrected_dictations_as_samples(compliance, headers, db, doctor) -> None:  # type: ignore[no-untyped-def]
    own = headers(Role.CLINICIAN, f"dictation-{doctor}")
    path = f"/personalization/preferences/{doctor}"
    assert compliance.get(path, headers=own).json == {"doctor_id": doctor, "feed_corrections": False}
    assert compliance.put(path, json={"feed_corrections": True}, headers=own).status_code == 200
    assert compliance.get(path, headers=headers()).json["feed_corrections"] is True
    # The collection readiness flag in the same preference row survives the opt-in, and the other way round.
    row = db.fetchone("SELECT preference_data FROM user_preferences WHERE user_id = %s", (doctor,))
    assert row["preference_data"] == {"feed_corrections": True}
    assert compliance.put(path, json={"feed_corrections": False}, headers=headers(Role.ADMIN)).status_code == 200
    assert compliance.get(path, headers=own).json["feed_corrections"] is False
    assert [r["action"] for r in _audit_rows(db, doctor) if r["action"].startswith("opt")] == ["opt_in", "opt_out"]
    bad = compliance.put(path, json={"feed_corrections": "yes"}, headers=own)
    assert bad.status_code == 400 and "feed_corrections" in bad.json["error"]["fields"]
    assert compliance.put(path, json={"feed_corrections": True, "x": 1}, headers=own).status_code == 400
    other = "/personalization/preferences/dr-someone-else"
    assert compliance.put(other, json={"feed_corrections": True}, headers=own).status_code == 403
    assert compliance.put(path, json={"feed_corrections": True}, headers=headers(Role.BILLING)).status_code == 403
    assert compliance.get("/personalization/preferences/Dr%20X", headers=headers()).status_code == 404


def test_the_endpoints_are_in_the_openapi_document(compliance) -> None:  # type: ignore[no-untyped-def]
    paths = compliance.get("/openapi.json").json["paths"]
    assert {"get", "put"} <= set(paths["/personalization/preferences/{doctor_id}"])
    assert {"post", "get"} <= set(paths["/personalization/samples"])
    assert "delete" in paths["/personalization/samples/{sample_id}"]
    assert "get" in paths["/personalization/readiness/{doctor_id}"]


def test_cli_add_readiness_samples_delete(intelluxe, migrated_url, db, doctor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"POSTGRES_URL": migrated_url}
    letter, note, short = tmp_path / "letter.txt", tmp_path / "note.txt", tmp_path / "short.txt"
    letter.write_text(LETTER, encoding="utf-8")
    note.write_text(PLAIN_NOTE, encoding="utf-8")
    short.write_text("Zebulon is fine.", encoding="utf-8")

    added = intelluxe(tmp_path, "personalize", "add", doctor, "--type", "letter", str(letter), str(note), **env)
    assert added.returncode == 0, added.stderr
    lines = added.stdout.splitlines()
    assert lines[0].startswith(f"{letter}: stored ") and lines[1].startswith(f"{note}: stored ")
    assert lines[-1] == f"{doctor}: 2 of 50 samples (4.0%), ready for training: false"

    refused = intelluxe(tmp_path, "personalize", "add", doctor, "--type", "note", str(short), "missing.txt", **env)
    assert refused.returncode == 1
    assert f"{short}: refused: too short" in refused.stdout and "missing.txt: refused:" in refused.stdout

    readiness = intelluxe(tmp_path, "personalize", "readiness", doctor, **env)
    assert json.loads(readiness.stdout) == {
        "user_id": doctor,
        "samples_collected": 2,
        "samples_needed": 50,
        "ready_for_training": False,
        "completion_percentage": 4.0,
    }
    listed = json.loads(intelluxe(tmp_path, "personalize", "samples", doctor, "--json", **env).stdout)
    assert [s["content_type"] for s in listed] == ["letter", "letter"]
    table = intelluxe(tmp_path, "personalize", "samples", doctor, **env).stdout
    assert listed[0]["sample_id"] in table

    gone = intelluxe(tmp_path, "personalize", "delete", listed[0]["sample_id"], **env)
    assert gone.returncode == 0 and "deleted" in gone.stdout
    again = intelluxe(tmp_path, "personalize", "delete", listed[0]["sample_id"], **env)
    assert again.returncode == 1 and "no writing sample" in again.stderr

    everything = added.stdout + refused.stdout + refused.stderr + table + json.dumps(listed)
    assert _leaks(everything) == []
    stored = db.fetchall("SELECT content, metadata FROM user_writing_samples WHERE user_id = %s", (doctor,))
    assert len(stored) == 1 and _leaks(json.dumps(stored)) == []
    rows = _audit_rows(db, doctor)
    assert [(r["service"], r["action"]) for r in rows] == [("cli", "store"), ("cli", "store"), ("cli", "delete")]
    assert all(r["user_id"].startswith("cli:") for r in rows) and _leaks(json.dumps(rows, default=str)) == []


def test_cli_feed_corrections_shows_and_sets_the_choice(intelluxe, migrated_url, db, doctor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"POSTGRES_URL": migrated_url}
    shown = intelluxe(tmp_path, "personalize", "feed-corrections", doctor, **env)
    assert shown.returncode == 0 and json.loads(shown.stdout) == {"doctor_id": doctor, "feed_corrections": False}
    on = intelluxe(tmp_path, "personalize", "feed-corrections", doctor, "on", **env)
    assert json.loads(on.stdout)["feed_corrections"] is True
    off = intelluxe(tmp_path, "personalize", "feed-corrections", doctor, "off", **env)
    assert json.loads(off.stdout)["feed_corrections"] is False
    assert intelluxe(tmp_path, "personalize", "feed-corrections", doctor, "yes", **env).returncode == 2
    bad = intelluxe(tmp_path, "personalize", "feed-corrections", "Dr X", "on", **env)
    assert bad.returncode == 1 and "doctor id" in bad.stderr
    actions = [r["action"] for r in _audit_rows(db, doctor)]
    assert actions == ["opt_in", "opt_out"]
