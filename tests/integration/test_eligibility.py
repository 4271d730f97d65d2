"""insurance-verify's POST /verify end to end: real X12 270/271 with the payer sandbox over HTTP, real PostgreSQL and
Redis, cache, stale fallback, rejections, prior authorization, FHIR and roles."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from core import auth
from core.auth import Role
from core.db import Database
from insurance_verify import VerifySettings, create_app

CACHE_PREFIX = f"ilx-test-{os.urandom(4).hex()}:"  # this run's own Redis keys, whatever else shares the server


@pytest.fixture
def make_verify(service_url: str, redis_url: str, payer_sandbox, build_app) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """Build an insurance-verify test client; keyword overrides go into its settings."""

    def make(**env: str):  # type: ignore[no-untyped-def]
        settings = {
            "POSTGRES_URL": service_url,
            "REDIS_URL": redis_url,
            "PAYER_SANDBOX_URL": payer_sandbox.url,
            "ELIGIBILITY_CACHE_TTL_SECONDS": "3600",
            "INTELLUXE_CACHE_PREFIX": CACHE_PREFIX,
            **env,
        }
        return build_app(create_app, VerifySettings.from_env({**os.environ, **settings})).test_client()

    return make


@pytest.fixture
def token(db: Database) -> Callable[[Role], str]:
    def issue(role: Role) -> str:
        return auth.issue_token(db, f"t-{role.value}-{os.urandom(4).hex()}", role)

    return issue


def _verify(client, token: str, **body: Any):  # type: ignore[no-untyped-def]
    payload = {
        "member_id": "XYZ100000001",
        "provider_id": "dr-smith",
        "service_codes": ["99213"],
        "service_date": "2026-11-20",
        **body,
    }
    return client.post("/verify", json=payload, headers={"Authorization": f"Bearer {token}"})


def _fresh_member_cache(db: Database, redis_url: str) -> None:
    """Forget stored and cached answers so a test sees the payer first."""
    import redis

    db.execute("DELETE FROM insurance_eligibility")
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{CACHE_PREFIX}eligibility:*"):
        client.delete(key)
    client.close()


def test_an_active_member_from_the_payers_real_271(make_verify, token, db, redis_url) -> None:  # type: ignore[no-untyped-def]
    _fresh_member_cache(db, redis_url)
    client = make_verify()
    response = _verify(client, token(Role.CLINICIAN), service_codes=["99213", "70553", "72148"])
    assert response.status_code == 200, response.json
    body = response.json
    assert body["eligibility_status"] == "active"
    assert body["source"] == "payer"
    assert body["payer_id"] == "anthem-bcbs"
    assert body["coverage_details"] == {
        "deductible_remaining": 1200.0,
        "copay_amount": 25.0,
        "out_of_pocket_max": 5000.0,
        "covered_services": ["99213", "70553", "72148"],
        "deductible": 1500.0,
        "family_deductible_remaining": 2100.0,
    }
    assert body["coinsurance_rate"] == 0.2
    assert body["out_of_pocket_remaining"] == 4100.0
    assert body["effective_date"] == "2026-01-01" and body["termination_date"] == "2026-12-31"
    assert body["authorization_required"] is True
    assert body["authorization_required_codes"] == ["70553", "72148"]
    assert body["subscriber"]["last_name"] == "DOE"
    stored = db.fetchone("SELECT * FROM insurance_eligibility WHERE member_id = 'XYZ100000001'")
    assert stored is not None and stored["payer_id"] == "anthem-bcbs" and stored["provider_id"] == "1245319599"
    exchange = db.fetchone("SELECT * FROM payer_exchanges ORDER BY created_at DESC LIMIT 1")
    assert exchange["outcome"] == "ok" and exchange["request_x12"].startswith("ISA")
    assert "ST*271" in exchange["response_x12"]


def test_the_second_request_is_a_cache_hit_even_with_other_codes(make_verify, token, db, redis_url) -> None:  # type: ignore[no-untyped-def]
    _fresh_member_cache(db, redis_url)
    client = make_verify()
    tok = token(Role.BILLING)
    first = _verify(client, tok, service_codes=["99213"])
    before = db.fetchone("SELECT count(*) AS n FROM payer_exchanges")["n"]
    second = _verify(client, tok, service_codes=["70553"])
    assert first.json["source"] == "payer" and second.json["source"] == "cache"
    assert second.json["authorization_required_codes"] == ["70553"]
    assert second.json["coverage_details"]["deductible_remaining"] == 1200.0
    assert db.fetchone("SELECT count(*) AS n FROM payer_exchanges")["n"] == before


def test_payer_policy_adds_prior_auth_codes_the_271_did_not_flag(make_verify, token) -> None:  # type: ignore[no-untyped-def]
    # 70551 is in anthem-bcbs.yml's prior_authorization list but not in the member's 271
    body = _verify(make_verify(), token(Role.CLINICIAN), service_codes=["99213", "70551"]).json
    assert body["authorization_required_codes"] == ["70551"]


@pytest.mark.parametrize(
    ("member", "code", "reason"),
    [("NOSUCH000001", "75", "subscriber not found"), ("BAD", "72", "invalid or missing member id")],
)
def test_rejections_are_200_rejected_with_the_reason_never_inactive(
    make_verify,
    token,
    member,
    code,  # type: ignore[no-untyped-def]
    reason,
) -> None:
    response = _verify(make_verify(), token(Role.CLINICIAN), member_id=member)
    assert response.status_code == 200
    assert response.json["eligibility_status"] == "rejected"
    assert response.json["reject_reason_code"] == code
    assert response.json["reject_reason"] == reason
    assert response.json["coverage_details"]["covered_services"] == []


def test_an_inactive_member(make_verify, token) -> None:  # type: ignore[no-untyped-def]
    body = _verify(make_verify(), token(Role.CLINICIAN), member_id="XYZ100000002").json
    assert body["eligibility_status"] == "inactive"
    assert body["termination_date"] == "2025-12-31"


def test_a_family_plan_with_another_payer(make_verify, token) -> None:  # type: ignore[no-untyped-def]
    body = _verify(
        make_verify(),
        token(Role.CLINICIAN),
        member_id="UHC200000001",
        payer_id="unitedhealthcare",
        service_codes=["93306"],
    ).json
    assert body["eligibility_status"] == "active"
    assert body["coverage_details"]["family_deductible_remaining"] == 300.0
    assert body["coverage_details"]["deductible_remaining"] == 500.0
    assert body["authorization_required_codes"] == ["93306"]


def test_a_member_sent_to_the_wrong_payer_is_not_found(make_verify, token) -> None:  # type: ignore[no-untyped-def]
    body = _verify(make_verify(), token(Role.CLINICIAN), member_id="UHC200000001", payer_id="cigna").json
    assert body["eligibility_status"] == "rejected" and body["reject_reason_code"] == "75"


def test_redis_down_still_answers(make_verify, token, stoppable_redis) -> None:  # type: ignore[no-untyped-def]
    from core import embedded

    client = make_verify(REDIS_URL=embedded.redis_url(stoppable_redis))
    embedded.stop_redis(stoppable_redis)
    tok = token(Role.CLINICIAN)
    first = _verify(client, tok)
    second = _verify(client, tok)
    assert first.status_code == 200 and second.status_code == 200
    assert first.json["source"] == second.json["source"] == "payer"
    assert client.get("/health").json["status"] == "degraded"


def test_payer_down_serves_a_recent_stored_answer_as_stale(make_verify, token, db, redis_url, dead_url) -> None:  # type: ignore[no-untyped-def]
    _fresh_member_cache(db, redis_url)
    tok = token(Role.CLINICIAN)
    assert _verify(make_verify(), tok).json["source"] == "payer"
    _fresh_member_cache_redis_only(redis_url)
    down = make_verify(PAYER_SANDBOX_URL=dead_url)
    stale = _verify(down, tok)
    assert stale.status_code == 200
    assert stale.json["source"] == "stale"
    assert stale.json["eligibility_status"] == "active"
    exchange = db.fetchone("SELECT outcome FROM payer_exchanges ORDER BY created_at DESC LIMIT 1")
    assert exchange["outcome"] == "unreachable"


def test_payer_down_without_a_recent_answer_is_503(make_verify, token, db, redis_url, dead_url) -> None:  # type: ignore[no-untyped-def]
    _fresh_member_cache(db, redis_url)
    response = _verify(make_verify(PAYER_SANDBOX_URL=dead_url), token(Role.CLINICIAN))
    assert response.status_code == 503
    assert response.json["error"]["code"] == "payer_unavailable"
    assert "XYZ100000001" not in response.get_data(as_text=True)


def test_a_stored_answer_older_than_the_stale_age_is_not_served(make_verify, token, db, redis_url, dead_url) -> None:  # type: ignore[no-untyped-def]
    _fresh_member_cache(db, redis_url)
    tok = token(Role.CLINICIAN)
    _verify(make_verify(), tok)
    db.execute("UPDATE insurance_eligibility SET effective_date = effective_date - interval '2 hours'")
    _fresh_member_cache_redis_only(redis_url)
    response = _verify(make_verify(PAYER_SANDBOX_URL=dead_url, ELIGIBILITY_STALE_MAX_AGE_SECONDS="3600"), tok)
    assert response.status_code == 503


def _fresh_member_cache_redis_only(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{CACHE_PREFIX}eligibility:*"):
        client.delete(key)
    client.close()


def test_fhir_coverage_eligibility_response(make_verify, token) -> None:  # type: ignore[no-untyped-def]
    client = make_verify()
    response = client.post(
        "/verify",
        json={
            "member_id": "XYZ100000001",
            "provider_id": "dr-smith",
            "service_codes": ["99213", "70553"],
            "service_date": "2026-11-20",
        },
        headers={"Authorization": f"Bearer {token(Role.CLINICIAN)}", "Accept": "application/fhir+json"},
    )
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    resource = response.json
    from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse

    parsed = CoverageEligibilityResponse.model_validate(resource)
    assert parsed.outcome == "complete"
    insurance = parsed.insurance[0]
    assert insurance.inforce is True
    auth_items = {i.productOrService.coding[0].code: i.authorizationRequired for i in insurance.item[1:]}
    assert auth_items == {"99213": False, "70553": True}
    deductible = insurance.item[0].benefit[0]
    assert float(deductible.allowedMoney.value) == 1500.0 and float(deductible.usedMoney.value) == 300.0


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"member_id": ""}, "member_id", 400),
        ({"member_id": "has space"}, "member_id", 400),
        ({"service_codes": []}, "service_codes", 400),
        ({"service_codes": ["9921"]}, "service_codes", 400),
        ({"service_date": "not-a-date"}, "service_date", 400),
        ({"surprise": 1}, "surprise", 400),
        ({"payer_id": "acme"}, "payer_id", 422),  # well formed, but the clinic has no such payer
        ({"provider_id": "nobody"}, "provider_id", 422),
    ],
)
def test_bad_input_is_refused_naming_the_field(make_verify, token, body: dict, field: str, status: int) -> None:  # type: ignore[no-untyped-def]
    response = _verify(make_verify(), token(Role.CLINICIAN), **body)
    assert response.status_code == status
    assert field in response.json["error"]["fields"]


def test_roles(make_verify, token) -> None:  # type: ignore[no-untyped-def]
    client = make_verify()
    assert _verify(client, token(Role.COMPLIANCE)).status_code == 403
    assert _verify(client, token(Role.SERVICE)).status_code == 200
    assert _verify(client, "ilx_nonsense").status_code == 401


def test_every_call_is_audited_without_phi_in_details(make_verify, token, db) -> None:  # type: ignore[no-untyped-def]
    client = make_verify()
    headers = {"Authorization": f"Bearer {token(Role.CLINICIAN)}", "X-Request-ID": "audit-iv-1"}
    body = {"member_id": "XYZ100000003", "provider_id": "dr-jones", "service_codes": ["99214"]}
    response = client.post("/verify", json=body, headers=headers)
    assert response.status_code == 200
    row = db.fetchone("SELECT * FROM audit_log WHERE request_id = 'audit-iv-1'")
    assert row["action"] == "verify" and row["resource_type"] == "eligibility" and row["outcome"] == "success"
    assert row["resource_id"] == "XYZ100000003"
    assert row["details"]["payer_id"] == "anthem-bcbs" and row["details"]["status"] == "active"
    assert "ALEX" not in str(row["details"]) and "SAMPLE" not in str(row["details"])


def test_openapi_documents_verify(make_verify) -> None:  # type: ignore[no-untyped-def]
    doc = make_verify().get("/openapi.json").json
    op = doc["paths"]["/verify"]["post"]
    assert {"200", "400", "401", "403", "502", "503"} <= set(op["responses"])
    assert "VerifyRequest" in doc["components"]["schemas"]
    assert op["x-roles"] == ["admin", "billing", "clinician", "service"]


def test_a_dependent_is_answered_for_and_never_served_for_the_subscriber(make_verify, token, db, redis_url) -> None:  # type: ignore[no-untyped-def]
    """The payer answers a subscriber's id for each dependent too: the answer about the child (named by name and
    birth date) carries the child, and neither the cache nor the stored row serves it when the mother is asked."""
    _fresh_member_cache(db, redis_url)
    client = make_verify()
    clinician = token(Role.CLINICIAN)
    child = {"member_first_name": "TOBY", "member_last_name": "DOE", "member_birth_date": "2016-09-09"}
    answer = _verify(client, clinician, **child).json
    assert answer["eligibility_status"] == "active" and answer["source"] == "payer"
    assert answer["dependent"]["first_name"] == "TOBY" and answer["dependent"]["relationship"] == "19"
    assert answer["subscriber"]["first_name"] == "JANE"
    mother = _verify(client, clinician).json
    assert mother["source"] == "payer" and "dependent" not in mother  # not the child's cached answer
    again = _verify(client, clinician, **child).json
    assert again["source"] == "cache" and again["dependent"]["first_name"] == "TOBY"
    rows = db.fetchone("SELECT count(*) AS n FROM insurance_eligibility WHERE member_id = 'XYZ100000001'")["n"]
    assert rows == 2
