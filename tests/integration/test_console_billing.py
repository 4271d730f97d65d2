"""The console's billing pages through Flask's test client, against real insurance-verify and billing services served
over HTTP (and the payer sandbox): claims with filters, a claim's estimate and its 837P, an 835 posted with each
transaction's result, and an eligibility check showing what the 271 gave."""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

import billing
import insurance_verify
from console import ConsoleSettings, create_app
from core import auth, console_users
from core.auth import Role
from core.db import Database

BASE = "https://localhost"
PASSWORD = "correct horse battery staple"
MEMBER = "XYZ100000001"  # the sandbox's active member (a plainly fake person)


@pytest.fixture
def suite(service_url: str, redis_url: str, payer_sandbox, build_app, served_app, db: Database) -> dict[str, str]:  # type: ignore[no-untyped-def]
    shared = {
        **os.environ,
        "POSTGRES_URL": service_url,
        "REDIS_URL": redis_url,
        "PAYER_SANDBOX_URL": payer_sandbox.url,
        "INTELLUXE_CACHE_PREFIX": f"ilx-console-{os.urandom(4).hex()}:",
    }
    verify = served_app(build_app(insurance_verify.create_app, insurance_verify.VerifySettings.from_env(shared)))
    service_token = auth.issue_token(db, f"svc-{os.urandom(4).hex()}", Role.SERVICE)
    env = {**shared, "INSURANCE_VERIFY_URL": verify.url, "INTELLUXE_SERVICE_TOKEN": service_token}
    bill = served_app(build_app(billing.create_app, billing.BillingSettings.from_env(env)))
    return {"POSTGRES_URL": service_url, "INSURANCE_VERIFY_URL": verify.url, "BILLING_URL": bill.url}


@pytest.fixture
def console(suite: dict[str, str], build_app):  # type: ignore[no-untyped-def]
    return build_app(create_app, ConsoleSettings.from_env({**suite, "INTELLUXE_TOKEN_CACHE_SECONDS": "0"}))


@pytest.fixture
def clerk(console, db: Database):  # type: ignore[no-untyped-def]
    name = f"desk{os.urandom(4).hex()}"
    console_users.add_account(db, name, Role.BILLING, PASSWORD)
    client = console.test_client()
    page = client.get("/sign-in", base_url=BASE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    signed = client.post(
        "/sign-in",
        data={"csrf_token": token, "method": "account", "name": name, "password": PASSWORD},
        base_url=BASE,
    )
    assert signed.status_code == 303
    yield client
    db.execute("DELETE FROM console_sessions WHERE account = %s", (name,))
    db.execute("DELETE FROM console_users WHERE name = %s", (name,))


def csrf(client, path: str) -> str:  # type: ignore[no-untyped-def]
    return re.search(
        r'name="csrf_token" value="([^"]+)"', client.get(path, base_url=BASE).get_data(as_text=True)
    ).group(1)


def make_claim(suite: dict[str, str], db: Database, patient: str) -> dict[str, Any]:
    token = auth.issue_token(db, f"billing-{os.urandom(4).hex()}", Role.BILLING)
    body = {
        "patient_data": {"patient_id": patient, "provider_id": "dr-smith", "member_id": MEMBER},
        "services": [
            {"code": "99213", "amount": "150.00", "allowed_amount": "100.00", "diagnosis_codes": ["E11.9"]},
            {"code": "80053", "amount": "300.00", "allowed_amount": "200.00", "diagnosis_codes": ["I10"]},
        ],
        "service_date": "2026-11-20",
    }
    reply = requests.post(
        suite["BILLING_URL"] + "/create_claim", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_claims_list_filters_and_the_claim_page(clerk, suite, db) -> None:  # type: ignore[no-untyped-def]
    patient = f"PAT-{os.urandom(3).hex()}"
    made = make_claim(suite, db, patient)
    listed = clerk.get("/claims", base_url=BASE)
    assert listed.status_code == 200 and made["claim_id"] in listed.get_data(as_text=True)
    token = csrf(clerk, "/claims")
    mine = clerk.post("/claims", data={"csrf_token": token, "patient_id": patient}, base_url=BASE)
    text = mine.get_data(as_text=True)
    assert text.count("<tr>") == 2 and made["claim_id"] in text and "1 claim, newest first" in text  # header + one
    none = clerk.post("/claims", data={"csrf_token": token, "patient_id": patient, "status": "paid"}, base_url=BASE)
    assert "No claims match" in none.get_data(as_text=True)
    assert clerk.get("/claims?status=nonsense", base_url=BASE).status_code == 400
    page = clerk.get(f"/claims/{made['claim_id']}", base_url=BASE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "99213" in html and "80053" in html
    assert f"{Decimal(str(made['patient_responsibility'])):,.2f}" in html and "450.00" in html
    assert "<title>Claim · Intelluxe console</title>" in html  # no patient in the title
    assert clerk.get("/claims/no-such-claim", base_url=BASE).status_code == 404


def test_837p_download(clerk, suite, db) -> None:  # type: ignore[no-untyped-def]
    made = make_claim(suite, db, f"PAT-{os.urandom(3).hex()}")
    download = clerk.get(f"/claims/{made['claim_id']}/837", base_url=BASE)
    assert download.status_code == 200 and download.mimetype == "application/edi-x12"
    assert download.headers["Content-Disposition"] == f'attachment; filename="claim-{made["claim_id"]}.837"'
    assert download.get_data(as_text=True).startswith("ISA*") and "ST*837*" in download.get_data(as_text=True)
    assert download.headers["Cache-Control"] == "no-store"
    exported = db.fetchone(
        "SELECT user_id FROM audit_log WHERE service = 'billing' AND action = 'export' AND resource_id = %s",
        (made["claim_id"],),
    )
    assert exported["user_id"].endswith("@console")


def _835(claim_ids: list[str], check: str) -> str:
    from core.x12 import Adjustment, ClaimPayment, PayerContact, Remittance, build_835

    claims = [
        ClaimPayment(
            claim_id=claim_id,
            status_code="1",
            billed=Decimal("450.00"),
            paid=Decimal("75.00"),
            patient_responsibility=Decimal("225.00"),
            payer_claim_number=f"PCN{n}",
            adjustments=(Adjustment("CO", "45", Decimal("150.00")), Adjustment("PR", "1", Decimal("225.00"))),
            patient_last_name="DOE",
            patient_member_id=MEMBER,
        )
        for n, claim_id in enumerate(claim_ids)
    ]
    remittance = Remittance(
        payer_name="Anthem Blue Cross Blue Shield",
        payee_npi="1234567893",
        check_number=check,
        payment_date=date(2026, 11, 24),
        total_paid=sum((c.paid for c in claims), Decimal(0)),
        claims=claims,
        payee_name="Intelluxe Demo Clinic",
    )
    payer = PayerContact(
        tax_id="990000002", address_line="1 PAYER PLAZA", city="CHICAGO", state="IL", zip="60601", phone="8005550100"
    )
    return build_835(
        remittance,
        payer=payer,
        sender_id="ANTHM",
        receiver_id="INTELLUXE",
        control_number=7,
        now=datetime(2026, 11, 24),
    )


def test_posting_an_835_shows_each_transaction(clerk, suite, db) -> None:  # type: ignore[no-untyped-def]
    import io

    made = make_claim(suite, db, f"PAT-{os.urandom(3).hex()}")
    unknown = f"NOPE{os.urandom(3).hex()}"
    check = f"EFT{os.urandom(4).hex()}"
    text = _835([made["claim_id"], unknown], check)
    token = csrf(clerk, "/remittances")
    posted = clerk.post(
        "/remittances",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "remit.835")},
        content_type="multipart/form-data",
        base_url=BASE,
    )
    html = posted.get_data(as_text=True)
    assert posted.status_code == 200, html[-2000:]
    assert "1 transaction in the file" in html and "status-posted" in html and check in html
    assert made["claim_id"] in html and unknown in html and "does not have" in html
    claim = db.fetchone("SELECT status FROM claims WHERE claim_id = %s", (made["claim_id"],))
    assert claim["status"] != "submitted"
    assert f"<td>{claim['status'].replace('_', ' ')}</td>" in html
    again = clerk.post(
        "/remittances",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "remit.835")},
        content_type="multipart/form-data",
        base_url=BASE,
    )
    assert again.status_code == 409 and "already" in again.get_data(as_text=True).lower()
    junk = clerk.post(
        "/remittances",
        data={"csrf_token": token, "file": (io.BytesIO(b"hello"), "x.835")},
        content_type="multipart/form-data",
        base_url=BASE,
    )
    assert junk.status_code == 400 and 'role="alert"' in junk.get_data(as_text=True)
    empty = clerk.post("/remittances", data={"csrf_token": token}, content_type="multipart/form-data", base_url=BASE)
    assert empty.status_code == 400


def test_eligibility_form_shows_the_271_coverage(clerk, db) -> None:  # type: ignore[no-untyped-def]
    token = csrf(clerk, "/eligibility")
    answer = clerk.post(
        "/eligibility",
        data={"csrf_token": token, "member_id": MEMBER, "provider_id": "dr-smith", "service_codes": "99213, 70553"},
        base_url=BASE,
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "status-active" in html
    assert "Copay" in html and "needed for 70553" in html and "<dd>20%</dd>" in html
    bad = clerk.post(
        "/eligibility",
        data={"csrf_token": token, "member_id": "bad member!", "provider_id": "dr-smith", "service_codes": "99213"},
        base_url=BASE,
    )
    assert bad.status_code == 400 and 'id="member_id-err"' in bad.get_data(as_text=True)
    assert "letters, digits and hyphens only" in bad.get_data(as_text=True)  # not a regular expression
    verified = db.fetchone("SELECT user_id FROM audit_log WHERE service = 'insurance-verify' ORDER BY seq DESC LIMIT 1")
    assert verified["user_id"].endswith("@console")


def test_a_compliance_officer_cannot_reach_billing_pages(console, db) -> None:  # type: ignore[no-untyped-def]
    token = auth.issue_token(db, f"officer-{os.urandom(3).hex()}", Role.COMPLIANCE)
    client = console.test_client()
    page = client.get("/sign-in", base_url=BASE).get_data(as_text=True)
    csrf_value = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/sign-in", data={"csrf_token": csrf_value, "method": "token", "token": token}, base_url=BASE)
    assert "Claims" not in client.get("/", base_url=BASE).get_data(as_text=True)
    for path in ("/claims", "/claims/x", "/claims/x/837", "/remittances", "/eligibility"):
        assert client.get(path, base_url=BASE).status_code == 403, path
