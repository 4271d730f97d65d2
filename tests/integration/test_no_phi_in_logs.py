"""No PHI in logs, anywhere: the whole stack runs as it does for a clinic (`intelluxe up`, gunicorn processes, their
own log files), known identifiers go through every endpoint — valid requests, bad ones, refused ones — and none of
them may appear in any service's log."""

from __future__ import annotations

import importlib.util
import os
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import requests

IV, BILLING, COMPLIANCE = "https://localhost:8003", "https://localhost:8004", "https://localhost:8005"
CONSOLE = "https://localhost:8007"

# Plainly fake identifiers, unusual enough that any appearance in a log is a leak and not a coincidence.
NAME_FIRST, NAME_LAST = "Zebulon", "Quixotewright"
SSN = "219-09-9871"
DOB = "03/14/1962"
PHONE = "217-555-0147"
EMAIL = "zebulon.q@example.org"
MRN = "MRN 8675309"
PATIENT_ID = "PAT-ZQ-55501"
MEMBER = "XYZ100000001"  # the sandbox member (a health-plan id is PHI too)
SANDBOX_NAMES = ("JANE", "DOE")  # the sandbox member's name, which comes back in 271s and 837Ps
SECRETS = (NAME_FIRST, NAME_LAST, SSN, DOB, PHONE, EMAIL, "8675309", PATIENT_ID, MEMBER, "19620314")


def _exercise(token: str, service_token: str) -> None:
    """Every endpoint of the suite, with the identifiers in bodies, paths, query strings and headers."""
    auth = {"Authorization": f"Bearer {token}", "X-Request-ID": "leak-check"}
    note = f"Pt {NAME_FIRST} {NAME_LAST} DOB {DOB}, SSN {SSN}, {MRN}, call {PHONE} or {EMAIL}."
    calls = [
        (
            "post",
            f"{IV}/verify",
            {
                "member_id": MEMBER,
                "provider_id": "dr-smith",
                "service_codes": ["99213"],
                "member_first_name": NAME_FIRST,
                "member_last_name": NAME_LAST,
            },
        ),
        (
            "post",
            f"{IV}/verify",
            {"member_id": f"{SSN} {NAME_LAST}", "provider_id": "dr-smith", "service_codes": ["99213"]},
        ),
        (
            "post",
            f"{IV}/verify",
            {
                "member_id": "NOSUCH0000001",
                "provider_id": "dr-smith",
                "service_codes": ["99213"],
                "member_last_name": NAME_LAST,
            },
        ),
        (
            "post",
            f"{BILLING}/create_claim",
            {
                "patient_data": {"patient_id": PATIENT_ID, "provider_id": "dr-smith", "member_id": MEMBER},
                "services": [{"code": "99213", "amount": "150.00", "diagnosis_codes": ["E11.9"]}],
            },
        ),
        (
            "post",
            f"{BILLING}/create_claim",
            {
                "patient_data": {"patient_id": PATIENT_ID, "provider_id": "dr-smith", "member_id": MEMBER},
                "services": [{"code": NAME_LAST, "amount": SSN}],
            },
        ),
        ("get", f"{BILLING}/claims?patient_id={PATIENT_ID}&member_id={MEMBER}", None),
        ("get", f"{BILLING}/claims/{PATIENT_ID}", None),
        (
            "post",
            f"{COMPLIANCE}/log_access",
            {
                "user_id": "nurse-leak",
                "resource": f"patient/{PATIENT_ID}",
                "action": "export",
                "success": False,
                "ip_address": "10.0.0.1",
            },
        ),
        (
            "post",
            f"{COMPLIANCE}/log_access",
            {"user_id": NAME_LAST, "resource": note, "action": "view", "success": "maybe"},
        ),
        ("post", f"{COMPLIANCE}/scan_pii", {"content": note, "redact": True}),
        ("post", f"{COMPLIANCE}/scan_pii", {"content": note, "redact": "yes"}),
        ("get", f"{COMPLIANCE}/alerts?user_id=nurse-leak", None),
        ("get", f"{COMPLIANCE}/audit?resource=patient/{PATIENT_ID}", None),
        ("get", f"{COMPLIANCE}/audit/{PATIENT_ID}", None),
        # Doctors' writing samples: the raw text is de-identified before it is stored, and logged nowhere.
        (
            "post",
            f"{COMPLIANCE}/personalization/samples",
            {"doctor_id": "dr-leak", "content_type": "note", "text": f"{note} Seen today for follow up. " * 3},
        ),
        (
            "post",
            f"{COMPLIANCE}/personalization/samples",
            {"doctor_id": NAME_LAST, "content_type": SSN, "text": note},
        ),
        ("get", f"{COMPLIANCE}/personalization/samples?doctor_id=dr-leak", None),
        ("get", f"{COMPLIANCE}/personalization/readiness/{NAME_LAST}", None),
    ]
    for method, url, body in calls:
        response = requests.request(method, url, json=body, headers=auth, timeout=30)
        assert response.status_code < 500, (url, response.status_code, response.text[:200])
    claim = requests.post(f"{BILLING}/create_claim", headers=auth, timeout=30, json=calls[3][2]).json()
    for suffix in ("", "/837"):
        response = requests.get(f"{BILLING}/claims/{claim['claim_id']}{suffix}", headers=auth, timeout=30)
        assert response.ok, response.text[:300]
    _post_835(claim["claim_id"], auth)
    # Unauthenticated and wrongly authenticated calls carry identifiers too.
    requests.post(f"{IV}/verify", json={"member_id": MEMBER}, headers={"Authorization": f"Bearer {SSN}"}, timeout=30)
    requests.get(f"{BILLING}/claims?patient_id={PATIENT_ID}", timeout=30)
    # Service to service, as billing calls insurance-verify.
    requests.post(
        f"{IV}/verify",
        json=calls[0][2],
        headers={"Authorization": f"Bearer {service_token}", "X-Intelluxe-Actor": "frontdesk"},
        timeout=30,
    )


def _exercise_console(token: str) -> None:
    """The web console's pages, signed in with the admin token, with the identifiers in every form it has."""
    import re

    browser = requests.Session()

    def csrf(path: str) -> str:
        page = browser.get(CONSOLE + path, timeout=30)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    signed = browser.post(
        f"{CONSOLE}/sign-in", data={"csrf_token": csrf("/sign-in"), "method": "token", "token": token}, timeout=30
    )
    assert signed.ok and "Sign out" in signed.text, signed.status_code
    browser.post(  # a wrong sign-in with identifiers in the name and password
        f"{CONSOLE}/sign-in",
        data={"csrf_token": csrf("/sign-in"), "method": "account", "name": NAME_LAST, "password": SSN},
        timeout=30,
    )
    signed = browser.post(
        f"{CONSOLE}/sign-in", data={"csrf_token": csrf("/sign-in"), "method": "token", "token": token}, timeout=30
    )
    note = f"Pt {NAME_FIRST} {NAME_LAST} DOB {DOB}, SSN {SSN}, {MRN}, call {PHONE} or {EMAIL}."
    forms = [
        ("/claims", {"patient_id": PATIENT_ID, "member_id": MEMBER}),
        (
            "/eligibility",
            {
                "member_id": MEMBER,
                "provider_id": "dr-smith",
                "service_codes": "99213",
                "member_first_name": NAME_FIRST,
                "member_last_name": NAME_LAST,
            },
        ),
        ("/eligibility", {"member_id": f"{SSN} {NAME_LAST}", "provider_id": "dr-smith", "service_codes": "99213"}),
        ("/phi-scan", {"text": note}),
        ("/audit", {"user_id": NAME_LAST, "resource": f"patient/{PATIENT_ID}", "since": DOB}),
    ]
    for path, data in forms:
        page = browser.post(CONSOLE + path, data={"csrf_token": csrf(path), **data}, timeout=30)
        assert page.status_code < 500, (path, page.status_code)
    for path in ("/alerts", "/chain", "/activity", f"/claims/{PATIENT_ID}", f"/claims/{PATIENT_ID}/837"):
        assert browser.get(CONSOLE + path, timeout=30).status_code < 500, path
    browser.post(f"{CONSOLE}/sign-out", data={"csrf_token": csrf("/")}, timeout=30)


def _post_835(claim_id: str, auth: dict[str, str]) -> None:
    from core.x12 import Adjustment, ClaimPayment, PayerContact, Remittance, build_835

    payment = ClaimPayment(
        claim_id=claim_id,
        status_code="1",
        billed=Decimal("150.00"),
        paid=Decimal("75.00"),
        patient_responsibility=Decimal("25.00"),
        payer_claim_number="PCN1",
        adjustments=(Adjustment("CO", "45", Decimal("50.00")), Adjustment("PR", "3", Decimal("25.00"))),
        patient_last_name=NAME_LAST.upper(),
        patient_first_name=NAME_FIRST.upper(),
        patient_member_id=MEMBER,
    )
    remittance = Remittance(
        payer_name="Anthem Blue Cross Blue Shield",
        payee_npi="1234567893",
        check_number=f"EFT{os.getpid()}",
        payment_date=date(2026, 11, 24),
        total_paid=Decimal("75.00"),
        claims=[payment],
        payee_name="Intelluxe Demo Clinic",
    )
    payer = PayerContact(
        tax_id="990000002", address_line="1 PAYER PLAZA", city="CHICAGO", state="IL", zip="60601", phone="8005550100"
    )
    text = build_835(
        remittance,
        payer=payer,
        sender_id="ANTHM",
        receiver_id="INTELLUXE",
        control_number=77,
        now=datetime(2026, 11, 24, 9, 0),
    )
    response = requests.post(
        f"{BILLING}/remittances", data=text, timeout=30, headers={**auth, "Content-Type": "application/edi-x12"}
    )
    assert response.ok, response.text[:200]


def _dictate(home: Path, intelluxe, env: dict[str, str], clip) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Enroll a doctor with the CLI and dictate a clip through the running receiver with the doctors' client.
    Returns the token and the final texts."""
    import asyncio
    import json
    import sys

    client_dir = Path(__file__).resolve().parents[2] / "clients" / "windows" / "intelluxe-audio-client"
    if str(client_dir) not in sys.path:
        sys.path.insert(0, str(client_dir))
    from intelluxe_audio_client import DictationClient, WavSource, load_config

    config_path = home / "dr-leak.json"
    enrolled = intelluxe(home, "enroll-doctor", f"dr-leak-{os.getpid()}", "--out", str(config_path), **env)
    assert enrolled.returncode == 0, enrolled.stderr
    transcript = asyncio.run(DictationClient(load_config(config_path)).run(WavSource(clip.path, pace=0)))
    return json.loads(config_path.read_text())["token"], [s.text for s in transcript.segments]


def test_no_identifier_reaches_any_service_log(
    tmp_path: Path,
    migrated_url: str,
    redis_url: str,
    intelluxe,  # type: ignore[no-untyped-def]
    stack_ports,
    request,
    monkeypatch,
) -> None:
    home = tmp_path / "home"
    env = {
        "POSTGRES_URL": migrated_url,
        "REDIS_URL": redis_url,
        "INTELLUXE_CACHE_PREFIX": f"ilx-{os.getpid()}-{id(home)}:",
        "LOG_LEVEL": "DEBUG",
    }
    try:
        up = intelluxe(home, "up", **env)
        assert up.returncode == 0, up.stdout + up.stderr
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(home / "certs" / "ca.pem"))  # the services' HTTPS (core.tls)
        admin = intelluxe(home, "token", "issue", "--name", f"leak-{os.getpid()}", "--role", "admin", **env)
        service_token = (home / "run" / "service-token").read_text().strip()
        _exercise(admin.stdout.strip(), service_token)
        _exercise_console(admin.stdout.strip())
        # Dictation: the doctor's words go through the receiver (decrypted, transcribed, sent back) at DEBUG too.
        dictated: list[str] = []
        if shutil.which("espeak-ng") and shutil.which("sox") and importlib.util.find_spec("faster_whisper"):
            token, finals = _dictate(home, intelluxe, env, request.getfixturevalue("dictation_clips")["pause-followup"])
            assert any("forearm" in f.lower() for f in finals)
            dictated = [token, "forearm", "infection", "healing"]
    finally:
        intelluxe(home, "down", **env)
    logs = sorted((home / "run").glob("*.log"))
    assert {p.stem for p in logs} == set(stack_ports)
    text = {p.name: p.read_text(errors="replace") for p in logs}
    assert all(len(t) > 0 for t in text.values())
    assert "POST /create_claim -> 200" in text["billing.log"]  # the logs did record the requests
    for name, content in text.items():
        for secret in (*SECRETS, *SANDBOX_NAMES, *dictated):
            assert secret not in content, f"{secret!r} found in {name}"
