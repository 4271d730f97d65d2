"""billing end to end: POST /create_claim through a real insurance-verify (over HTTP) and the payer sandbox, claims
in PostgreSQL, idempotency under concurrency, reads, 837P validated by pyx12, 835 posting."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

import insurance_verify
from billing import BillingSettings, create_app
from core import auth
from core.auth import Role
from core.db import Database
from insurance_verify import VerifySettings


@pytest.fixture
def service_token(db: Database) -> str:
    return auth.issue_token(db, f"svc-{os.urandom(4).hex()}", Role.SERVICE)


@pytest.fixture
def billing(
    service_url: str, redis_url: str, payer_sandbox, build_app, service_token: str, served_app
) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """A billing test client wired to a real insurance-verify served over HTTP."""
    shared = {
        "POSTGRES_URL": service_url,
        "REDIS_URL": redis_url,
        "PAYER_SANDBOX_URL": payer_sandbox.url,
        "INTELLUXE_CACHE_PREFIX": f"ilx-test-{os.urandom(4).hex()}:",
    }
    verify = served_app(build_app(insurance_verify.create_app, VerifySettings.from_env({**os.environ, **shared})))

    def make(**env: str):  # type: ignore[no-untyped-def]
        settings = {**shared, "INSURANCE_VERIFY_URL": verify.url, "INTELLUXE_SERVICE_TOKEN": service_token, **env}
        return build_app(create_app, BillingSettings.from_env({**os.environ, **settings})).test_client()

    return make


@pytest.fixture
def billing_token(db: Database) -> str:
    return auth.issue_token(db, f"billing-{os.urandom(4).hex()}", Role.BILLING)


def _claim(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "patient_data": {"patient_id": "PAT-1", "provider_id": "dr-smith", "member_id": "XYZ100000001"},
        "services": [
            {"code": "99213", "amount": "150.00", "allowed_amount": "100.00", "diagnosis_codes": ["E11.9"]},
            {
                "code": "80053",
                "amount": 300,
                "allowed_amount": "200.00",
                "diagnosis_codes": ["E11.9", "I10"],
                "modifiers": ["90"],
            },
        ],
        "service_date": "2026-11-20",
    }
    body.update(overrides)
    return body


def _post(client, token: str, body: dict[str, Any], key: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/create_claim", json=body, headers=headers)


def test_a_claim_with_the_real_estimate(billing, billing_token, db) -> None:  # type: ignore[no-untyped-def]
    response = _post(billing(), billing_token, _claim())
    assert response.status_code == 200, response.json
    claim = response.json
    assert claim["claim_id"].startswith("CLM-") and len(claim["claim_id"]) == 30
    assert claim["status"] == "submitted"
    assert claim["claim_total"] == 450.0
    # 99213: $25 copay (skips the deductible); 80053: $200 of the $1200 remaining deductible
    assert claim["patient_responsibility"] == 225.0
    assert claim["insurance_responsibility"] == 75.0
    assert [line["patient_responsibility"] for line in claim["lines"]] == [25.0, 200.0]
    assert [line["allowed_source"] for line in claim["lines"]] == ["request", "request"]
    # The request's services come back with money as numbers, like every other amount (they came back as strings).
    assert [(s["amount"], s["units"]) for s in claim["services"]] == [(150.0, 1.0), (300.0, 1.0)]
    assert claim["services"][0]["allowed_amount"] == 100.0 and "place_of_service" not in claim["services"][0]
    assert claim["updated_date"] == claim["created_date"]
    assert claim["service_date"] == "2026-11-20"
    assert claim["eligibility_source"] in ("payer", "cache")
    row = db.fetchone("SELECT * FROM claims WHERE claim_id = %s", (claim["claim_id"],))
    assert row["patient_responsibility"] == Decimal("225.00") and row["claim_total"] == Decimal("450.00")
    assert row["payer_id"] == "anthem-bcbs" and row["status"] == "submitted"
    audit = db.fetchone("SELECT * FROM audit_log WHERE resource_id = %s AND action = 'create'", (claim["claim_id"],))
    assert audit["outcome"] == "success" and audit["service"] == "billing"


def test_allowed_amounts_come_from_the_fee_schedule_then_billed(billing, billing_token, db) -> None:  # type: ignore[no-untyped-def]
    db.execute("DELETE FROM fee_schedule WHERE payer_id = 'anthem-bcbs' AND procedure_code = '85025'")
    db.execute(
        "INSERT INTO fee_schedule (payer_id, procedure_code, allowed_amount, effective_from) VALUES "
        "('anthem-bcbs', '85025', 9.00, '2025-01-01'), ('anthem-bcbs', '85025', 11.00, '2026-06-01'), "
        "('anthem-bcbs', '85025', 99.00, '2027-01-01')"
    )
    body = _claim(services=[{"code": "85025", "amount": "40.00"}, {"code": "81001", "amount": "20.00"}])
    claim = _post(billing(), billing_token, body).json
    assert [(line["allowed_amount"], line["allowed_source"]) for line in claim["lines"]] == [
        (11.0, "fee_schedule"),
        (20.0, "billed"),
    ]
    db.execute("DELETE FROM fee_schedule WHERE payer_id = 'anthem-bcbs' AND procedure_code = '85025'")


def test_inactive_and_rejected_members_get_422_with_the_reason(billing, billing_token, db) -> None:  # type: ignore[no-untyped-def]
    client = billing()
    before = db.fetchone("SELECT count(*) AS n FROM claims")["n"]
    inactive = _post(
        client,
        billing_token,
        _claim(patient_data={"patient_id": "P2", "provider_id": "dr-smith", "member_id": "XYZ100000002"}),
    )
    assert inactive.status_code == 422
    assert inactive.json["error"]["code"] == "not_eligible"
    assert "inactive" in inactive.json["error"]["message"]
    rejected = _post(
        client,
        billing_token,
        _claim(patient_data={"patient_id": "P3", "provider_id": "dr-smith", "member_id": "NOSUCH000009"}),
    )
    assert rejected.status_code == 422
    assert "subscriber not found" in rejected.json["error"]["message"]
    assert db.fetchone("SELECT count(*) AS n FROM claims")["n"] == before


def test_insurance_verify_down_is_503_never_not_eligible(billing, billing_token, db, dead_url) -> None:  # type: ignore[no-untyped-def]
    before = db.fetchone("SELECT count(*) AS n FROM claims")["n"]
    response = _post(billing(INSURANCE_VERIFY_URL=dead_url), billing_token, _claim())
    assert response.status_code == 503
    assert response.json["error"]["code"] == "eligibility_unavailable"
    assert db.fetchone("SELECT count(*) AS n FROM claims")["n"] == before


def test_same_key_same_body_returns_the_same_claim_and_writes_nothing(billing, billing_token, db) -> None:  # type: ignore[no-untyped-def]
    client = billing()
    key = f"idem-{os.urandom(6).hex()}"
    first = _post(client, billing_token, _claim(), key)
    count = db.fetchone("SELECT count(*) AS n FROM claims")["n"]
    second = _post(client, billing_token, _claim(), key)
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json == first.json  # the replay had an updated_date the first answer lacked
    assert db.fetchone("SELECT count(*) AS n FROM claims")["n"] == count
    different = _post(client, billing_token, _claim(service_date="2026-11-19"), key)
    assert different.status_code == 409
    assert different.json["error"]["code"] == "idempotency_conflict"


def test_concurrent_duplicates_make_exactly_one_claim(billing, billing_token, db) -> None:  # type: ignore[no-untyped-def]
    app_client = billing()
    key = f"race-{os.urandom(6).hex()}"
    results: list[Any] = []

    def post() -> None:
        client = app_client.application.test_client()
        results.append(_post(client, billing_token, _claim(), key))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [200] * 6
    assert len({r.json["claim_id"] for r in results}) == 1
    claim_id = results[0].json["claim_id"]
    assert db.fetchone("SELECT count(*) AS n FROM claim_idempotency WHERE idem_key = %s", (key,))["n"] == 1
    assert db.fetchone("SELECT count(*) AS n FROM claims WHERE claim_id = %s", (claim_id,))["n"] == 1
    made = db.fetchone(
        "SELECT count(*) AS n FROM claims c JOIN claim_idempotency i USING (claim_id) WHERE i.idem_key = %s", (key,)
    )["n"]
    assert made == 1


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        # not the documented shape: 400
        (lambda b: b["services"][0].update(code="9921"), "services.0.code", 400),
        (lambda b: b["services"][0].update(amount="-5"), "services.0.amount", 400),
        (lambda b: b["services"][0].update(amount="10.001"), "services.0.amount", 400),
        (lambda b: b["services"][0].update(diagnosis_codes=["E11.9x"]), "services.0.diagnosis_codes", 400),
        (lambda b: b["services"][0].update(place_of_service="98"), "services.0.place_of_service", 400),
        (lambda b: b["services"][0].update(modifiers=["toolong"]), "services.0.modifiers", 400),
        (lambda b: b.update(provider_npi="123456789"), "provider_npi", 400),
        (lambda b: b.update(services=[]), "services", 400),
        (lambda b: b["patient_data"].pop("member_id"), "patient_data.member_id", 400),
        # the documented shape, but a value that cannot be used: 422
        (lambda b: b["services"][0].update(diagnosis_codes=["E11"]), "services.0.diagnosis_codes", 422),  # category
        (lambda b: b["services"][0].update(diagnosis_codes=["Q99.99"]), "services.0.diagnosis_codes", 422),  # none
        (lambda b: b.update(provider_npi="1234567890"), "provider_npi", 422),  # check digit
        (lambda b: b.update(service_date="2999-01-01"), "service_date", 422),
        (lambda b: b.update(payer_id="acme"), "payer_id", 422),
        (lambda b: b["patient_data"].update(provider_id="nobody"), "patient_data.provider_id", 422),
    ],
)
def test_bad_claims_are_refused_naming_the_field(billing, billing_token, change, field: str, status: int) -> None:  # type: ignore[no-untyped-def]
    body = _claim()
    change(body)
    response = _post(billing(), billing_token, body)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == {400: "validation_error", 422: "invalid_value"}[status]
    assert field in response.json["error"]["fields"], response.json


def test_roles_on_every_claim_endpoint(billing, db) -> None:  # type: ignore[no-untyped-def]
    client = billing()
    clinician = auth.issue_token(db, f"clin-{os.urandom(4).hex()}", Role.CLINICIAN)
    headers = {"Authorization": f"Bearer {clinician}"}
    assert client.post("/create_claim", json=_claim(), headers=headers).status_code == 403
    assert client.get("/claims/CLM-X", headers=headers).status_code == 403
    assert client.get("/claims", headers=headers).status_code == 403
    assert client.get("/claims/CLM-X/837", headers=headers).status_code == 403
    assert client.post("/remittances", data="ISA", headers=headers).status_code == 403
    assert client.get("/claims").status_code == 401


def test_read_and_search_claims(billing, billing_token) -> None:  # type: ignore[no-untyped-def]
    client = billing()
    patient = f"PAT-{os.urandom(4).hex()}"
    made = [
        _post(
            client,
            billing_token,
            _claim(patient_data={"patient_id": patient, "provider_id": "dr-smith", "member_id": "XYZ100000001"}),
        ).json
        for _ in range(3)
    ]
    headers = {"Authorization": f"Bearer {billing_token}"}
    one = client.get(f"/claims/{made[0]['claim_id']}", headers=headers)
    assert one.status_code == 200 and one.json["claim_id"] == made[0]["claim_id"]
    assert one.json["patient_responsibility"] == made[0]["patient_responsibility"]
    assert client.get("/claims/CLM-NOPE", headers=headers).status_code == 404
    page = client.get(f"/claims?patient_id={patient}&status=submitted&limit=2", headers=headers).json
    assert [c["claim_id"] for c in page["claims"]] == [made[2]["claim_id"], made[1]["claim_id"]]
    rest = client.get(f"/claims?patient_id={patient}&limit=2&before={page['next_before']}", headers=headers).json
    assert [c["claim_id"] for c in rest["claims"]] == [made[0]["claim_id"]] and rest["next_before"] is None
    assert client.get("/claims?status=lost", headers=headers).status_code == 400
    assert client.get("/claims?limit=0", headers=headers).status_code == 400


def test_837p_export_is_valid_for_pyx12(billing, billing_token, pyx12_errors) -> None:  # type: ignore[no-untyped-def]
    client = billing()
    claim = _post(client, billing_token, _claim()).json
    response = client.get(f"/claims/{claim['claim_id']}/837", headers={"Authorization": f"Bearer {billing_token}"})
    assert response.status_code == 200
    assert response.mimetype == "application/edi-x12"
    text = response.get_data(as_text=True)
    assert f"CLM*{claim['claim_id']}*450" in text
    assert "HI*ABK:E119*ABF:I10" in text
    assert "NM1*IL*1*DOE*JANE" in text
    assert pyx12_errors(text) == []


def test_837p_needs_a_diagnosis(billing, billing_token) -> None:  # type: ignore[no-untyped-def]
    client = billing()
    body = _claim(services=[{"code": "99213", "amount": "150.00"}])
    claim = _post(client, billing_token, body).json
    response = client.get(f"/claims/{claim['claim_id']}/837", headers={"Authorization": f"Bearer {billing_token}"})
    assert response.status_code == 422
    assert "diagnosis" in response.json["error"]["message"]


def test_posting_an_835_moves_claims_and_reports_unknown_ones(billing, billing_token, db) -> None:  # type: ignore[no-untyped-def]
    from core.x12 import Adjustment, ClaimPayment, PayerContact, Remittance, build_835

    client = billing()
    paid, partial, denied = (_post(client, billing_token, _claim()).json for _ in range(3))
    headers = {"Authorization": f"Bearer {billing_token}", "Content-Type": "application/edi-x12"}

    def payment(claim_id: str, status: str, paid_amount: str, patient: str, adjustments) -> ClaimPayment:  # type: ignore[no-untyped-def]
        return ClaimPayment(
            claim_id=claim_id,
            status_code=status,
            billed=Decimal("450.00"),
            paid=Decimal(paid_amount),
            patient_responsibility=Decimal(patient),
            payer_claim_number=f"PCN{claim_id[-6:]}",
            adjustments=tuple(adjustments),
            patient_last_name="DOE",
            patient_first_name="JANE",
            patient_member_id="XYZ100000001",
        )

    claims = [
        payment(
            paid["claim_id"],
            "1",
            "75.00",
            "225.00",
            [
                Adjustment("CO", "45", Decimal("150.00")),
                Adjustment("PR", "1", Decimal("200.00")),
                Adjustment("PR", "3", Decimal("25.00")),
            ],
        ),
        payment(
            partial["claim_id"],
            "1",
            "50.00",
            "225.00",
            [Adjustment("CO", "45", Decimal("150.00")), Adjustment("PR", "1", Decimal("225.00"))],
        ),
        payment(denied["claim_id"], "4", "0.00", "0.00", [Adjustment("CO", "50", Decimal("450.00"))]),
        payment("CLM-NOT-OURS-1", "1", "10.00", "0.00", [Adjustment("CO", "45", Decimal("440.00"))]),
    ]
    check = f"EFT{os.urandom(4).hex().upper()}"
    remittance = Remittance(
        payer_name="Anthem Blue Cross Blue Shield",
        payee_npi="1234567893",
        check_number=check,
        payment_date=date(2026, 11, 24),
        total_paid=Decimal("135.00"),
        claims=claims,
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
        control_number=4242,
        now=datetime(2026, 11, 24, 9, 0),
    )
    response = client.post("/remittances", data=text, headers=headers)
    assert response.status_code == 200, response.json
    [result] = response.json["transactions"]
    assert result["status"] == "posted" and result["check_number"] == check
    assert {p["claim_id"]: p["status"] for p in result["posted"]} == {
        paid["claim_id"]: "paid",
        partial["claim_id"]: "partially_paid",
        denied["claim_id"]: "denied",
    }
    assert [u["claim_id"] for u in result["unmatched"]] == ["CLM-NOT-OURS-1"]
    after = client.get(f"/claims/{paid['claim_id']}", headers={"Authorization": f"Bearer {billing_token}"}).json
    assert after["status"] == "paid" and after["paid_amount"] == 75.0 and after["patient_amount"] == 225.0
    stored = db.fetchone("SELECT deductible, copay FROM claim_payments WHERE claim_id = %s", (paid["claim_id"],))
    assert stored == {"deductible": Decimal("200.00"), "copay": Decimal("25.00")}
    unmatched = db.fetchone("SELECT unmatched FROM remittances WHERE check_number = %s", (check,))["unmatched"]
    assert unmatched[0]["claim_id"] == "CLM-NOT-OURS-1"
    again = client.post("/remittances", data=text, headers=headers)
    assert again.status_code == 409


def _remittance_file(claim_ids: list[str], check: str, control_number: int, *, paid: str = "75.00") -> str:
    from core.x12 import Adjustment, ClaimPayment, PayerContact, Remittance, build_835

    claims = [
        ClaimPayment(
            claim_id=claim_id,
            status_code="1",
            billed=Decimal("450.00"),
            paid=Decimal(paid),
            patient_responsibility=Decimal("225.00"),
            payer_claim_number=f"PCN{n}",
            adjustments=(
                Adjustment("CO", "45", Decimal(450) - Decimal(paid) - Decimal(225)),
                Adjustment("PR", "1", Decimal(225)),
            ),
            patient_last_name="DOE",
            patient_member_id="XYZ100000001",
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
        control_number=control_number,
        now=datetime(2026, 11, 24, 9, 0),
    )


def test_every_payment_of_a_batch_is_posted_once(billing, billing_token, db) -> None:  # type: ignore[no-untyped-def]
    """A clearinghouse file of several payments: each is posted and reported; one with a bad date is reported
    unreadable (naming its segment) without blocking the others; the same file again posts nothing twice."""
    client = billing()
    headers = {"Authorization": f"Bearer {billing_token}", "Content-Type": "application/edi-x12"}
    ids = [_post(client, billing_token, _claim()).json["claim_id"] for _ in range(3)]
    tag = os.urandom(3).hex().upper()
    first = _remittance_file(ids[:2], f"EFT{tag}A", 501)
    second = _remittance_file(ids[2:], f"EFT{tag}B", 502, paid="50.00")
    # BPR16, the payment date, made the 99th day of month 13
    bad = _remittance_file(["CLM-X"], f"EFT{tag}C", 503).replace("*20261124~", "*20261399~", 1)
    response = client.post("/remittances", data=first + second + bad, headers=headers)
    assert response.status_code == 200, response.json
    results = response.json["transactions"]
    assert [r["status"] for r in results] == ["posted", "posted", "unreadable"]
    assert [len(r["posted"]) for r in results[:2]] == [2, 1]
    assert "BPR16" in results[2]["error"] and results[2]["position"] > results[1]["position"] > results[0]["position"]
    statuses = {c: client.get(f"/claims/{c}", headers={"Authorization": f"Bearer {billing_token}"}).json for c in ids}
    assert [statuses[c]["paid_amount"] for c in ids] == [75.0, 75.0, 50.0]
    # the corrected file sent again: the two posted ones are not applied twice, the mended one is posted
    mended = _remittance_file(["CLM-X"], f"EFT{tag}C", 503)
    again = client.post("/remittances", data=first + second + mended, headers=headers)
    assert [r["status"] for r in again.json["transactions"]] == ["already_posted", "already_posted", "posted"]
    assert [
        client.get(f"/claims/{c}", headers={"Authorization": f"Bearer {billing_token}"}).json["paid_amount"]
        for c in ids
    ] == [75.0, 75.0, 50.0]
    count = db.fetchone("SELECT count(*) AS n FROM claim_payments WHERE claim_id = ANY(%s)", (ids,))["n"]
    assert count == 3
    assert client.post("/remittances", data=first + second + mended, headers=headers).status_code == 409


def test_a_malformed_835_is_a_400(billing, billing_token) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {billing_token}", "Content-Type": "application/edi-x12"}
    response = billing().post("/remittances", data="ISA*garbage~", headers=headers)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_x12"


def test_a_bug_in_the_837_writer_is_a_500_not_the_callers_fault(billing, billing_token, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from billing import export_837

    client = billing()
    claim = _post(client, billing_token, _claim()).json

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("line 1: charge must be positive")  # what the writer says of data we should never pass it

    monkeypatch.setattr(export_837, "build_837p", broken)
    response = client.get(f"/claims/{claim['claim_id']}/837", headers={"Authorization": f"Bearer {billing_token}"})
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error" and response.headers["X-Request-ID"]


def test_a_271_without_a_usable_subscriber_address_is_not_exportable(billing, billing_token, db) -> None:  # type: ignore[no-untyped-def]
    client = billing()
    claim = _post(client, billing_token, _claim()).json
    db.execute(
        "UPDATE claims SET claim_data = jsonb_set(claim_data, '{subscriber,zip}', '\"123\"') WHERE claim_id = %s",
        (claim["claim_id"],),
    )
    response = client.get(f"/claims/{claim['claim_id']}/837", headers={"Authorization": f"Bearer {billing_token}"})
    assert response.status_code == 422
    assert "ZIP" in response.json["error"]["message"]


def test_money_is_stored_exactly_never_as_a_float(billing, billing_token, db) -> None:  # type: ignore[no-untyped-def]
    claim = _post(billing(), billing_token, _claim()).json
    row = db.fetchone(
        "SELECT jsonb_typeof(claim_data->'response'->'claim_total') AS total, "
        "claim_data->'response'->'lines'->1->>'deductible' AS deductible FROM claims WHERE claim_id = %s",
        (claim["claim_id"],),
    )
    assert row == {"total": "string", "deductible": "200.00"}
    assert claim["lines"][1]["deductible"] == 200.0  # the answer still writes money as a JSON number
