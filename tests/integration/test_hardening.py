"""What an outside test of the services found (issue 10): hostile input is a 4xx JSON error naming what is wrong,
never a 500, and every request is still audited (a NUL in a path id used to fail the audit insert and go
unaudited); odd paths get JSON, not an HTML redirect; /log_access audits its refusals; logs never carry the
database's error text."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import billing
import compliance
import insurance_verify
from core import auth
from core.auth import Role
from core.db import Database


@pytest.fixture
def clients(service_url: str, redis_url: str, dead_url: str, build_app) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """clients(**env) -> {service: test client}; the payer and insurance-verify are unreachable (bad input must be
    refused before anything is asked of them)."""

    def make(**env: str) -> dict[str, Any]:
        shared = {
            **os.environ,
            "POSTGRES_URL": service_url,
            "REDIS_URL": redis_url,
            "PAYER_SANDBOX_URL": dead_url,
            "INSURANCE_VERIFY_URL": dead_url,
            "INTELLUXE_SERVICE_TOKEN": "ilx_unused_unused",
            **env,
        }
        return {
            "compliance": build_app(compliance.create_app, compliance.ComplianceSettings.from_env(shared)),
            "billing": build_app(billing.create_app, billing.BillingSettings.from_env(shared)),
            "insurance-verify": build_app(
                insurance_verify.create_app, insurance_verify.VerifySettings.from_env(shared)
            ),
        }

    return lambda **env: {name: app.test_client() for name, app in make(**env).items()}


@pytest.fixture
def admin(db: Database) -> dict[str, str]:
    return {"Authorization": f"Bearer {auth.issue_token(db, f'admin-{os.urandom(4).hex()}', Role.ADMIN)}"}


JSON_POSTS = [
    ("compliance", "/log_access"),
    ("compliance", "/scan_pii"),
    ("billing", "/create_claim"),
    ("insurance-verify", "/verify"),
]


def _error(response) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.is_json, response.data[:200]
    return response.get_json()["error"]


def _audited(db: Database, response) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return db.fetchall(
        "SELECT outcome, http_status, resource_id FROM audit_log WHERE request_id = %s",
        (response.headers["X-Request-ID"],),
    )


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize(("service", "path"), JSON_POSTS)
def test_json_nested_too_deeply_is_a_400(clients, admin, service, path, depth) -> None:  # type: ignore[no-untyped-def]
    body = "[" * depth + "]" * depth
    response = clients()[service].post(path, data=body, headers={**admin, "Content-Type": "application/json"})
    assert response.status_code == 400 and _error(response)["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("service", "path", "field"),
    [
        ("billing", "/claims?patient_id=%00", "patient_id"),
        ("billing", "/claims?before=%00", "before"),
        ("compliance", "/audit?user_id=%00", "user_id"),
        ("compliance", "/alerts?user_id=a%00b", "user_id"),
    ],
)
def test_a_nul_in_a_query_is_a_400_naming_it_and_audited(clients, admin, db, service, path, field) -> None:  # type: ignore[no-untyped-def]
    response = clients()[service].get(path, headers=admin)
    assert response.status_code == 400 and _error(response)["fields"] == {field: "must not contain a NUL character"}
    assert [(r["outcome"], r["http_status"]) for r in _audited(db, response)] == [("failure", 400)]


def test_a_nul_in_a_path_id_is_a_400_and_audited(clients, admin, db) -> None:  # type: ignore[no-untyped-def]
    response = clients()["billing"].get("/claims/%00", headers=admin)
    assert response.status_code == 400 and _error(response)["fields"] == {
        "claim_id": "must not contain a NUL character"
    }
    assert [(r["outcome"], r["http_status"]) for r in _audited(db, response)] == [("failure", 400)]


def test_a_nul_in_a_body_string_is_a_400_naming_the_field(clients, admin, db) -> None:  # type: ignore[no-untyped-def]
    access = {"user_id": "nurse-1", "resource": "patient/1\x00", "action": "view", "success": True}
    response = clients()["compliance"].post("/log_access", json=access, headers=admin)
    assert response.status_code == 400 and _error(response)["fields"] == {
        "resource": "must not contain a NUL character"
    }
    response = clients()["compliance"].post("/scan_pii", json={"content": "MRN 12345\x00"}, headers=admin)
    assert response.status_code == 400 and _error(response)["fields"] == {"content": "must not contain a NUL character"}
    assert [(r["outcome"], r["http_status"]) for r in _audited(db, response)] == [("failure", 400)]


def test_a_body_over_the_limit_is_a_413_before_it_is_read(clients, admin, db) -> None:  # type: ignore[no-untyped-def]
    client = clients(MAX_REQUEST_BYTES="4096")["compliance"]
    big = {"content": "x" * 5000}
    response = client.post("/scan_pii", json=big, headers=admin)
    assert response.status_code == 413 and _error(response)["code"] == "request_entity_too_large"
    assert [(r["outcome"], r["http_status"]) for r in _audited(db, response)] == [("failure", 413)]
    assert client.post("/scan_pii", json={"content": "x" * 3000}, headers=admin).status_code == 200


def test_the_default_limit_is_8_mib(clients, admin) -> None:  # type: ignore[no-untyped-def]
    body = b'{"content": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    response = clients()["compliance"].post(
        "/scan_pii", data=body, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize("service_date", ["0999-01-01", "1899-12-31"])
def test_a_service_date_no_payer_can_read_is_refused(clients, admin, service_date) -> None:  # type: ignore[no-untyped-def]
    """A well-formed date that no 270 can carry: 422 naming it (it wrote an invalid 270 and answered 502/503)."""
    body = {"member_id": "XYZ100000001", "provider_id": "dr-smith", "service_codes": ["99213"]}
    response = clients()["insurance-verify"].post("/verify", json={**body, "service_date": service_date}, headers=admin)
    assert response.status_code == 422 and set(_error(response)["fields"]) == {"service_date"}


def test_odd_slashes_get_json_not_an_html_redirect(clients, admin) -> None:  # type: ignore[no-untyped-def]
    client = clients()["billing"]
    response = client.get("//claims", headers=admin)
    assert response.status_code == 404 and _error(response)["code"] == "not_found"
    assert client.get("/claims/", headers=admin).get_json() == client.get("/claims", headers=admin).get_json()


def test_log_access_audits_its_refusals_and_writes_one_row_when_it_succeeds(clients, db) -> None:  # type: ignore[no-untyped-def]
    client = clients()["compliance"]
    access = {"user_id": "nurse-7", "resource": "patient/7/chart", "action": "view", "success": True}
    refused = client.post("/log_access", json=access)
    assert refused.status_code == 401 and _audited(db, refused) == [
        {"outcome": "denied", "http_status": 401, "resource_id": None}
    ]
    clinician = auth.issue_token(db, f"dr-{os.urandom(4).hex()}", Role.CLINICIAN)
    forbidden = client.post("/log_access", json=access, headers={"Authorization": f"Bearer {clinician}"})
    assert forbidden.status_code == 403 and [r["outcome"] for r in _audited(db, forbidden)] == ["denied"]
    service = auth.issue_token(db, f"svc-{os.urandom(4).hex()}", Role.SERVICE)
    logged = client.post("/log_access", json=access, headers={"Authorization": f"Bearer {service}"})
    assert logged.status_code == 200
    rows = db.fetchall("SELECT user_id, action FROM audit_log WHERE request_id = %s", (logged.headers["X-Request-ID"],))
    assert rows == [{"user_id": "nurse-7", "action": "view"}]  # the reported access is this request's row


def test_the_log_never_carries_the_database_error_text(build_app, redis_url, caplog) -> None:  # type: ignore[no-untyped-def]
    unreachable = "postgresql://postgres@/test?host=/nonexistent-socket-dir"
    settings = compliance.ComplianceSettings.from_env(
        {**os.environ, "POSTGRES_URL": unreachable, "REDIS_URL": redis_url}
    )
    client = build_app(compliance.create_app, settings).test_client()
    with caplog.at_level(logging.INFO):
        response = client.get("/audit", headers={"Authorization": "Bearer ilx_0123456789abcdef_" + "A" * 43})
    assert response.status_code == 503
    assert "database unavailable (OperationalError)" in caplog.text
    assert "nonexistent-socket-dir" not in caplog.text and ".s.PGSQL" not in caplog.text


@pytest.mark.parametrize("field", ["redact", "surrogate"])
def test_a_number_where_a_boolean_is_documented_is_a_400(clients, admin, field) -> None:  # type: ignore[no-untyped-def]
    response = clients()["compliance"].post("/scan_pii", json={"content": "x", field: 0}, headers=admin)
    assert response.status_code == 400 and set(_error(response)["fields"]) == {field}


def test_the_payer_sandbox_answers_errors_in_json(build_app) -> None:  # type: ignore[no-untyped-def]
    import payer_sandbox

    settings = payer_sandbox.SandboxSettings.from_env({**os.environ, "SANDBOX_TOKEN": "s3cret"})
    client = build_app(payer_sandbox.create_app, settings).test_client()
    refused = client.post("/x12/270", data="ISA*")
    assert refused.status_code == 401 and _error(refused)["code"] == "unauthorized"
    unreadable = client.post("/x12/270", data="not x12", headers={"Authorization": "Bearer s3cret"})
    assert unreadable.status_code == 400 and _error(unreadable)["code"] == "invalid_x12"


@pytest.fixture
def gunicorn_sandbox(tmp_path) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """The payer sandbox under the services' own gunicorn settings (core.gunicorn_conf, 2 workers), on a free
    port; yields the port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "INTELLUXE_HOME": str(tmp_path)}
    env.pop("TLS_CERT_DIR", None)
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "python:core.gunicorn_conf", "payer_sandbox:create_app()"]
    server = subprocess.Popen(gunicorn, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(10)


def _http(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def test_what_gunicorn_refuses_itself_is_json_too(gunicorn_sandbox: int) -> None:
    """A request line over gunicorn's 4094 bytes is refused before the app runs: 414, in JSON, not an HTML page
    quoting the path."""
    secret = "/x12/PATIENT-123456789-" + "a" * 5000
    answer = _http(gunicorn_sandbox, f"GET {secret} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 ") and b"Content-Type: application/json" in head
    assert json.loads(body)["error"]["code"] == "uri_too_long"
    assert b"PATIENT-123456789" not in answer


def test_64_slow_clients_do_not_take_a_service_down(gunicorn_sandbox: int) -> None:
    """Clients that announce a body and trickle it a byte a second held all 2 x 4 gthread threads: 8 of them made
    /health time out. Under the gevent worker each is a greenlet; the service keeps answering."""
    stop = threading.Event()
    opened: list[socket.socket] = []

    def trickle() -> None:
        try:
            conn = socket.create_connection(("127.0.0.1", gunicorn_sandbox), timeout=30)
            opened.append(conn)
            conn.sendall(b"POST /x12/270 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
            while not stop.wait(1.0):
                conn.sendall(b"I")
        except OSError:
            pass

    slow = [threading.Thread(target=trickle, daemon=True) for _ in range(64)]
    for thread in slow:
        thread.start()
    try:
        time.sleep(2.0)  # every slow client is connected and trickling
        for _ in range(10):
            answer = _http(gunicorn_sandbox, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 200 ")
        assert len(opened) == 64
    finally:
        stop.set()
        for conn in opened:
            conn.close()


def test_the_openapi_documents_say_what_the_services_do(clients, build_app) -> None:  # type: ignore[no-untyped-def]
    """What issue 10 found undocumented: the Idempotency-Key header, the 400s of query parameters, the procedure
    code format, the X12 bodies; and every documented error is the JSON error body."""
    import payer_sandbox

    docs = {name: client.get("/openapi.json").get_json() for name, client in clients().items()}
    sandbox = build_app(payer_sandbox.create_app, payer_sandbox.SandboxSettings.from_env(dict(os.environ)))
    docs["payer-sandbox"] = sandbox.test_client().get("/openapi.json").get_json()

    create = docs["billing"]["paths"]["/create_claim"]["post"]
    assert {"name": "Idempotency-Key", "in": "header"}.items() <= create["parameters"][0].items()
    for service, path in [("billing", "/claims"), ("compliance", "/alerts"), ("compliance", "/audit")]:
        assert "400" in docs[service]["paths"][path]["get"]["responses"], (service, path)
    verify = docs["insurance-verify"]["components"]["schemas"]["VerifyRequest"]["properties"]["service_codes"]
    assert verify["items"]["pattern"] == "^(\\d{4}[0-9AFMTU]|[A-V]\\d{4})$"
    assert set(docs["payer-sandbox"]["paths"]["/x12/270"]["post"]["requestBody"]["content"]) == {"application/edi-x12"}
    assert set(docs["billing"]["paths"]["/remittances"]["post"]["requestBody"]["content"]) == {"application/edi-x12"}
    for service, doc in docs.items():
        for path, operations in doc["paths"].items():
            for method, operation in operations.items():
                for status, response in operation["responses"].items():
                    if int(status) >= 400 and path != "/health":  # /health answers 503 with its checks
                        schema = response.get("content", {}).get("application/json", {}).get("schema")
                        assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (service, method, path, status)


@pytest.mark.parametrize(
    ("service", "path", "field"),
    [("billing", "/claims?patientid=PAT-1", "patientid"), ("compliance", "/alerts?state=open", "state")],
)
def test_an_unknown_query_parameter_is_a_400_not_ignored(clients, admin, service, path, field) -> None:  # type: ignore[no-untyped-def]
    """A misspelt filter used to be ignored: the answer held every patient's claims."""
    response = clients()[service].get(path, headers=admin)
    assert response.status_code == 400 and _error(response)["fields"] == {field: "not a parameter of this endpoint"}


def test_query_parameters_are_documented_with_what_they_accept(clients) -> None:  # type: ignore[no-untyped-def]
    doc = clients()["billing"].get("/openapi.json").get_json()
    params = {p["name"]: p["schema"] for p in doc["paths"]["/claims"]["get"]["parameters"]}
    assert params["limit"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
    assert params["status"]["enum"] and params["patient_id"] == {"type": "string"}


def test_what_the_document_says_of_a_query_parameter_is_what_the_view_takes(clients, admin) -> None:  # type: ignore[no-untyped-def]
    """One place for a parameter's bounds and default: the document. The view refuses past the documented maximum,
    takes it, and uses the documented default when the parameter is absent."""
    client = clients()["billing"]
    doc = client.get("/openapi.json").get_json()
    limit = next(p["schema"] for p in doc["paths"]["/claims"]["get"]["parameters"] if p["name"] == "limit")
    top = limit["maximum"]
    assert client.get("/claims", query_string={"limit": top + 1}, headers=admin).status_code == 400
    assert client.get("/claims", query_string={"limit": top}, headers=admin).status_code == 200
    refused = client.get("/claims", query_string={"limit": 0}, headers=admin).get_json()["error"]["fields"]
    assert refused == {"limit": f"a whole number from {limit['minimum']} to {top}"}


@pytest.mark.parametrize(("since", "status"), [("8052-02-20T07:32:26-21:34", 200), ("9999-12-31T23:59:59-23:59", 400)])
def test_an_offset_postgresql_refuses_is_no_500(clients, admin, since, status) -> None:  # type: ignore[no-untyped-def]
    """schemathesis found it: Python reads offsets up to ±23:59, PostgreSQL only to ±15:59 (it was a 500)."""
    response = clients()["compliance"].get("/audit", query_string={"since": since}, headers=admin)
    assert response.status_code == status, response.get_json()


def test_an_empty_amount_is_refused_by_the_documented_schema_too(clients) -> None:  # type: ignore[no-untyped-def]
    doc = clients()["billing"].get("/openapi.json").get_json()
    amount = doc["components"]["schemas"]["ServiceIn"]["properties"]["amount"]
    string = next(option for option in amount["anyOf"] if option["type"] == "string")
    assert string["pattern"] == "^(?!0+(\\.0+)?$)\\d{1,10}(\\.\\d{1,2})?$"  # "" and "0" do not match
