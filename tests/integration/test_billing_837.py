"""GET /claims/<id>/837 end to end (issue 11): replacements and voids name the payer's claim control number (from
the posted 835, or the desk's), a dependent patient is billed in the 2000C loop, names outside ASCII are written so
pyx12 accepts the file and names too long for their element are 422 naming the element."""

from __future__ import annotations

import json
import os
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
from core.x12 import Adjustment, ClaimPayment, Dependent, PayerContact, Remittance, build_835
from insurance_verify import VerifySettings

KID = Dependent("SAM", "DOE", date(2015, 6, 1), "M", "2 ELM ST", "SPRINGFIELD", "IL", "62702", relationship="19")


@pytest.fixture
def client(db: Database, service_url: str, redis_url: str, payer_sandbox, build_app, served_app) -> Any:  # type: ignore[no-untyped-def]
    """A billing test client wired to a real insurance-verify served over HTTP."""
    shared = {
        "POSTGRES_URL": service_url,
        "REDIS_URL": redis_url,
        "PAYER_SANDBOX_URL": payer_sandbox.url,
        "INTELLUXE_CACHE_PREFIX": f"ilx-test-{os.urandom(4).hex()}:",
    }
    verify = served_app(build_app(insurance_verify.create_app, VerifySettings.from_env({**os.environ, **shared})))
    token = auth.issue_token(db, f"svc-{os.urandom(4).hex()}", Role.SERVICE)
    settings = {**shared, "INSURANCE_VERIFY_URL": verify.url, "INTELLUXE_SERVICE_TOKEN": token}
    return build_app(create_app, BillingSettings.from_env({**os.environ, **settings})).test_client()


@pytest.fixture
def headers(db: Database) -> dict[str, str]:
    return {"Authorization": f"Bearer {auth.issue_token(db, f'billing-{os.urandom(4).hex()}', Role.BILLING)}"}


def _make_claim(client: Any, headers: dict[str, str]) -> str:
    body = {
        "patient_data": {"patient_id": "PAT-1", "provider_id": "dr-smith", "member_id": "XYZ100000001"},
        "services": [
            {"code": "99213", "amount": "150.00", "allowed_amount": "100.00", "diagnosis_codes": ["E11.9"]},
            {"code": "80053", "amount": "300.00", "allowed_amount": "200.00", "diagnosis_codes": ["E11.9", "I10"]},
        ],
        "service_date": "2026-11-20",
    }
    response = client.post("/create_claim", json=body, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["claim_id"]


def _post_835(client: Any, headers: dict[str, str], payments: list[tuple[str, str, str]]) -> None:
    """One 835 paying (claim id, CLP02 status, CLP07 payer claim number) in this order."""
    claims = [
        ClaimPayment(
            claim_id=claim_id,
            status_code=status,
            billed=Decimal("450.00") * (-1 if status == "22" else 1),
            paid=Decimal("0.00"),
            patient_responsibility=Decimal("0.00"),
            payer_claim_number=number,
            adjustments=(Adjustment("CO", "50", Decimal("450.00") * (-1 if status == "22" else 1)),),
            patient_last_name="DOE",
            patient_member_id="XYZ100000001",
        )
        for claim_id, status, number in payments
    ]
    remittance = Remittance(
        payer_name="Anthem Blue Cross Blue Shield",
        payee_npi="1234567893",
        check_number=f"EFT{os.urandom(4).hex().upper()}",
        payment_date=date(2026, 11, 24),
        total_paid=Decimal("0.00"),
        claims=claims,
        payee_name="Intelluxe Demo Clinic",
    )
    payer = PayerContact("990000002", "1 PAYER PLAZA", "CHICAGO", "IL", "60601", "8005550100")
    now = datetime(2026, 11, 24)
    text = build_835(remittance, payer=payer, sender_id="ANTHM", receiver_id="INTELLUXE", control_number=77, now=now)
    response = client.post("/remittances", data=text, headers={**headers, "Content-Type": "application/edi-x12"})
    assert response.status_code == 200, response.json
    assert [t["status"] for t in response.json["transactions"]] == ["posted"]


def _export(client: Any, headers: dict[str, str], claim_id: str, query: str = "") -> Any:
    return client.get(f"/claims/{claim_id}/837{query}", headers=headers)


def _set_stored(db: Database, claim_id: str, path: str, value: Any) -> None:
    db.execute(
        "UPDATE claims SET claim_data = jsonb_set(claim_data, %s, %s::jsonb) WHERE claim_id = %s",
        (path, json.dumps(value), claim_id),
    )


# --------------------------------------------------------------------------------------- replacement and void


def test_a_replacement_names_the_payer_claim_number_of_the_posted_835(
    client: Any, headers: dict[str, str], pyx12_errors: Callable[[str], list[str]]
) -> None:
    claim_id = _make_claim(client, headers)
    _post_835(client, headers, [(claim_id, "4", "ICN-1001")])
    response = _export(client, headers, claim_id, "?frequency=7")
    assert response.status_code == 200, response.json
    text = response.get_data(as_text=True)
    assert "*11:B:7*" in text and "REF*F8*ICN-1001~" in text
    assert text.index("REF*F8*") < text.index("HI*")
    assert pyx12_errors(text) == []
    original = _export(client, headers, claim_id).get_data(as_text=True)
    assert "*11:B:1*" in original and "REF*F8" not in original


def test_the_desk_may_name_the_number_and_void(
    client: Any, headers: dict[str, str], pyx12_errors: Callable[[str], list[str]]
) -> None:
    claim_id = _make_claim(client, headers)  # no 835 came through us: the number is from the payer's portal
    response = _export(client, headers, claim_id, "?frequency=8&payer_claim_control_number=2026-33-0001")
    assert response.status_code == 200, response.json
    text = response.get_data(as_text=True)
    assert "*11:B:8*" in text and "REF*F8*2026-33-0001~" in text
    assert pyx12_errors(text) == []


def test_a_reversal_and_its_correction_in_one_835_name_the_correction(client: Any, headers: dict[str, str]) -> None:
    claim_id = _make_claim(client, headers)
    _post_835(client, headers, [(claim_id, "1", "ICN-OLD")])
    _post_835(client, headers, [(claim_id, "22", "ICN-OLD"), (claim_id, "1", "ICN-NEW")])
    text = _export(client, headers, claim_id, "?frequency=7").get_data(as_text=True)
    assert "REF*F8*ICN-NEW~" in text


def test_replacement_without_a_posted_number_is_not_exportable(client: Any, headers: dict[str, str]) -> None:
    claim_id = _make_claim(client, headers)
    response = _export(client, headers, claim_id, "?frequency=7")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "not_exportable"
    assert list(response.json["error"]["fields"]) == ["payer_claim_control_number"]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?payer_claim_control_number=ICN1", 422, "payer_claim_control_number"),  # an original names no payer number
        ("?frequency=1&payer_claim_control_number=ICN1", 422, "payer_claim_control_number"),
        ("?frequency=9", 400, "frequency"),
        ("?frequency=7&payer_claim_control_number=ICN*1", 400, "payer_claim_control_number"),
        ("?frequency=7&payer_claim_control_number=" + "1" * 51, 400, "payer_claim_control_number"),
        ("?frequency=7&payer_claim_number=ICN1", 400, "payer_claim_number"),  # a misspelt parameter is not ignored
    ],
)
def test_bad_export_parameters_are_refused_naming_the_field(
    client: Any, headers: dict[str, str], query: str, status: int, field: str
) -> None:
    claim_id = _make_claim(client, headers)
    response = _export(client, headers, claim_id, query)
    assert response.status_code == status, response.json
    assert field in response.json["error"]["fields"]
    assert "ICN" not in response.json["error"]["message"]


# ------------------------------------------------------------------------------------------------- dependents


@pytest.fixture
def dependent_answers(monkeypatch: pytest.MonkeyPatch) -> Callable[[Dependent], None]:
    """Make insurance-verify's answers name `dependent` as the patient (as its 271 reader does for a 2100D)."""
    from billing import eligibility_client

    def answer_for(dependent: Dependent) -> None:
        real = eligibility_client.EligibilityClient.verify

        def verify(self, question, *, actor, request_id):  # type: ignore[no-untyped-def]
            return real(self, question, actor=actor, request_id=request_id).model_copy(update={"dependent": dependent})

        monkeypatch.setattr(eligibility_client.EligibilityClient, "verify", verify)

    return answer_for


def test_a_dependent_is_stored_with_the_claim_and_billed_as_the_patient(
    client: Any,
    headers: dict[str, str],
    db: Database,
    dependent_answers: Callable[[Dependent], None],
    pyx12_errors: Callable[[str], list[str]],
) -> None:
    dependent_answers(KID)
    claim_id = _make_claim(client, headers)
    stored = db.fetchone("SELECT claim_data->'dependent' AS d FROM claims WHERE claim_id = %s", (claim_id,))["d"]
    assert stored["relationship"] == "19" and stored["birth_date"] == "2015-06-01"
    response = _export(client, headers, claim_id)
    assert response.status_code == 200, response.json
    text = response.get_data(as_text=True)
    assert "HL*2*1*22*1~" in text and "SBR*P********CI~" in text
    patient = "HL*3*2*23*0~\nPAT*19~\nNM1*QC*1*DOE*SAM~\nN3*2 ELM ST~\nN4*SPRINGFIELD*IL*62702~\nDMG*D8*20150601*M~"
    assert patient in text
    assert pyx12_errors(text) == []


@pytest.mark.parametrize(
    ("dependent", "fragment"),
    [
        (Dependent("SAM", "DOE", None, "M", "2 ELM ST", "SPRINGFIELD", "IL", "62702", "19"), "birth date or address"),
        (Dependent("SAM", "DOE", date(2015, 6, 1), "M", "", "", "", "", "19"), "birth date or address"),
        (Dependent("SAM", "DOE", date(2015, 6, 1), "M", "2 ELM ST", "SPRINGFIELD", "IL", "123", "19"), "ZIP"),
        (Dependent("", "", date(2015, 6, 1), "M", "2 ELM ST", "SPRINGFIELD", "IL", "62702", "19"), "no name"),
    ],
)
def test_a_dependent_without_demographics_is_not_exportable(
    client: Any,
    headers: dict[str, str],
    dependent_answers: Callable[[Dependent], None],
    dependent: Dependent,
    fragment: str,
) -> None:
    dependent_answers(dependent)
    response = _export(client, headers, _make_claim(client, headers))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "not_exportable"
    message = response.json["error"]["message"]
    assert "dependent" in message and fragment in message and "SAM" not in message


def test_a_claim_stored_before_dependents_reads_back_with_the_subscriber_as_patient(
    client: Any, headers: dict[str, str], db: Database
) -> None:
    claim_id = _make_claim(client, headers)
    db.execute("UPDATE claims SET claim_data = claim_data - 'dependent' WHERE claim_id = %s", (claim_id,))
    text = _export(client, headers, claim_id).get_data(as_text=True)
    assert "SBR*P*18*" in text and "PAT*" not in text


# ------------------------------------------------------------------------------------------- names and lengths


def test_non_ascii_names_are_transliterated(
    client: Any, headers: dict[str, str], db: Database, pyx12_errors: Callable[[str], list[str]]
) -> None:
    claim_id = _make_claim(client, headers)
    _set_stored(db, claim_id, "{subscriber,last_name}", "MÜLLER-ÑÚÑEZ")
    _set_stored(db, claim_id, "{subscriber,city}", "Curaçao Springs")
    response = _export(client, headers, claim_id)
    assert response.status_code == 200, response.json
    text = response.get_data(as_text=True)
    assert "NM1*IL*1*MULLER-NUNEZ*JANE*" in text and "N4*CURACAO SPRINGS*" in text
    assert pyx12_errors(text) == []


@pytest.mark.parametrize(
    ("path", "value", "element"),
    [
        ("{subscriber,last_name}", "Ü" * 61, "2010BA NM103"),
        ("{subscriber,first_name}", "J" * 36, "2010BA NM104"),
        ("{subscriber,city}", "S" * 31, "2010BA N401"),
    ],
)
def test_a_name_too_long_for_its_element_is_not_exportable(
    client: Any, headers: dict[str, str], db: Database, path: str, value: str, element: str
) -> None:
    claim_id = _make_claim(client, headers)
    _set_stored(db, claim_id, path, value)
    response = _export(client, headers, claim_id)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "not_exportable" and list(error["fields"]) == [element]
    assert element in error["message"] and value[:10] not in error["message"]


def test_a_dependent_end_to_end_from_the_payers_271_to_the_837(
    client: Any, headers: dict[str, str], pyx12_errors
) -> None:  # type: ignore[no-untyped-def]
    """The claim names the patient (a child on the subscriber's card): insurance-verify asks the payer by name and
    birth date, the sandbox answers in the dependent loop (2000D), and the 837 bills the child in 2000C under the
    subscriber — nothing faked between the payer and the file."""
    child = {"first_name": "Toby", "last_name": "Doe", "birth_date": "2016-09-09"}
    body = {
        "patient_data": {"patient_id": "PAT-TOBY", "provider_id": "dr-smith", "member_id": "XYZ100000001", **child},
        "services": [{"code": "99213", "amount": "150.00", "diagnosis_codes": ["J06.9"]}],
        "service_date": "2026-11-20",
    }
    made = client.post("/create_claim", json=body, headers=headers)
    assert made.status_code == 200, made.json
    text = client.get(f"/claims/{made.json['claim_id']}/837", headers=headers).get_data(as_text=True)
    assert "HL*3*2*23*0~" in text and "PAT*19~" in text and "NM1*QC*1*DOE*TOBY~" in text
    assert "SBR*P**" in text and "NM1*IL*1*DOE*JANE****MI*XYZ100000001~" in text
    assert pyx12_errors(text) == []
    # the subscriber asked about without a name is answered for herself: no 2000C
    mother = {k: v for k, v in body["patient_data"].items() if k not in child}
    made = client.post(
        "/create_claim", json={**body, "patient_data": {**mother, "patient_id": "PAT-JANE"}}, headers=headers
    )
    assert made.status_code == 200, made.json
    text = client.get(f"/claims/{made.json['claim_id']}/837", headers=headers).get_data(as_text=True)
    assert "*23*" not in text.split("CLM*")[0] and "SBR*P*18*" in text
