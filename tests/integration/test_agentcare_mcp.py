"""agentcare-mcp end to end: the tools through the SDK's client (memory transport, as a stdio session runs) and over
streamable HTTP with bearer tokens, against a real insurance-verify, billing and compliance over HTTP and the payer
sandbox; audit rows carry no identifier that was sent; the loader skips broken generated tools."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import mcp
import pytest
import requests
import uvicorn
from mcp.client.streamable_http import streamable_http_client

import billing
import compliance
import insurance_verify
from agentcare_mcp import McpSettings, create_app, create_server
from agentcare_mcp.tool_base import Caller
from core import auth
from core.auth import Role
from core.db import Database

MEMBER = "XYZ100000001"  # the sandbox's active Anthem member (a plainly fake person)


@pytest.fixture
def suite(service_url: str, redis_url: str, payer_sandbox, build_app, served_app, db: Database) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """insurance-verify, billing and compliance served over HTTP, and the environment the MCP server gets."""
    shared = {
        **os.environ,
        "POSTGRES_URL": service_url,
        "REDIS_URL": redis_url,
        "PAYER_SANDBOX_URL": payer_sandbox.url,
        "INTELLUXE_CACHE_PREFIX": f"ilx-mcp-{os.urandom(4).hex()}:",
    }
    verify = served_app(build_app(insurance_verify.create_app, insurance_verify.VerifySettings.from_env(shared)))
    service_token = auth.issue_token(db, f"svc-{os.urandom(4).hex()}", Role.SERVICE)
    billing_env = {**shared, "INSURANCE_VERIFY_URL": verify.url, "INTELLUXE_SERVICE_TOKEN": service_token}
    bill = served_app(build_app(billing.create_app, billing.BillingSettings.from_env(billing_env)))
    comp = served_app(build_app(compliance.create_app, compliance.ComplianceSettings.from_env(shared)))
    return {
        **shared,
        "INSURANCE_VERIFY_URL": verify.url,
        "BILLING_URL": bill.url,
        "COMPLIANCE_URL": comp.url,
        "MCP_TOOLS_DIR": "/nonexistent",
    }


@pytest.fixture
def token_of(db: Database) -> Callable[[Role], tuple[str, str]]:
    def issue(role: Role) -> tuple[str, str]:
        name = f"mcp-{role.value}-{os.urandom(4).hex()}"
        return name, auth.issue_token(db, name, role)

    return issue


@dataclass(frozen=True)
class Called:
    is_error: bool
    structured_content: Any
    text: str  # the one-line summary, or the tool error
    caller: str  # the token name the call ran as (its audit rows' user_id)


@pytest.fixture
def session(suite: dict[str, str], token_of, db: Database):  # type: ignore[no-untyped-def]
    """call(role, tool, arguments) -> Called, through the SDK client in process, as this test's caller of that role."""
    made: list[Any] = []
    tokens: dict[Role, tuple[str, str]] = {}  # one caller per role for the test, as a client keeps its token

    def call(role: Role, tool: str, arguments: dict[str, Any], **env: str) -> Any:
        name, token = tokens.setdefault(role, token_of(role))
        settings = McpSettings.from_env({**suite, **env})
        server, runtime, _ = create_server(settings, db=db, stdio_caller=Caller(name=name, role=role, token=token))
        made.append(runtime)

        async def go() -> Any:
            async with mcp.Client(server) as client:
                return await client.call_tool(tool, arguments)

        result = asyncio.run(go())
        return Called(result.is_error, result.structured_content, result.content[0].text, name)

    yield call
    for runtime in made:
        runtime.suite.close()


def _audit_rows(db: Database, caller: str) -> list[dict[str, Any]]:
    return db.fetchall(
        "SELECT service, user_id, actor_role, action, resource_type, resource_id, outcome, details FROM audit_log "
        "WHERE user_id = %s ORDER BY seq",
        (caller,),
    )


def test_eligibility_through_the_payer_with_one_audit_row_and_no_identifier(session, db) -> None:  # type: ignore[no-untyped-def]
    args = {
        "member_id": MEMBER,
        "provider_id": "dr-smith",
        "service_codes": ["99213", "70553"],
        "member_first_name": "JANE",
        "member_last_name": "DOE",
        "member_birth_date": "1980-02-14",
    }
    result = session(Role.CLINICIAN, "anthem_bcbs_check_eligibility", args)
    assert not result.is_error, result.text
    coverage = result.structured_content
    assert coverage["eligibility_status"] == "active" and coverage["payer_id"] == "anthem-bcbs"
    assert coverage["plan_name"] == "Anthem Blue PPO Gold"
    assert "70553" in coverage["authorization_required_codes"]
    assert result.text.startswith("active with anthem-bcbs (Anthem Blue PPO Gold)")
    rows = [r for r in _audit_rows(db, result.caller) if r["service"] == "agentcare-mcp"]
    assert len(rows) == 1
    row = rows[0]
    assert row["action"] == "tool:anthem_bcbs_check_eligibility" and row["outcome"] == "success"
    assert row["details"]["payer_id"] == "anthem-bcbs" and row["details"]["service_codes"] == ["99213", "70553"]
    written = json.dumps(row, default=str)
    for sent in (MEMBER, "JANE", "DOE", "1980-02-14"):
        assert sent not in written
    # insurance-verify audited the same caller (the token was forwarded, not the server's own)
    assert any(r["service"] == "insurance-verify" for r in _audit_rows(db, result.caller))


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"member_id": MEMBER, "provider_id": "dr-smith", "service_codes": ["99213"], "ssn": "219-09-9999"}, "ssn"),
        ({"member_id": "JANE DOE 1980", "provider_id": "dr-smith", "service_codes": ["99213"]}, "member_id"),
        ({"provider_id": "dr-smith", "service_codes": ["99213"]}, "member_id"),
        (
            {"member_id": MEMBER, "provider_id": "dr-smith", "service_codes": ["99213"], "member_birth_date": "x"},
            "member_birth_date",
        ),
    ],
)
def test_bad_arguments_are_a_tool_error_naming_the_field_never_its_value(session, db, arguments, field) -> None:  # type: ignore[no-untyped-def]
    result = session(Role.CLINICIAN, "anthem_bcbs_check_eligibility", arguments)
    assert result.is_error
    text = result.text
    assert field in text
    for value in ("219-09-9999", "JANE DOE 1980"):
        assert value not in text
    (row,) = _audit_rows(db, result.caller)
    assert row["outcome"] == "failure" and row["details"]["error"] == "invalid_arguments"


def test_a_role_the_tool_does_not_allow_is_refused_and_audited_as_denied(session, db) -> None:  # type: ignore[no-untyped-def]
    result = session(
        Role.COMPLIANCE,
        "anthem_bcbs_check_eligibility",
        {"member_id": MEMBER, "provider_id": "dr-smith", "service_codes": ["99213"]},
    )
    assert result.is_error and "role compliance may not call anthem_bcbs_check_eligibility" in result.text
    (row,) = _audit_rows(db, result.caller)
    assert row["outcome"] == "denied" and row["details"]["error"] == "forbidden"


def test_payer_down_is_a_tool_error_not_a_crash(session, suite, build_app, served_app, dead_url) -> None:  # type: ignore[no-untyped-def]
    env = {**suite, "PAYER_SANDBOX_URL": dead_url, "INTELLUXE_CACHE_PREFIX": f"ilx-mcp-{os.urandom(4).hex()}:"}
    verify = served_app(build_app(insurance_verify.create_app, insurance_verify.VerifySettings.from_env(env)))
    result = session(
        Role.BILLING,
        "cigna_check_eligibility",
        {"member_id": "CIG300000001", "provider_id": "dr-smith", "service_codes": ["99213"]},
        INSURANCE_VERIFY_URL=verify.url,
    )
    assert result.is_error
    assert "insurance-verify could not answer (HTTP 503" in result.text


def test_prior_authorization_from_the_payer_rules(session) -> None:  # type: ignore[no-untyped-def]
    result = session(Role.CLINICIAN, "cigna_prior_authorization_required", {"procedure_codes": ["70553", "99213"]})
    assert not result.is_error
    assert result.structured_content["required_codes"] == ["70553"]
    assert result.text == "cigna: prior authorization needed for 70553"


def test_estimate_from_the_members_coverage(session) -> None:  # type: ignore[no-untyped-def]
    # Active Anthem member: copay 25 (office visit; the copay waives the deductible), 1200 of deductible left.
    args = {
        "member_id": MEMBER,
        "provider_id": "dr-smith",
        "payer_id": "anthem-bcbs",
        "lines": [{"code": "99213", "billed": "150.00", "allowed": "120.00"}, {"code": "80053", "billed": "60.00"}],
    }
    result = session(Role.BILLING, "estimate_patient_responsibility", args)
    assert not result.is_error, result.text
    answer = result.structured_content
    assert answer["eligibility_status"] == "active"
    assert [line["patient_responsibility"] for line in answer["lines"]] == ["25.00", "60.00"]
    assert answer["patient_responsibility"] == "85.00"
    inactive = session(Role.BILLING, "estimate_patient_responsibility", {**args, "member_id": "XYZ100000002"})
    assert inactive.structured_content["eligibility_status"] == "inactive"
    assert inactive.structured_content["insurance_responsibility"] == "0.00"


def test_claim_submitted_then_its_status(session) -> None:  # type: ignore[no-untyped-def]
    claim = {
        "patient_data": {"patient_id": "PAT-MCP-1", "provider_id": "dr-smith", "member_id": MEMBER},
        "services": [{"code": "99213", "amount": "150.00", "diagnosis_codes": ["E11.9"]}],
        "idempotency_key": f"mcp-{os.urandom(4).hex()}",
    }
    created = session(Role.BILLING, "anthem_bcbs_submit_claim", claim)
    assert not created.is_error, created.text
    claim_id = created.structured_content["claim_id"]
    assert created.structured_content["x12_837p_path"] == f"/claims/{claim_id}/837"
    again = session(Role.BILLING, "anthem_bcbs_submit_claim", claim)
    assert again.structured_content["claim_id"] == claim_id  # the idempotency key made the retry safe
    status = session(Role.BILLING, "claim_status", {"claim_id": claim_id})
    assert not status.is_error and status.structured_content["claim_id"] == claim_id
    assert session(Role.CLINICIAN, "anthem_bcbs_submit_claim", claim).is_error  # billing's role only


def test_formulary_from_the_payers_published_drug_list(session) -> None:  # type: ignore[no-untyped-def]
    found = session(Role.CLINICIAN, "unitedhealthcare_formulary_lookup", {"drug_name": "specialty injection"})
    assert not found.is_error, found.text
    answer = found.structured_content
    assert answer["on_formulary"] and answer["prior_authorization"] and answer["entries_skipped"] == 1
    assert [d["rxnorm_id"] for d in answer["drugs"]] == ["0000000"]
    assert found.text == "unitedhealthcare: on the formulary (SPECIALTY); prior authorization required"
    plan = session(
        Role.CLINICIAN, "unitedhealthcare_formulary_lookup", {"rxnorm_id": "248656", "plan_id": "12345XX9876541"}
    )
    assert plan.structured_content["on_formulary"] is False  # that plan does not list it
    neither = session(Role.CLINICIAN, "unitedhealthcare_formulary_lookup", {"plan_id": "12345XX9876541"})
    assert neither.is_error and "rxnorm_id or drug_name" in neither.text


def _review(**overrides: Any) -> dict[str, Any]:
    return {
        "member_id": "CIG300000001",
        "provider_id": "dr-smith",
        "diagnosis_codes": ["M54.50"],
        "services": [{"procedure_code": "99213"}],
        "service_date": "2026-12-10",
        **overrides,
    }


def test_prior_authorization_as_an_x12_278(session, db) -> None:  # type: ignore[no-untyped-def]
    certified = session(Role.CLINICIAN, "cigna_prior_authorization", _review())
    assert not certified.is_error, certified.text
    answer = certified.structured_content
    assert answer["decision"] == "certified" and answer["certification_number"].startswith("SBX")
    assert (answer["effective"], answer["expires"]) == ("2026-12-10", "2027-03-09")
    assert certified.text == f"cigna: certified, number {answer['certification_number']}, valid to 2027-03-09"
    stored = db.fetchone(
        "SELECT kind, outcome, request_x12, response_x12 FROM payer_exchanges WHERE trace_number = %s",
        (answer["trace_number"],),
    )
    assert stored["kind"] == "278" and stored["outcome"] == "ok"
    assert "BHT*0007*13*" in stored["request_x12"] and "HCR*A1*" in stored["response_x12"]
    (row,) = [r for r in _audit_rows(db, certified.caller) if r["action"] == "tool:cigna_prior_authorization"]
    assert row["details"]["service_codes"] == ["99213"] and "CIG300000001" not in json.dumps(row, default=str)

    mixed = session(
        Role.CLINICIAN,
        "cigna_prior_authorization",
        _review(
            services=[{"procedure_code": "99213"}, {"procedure_code": "97110", "quantity": 6, "modifiers": ["GP"]}]
        ),
    )
    assert mixed.structured_content["decision"] == "partially_certified"
    assert [(s["procedure_code"], s["decision"], s["reason_code"]) for s in mixed.structured_content["services"]] == [
        ("99213", "certified", None),
        ("97110", "not_certified", "0B"),
    ]
    pended = session(Role.CLINICIAN, "cigna_prior_authorization", _review(services=[{"procedure_code": "72148"}]))
    assert pended.structured_content["decision"] == "pended" and pended.text == "cigna: pended"


def test_prior_authorization_refusals(session) -> None:  # type: ignore[no-untyped-def]
    unknown = session(Role.CLINICIAN, "cigna_prior_authorization", _review(member_id="NOSUCHMEMBER1"))
    assert not unknown.is_error and unknown.structured_content["decision"] == "rejected"
    assert unknown.text == "cigna refused the request: subscriber not found (75)"
    bad = session(Role.CLINICIAN, "cigna_prior_authorization", _review(diagnosis_codes=["E11"]))
    assert bad.is_error and "diagnosis_codes[0] is a category, not a billable code" in bad.text
    backwards = session(Role.CLINICIAN, "cigna_prior_authorization", _review(service_end="2026-12-01"))
    assert backwards.is_error and "service_end is before service_date" in backwards.text
    nobody = session(Role.CLINICIAN, "cigna_prior_authorization", _review(provider_id="not-a-provider"))
    assert nobody.is_error and "provider_id: neither a provider" in nobody.text


def test_prior_authorization_with_the_payer_down(session, dead_url) -> None:  # type: ignore[no-untyped-def]
    down = session(Role.CLINICIAN, "cigna_prior_authorization", _review(), PAYER_SANDBOX_URL=dead_url)
    assert down.is_error and down.text.startswith("cigna: payer cigna unreachable after")


def test_phi_scan_gives_spans_only(session) -> None:  # type: ignore[no-untyped-def]
    text = "Seen by Dr. Patel, call 217-555-0147"
    result = session(Role.CLINICIAN, "phi_scan", {"text": text})
    assert not result.is_error
    spans = result.structured_content["spans"]
    assert {(s["type"], text[s["start"] : s["end"]]) for s in spans} == {("name", "Patel"), ("phone", "217-555-0147")}
    assert "Patel" not in json.dumps(result.structured_content) and "Patel" not in result.text


GOOD = """
from pydantic import BaseModel
from core.auth import Role
from agentcare_mcp.tool_base import InsuranceTool


class Args(BaseModel):
    word: str


class Echo(BaseModel):
    length: int


class Measure(InsuranceTool):
    name = "acme_measure"
    title = "Measure"
    description = "length of a word"
    capability = "measure"
    roles = frozenset({Role.CLINICIAN})
    input_model = Args
    output_model = Echo

    async def run(self, args, call):
        return Echo(length=len(args.word))

    def summary(self, result):
        return f"{result.length} letters"


class Slow(Measure):
    name = "acme_slow"
    timeout_seconds = 0.2

    async def run(self, args, call):
        import anyio
        await anyio.sleep(5)


TOOLS = [Measure(), Slow()]
"""


NOTE_TOOL = """
from pydantic import BaseModel, ConfigDict
from core.auth import Role
from agentcare_mcp.tool_base import InsuranceTool


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str
    code: str


class Sent(BaseModel):
    reason: str


class Appeal(InsuranceTool):
    name = "acme_appeal"
    title = "Appeal"
    description = "what an outside API would be sent"
    capability = "appeal"
    roles = frozenset({Role.BILLING})
    input_model = Args
    output_model = Sent
    free_text_fields = ("reason",)

    async def run(self, args, call):
        return Sent(reason=args.reason)

    def summary(self, result):
        return "sent"


TOOLS = [Appeal()]
"""


def test_free_text_leaves_with_its_identifiers_redacted(tmp_path: Path, session, db) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "appeal.py").write_text(NOTE_TOOL)
    text = "Patient Jane Roe (DOB 03/14/1962) was seen by Dr. Patel for knee pain; call 217-555-0147."
    result = session(Role.BILLING, "acme_appeal", {"reason": text, "code": "J1745"}, MCP_TOOLS_DIR=str(tmp_path))
    assert not result.is_error, result.text
    sent = result.structured_content["reason"]
    for identifier in ("Jane Roe", "03/14/1962", "Patel", "217-555-0147"):
        assert identifier not in sent
    assert "knee pain" in sent and "[NAME]" in sent
    (row,) = [r for r in _audit_rows(db, result.caller) if r["action"] == "tool:acme_appeal"]
    assert row["details"]["free_text_identifiers_redacted"] == 4


CRASH_TOOL = NOTE_TOOL.replace('"acme_appeal"', '"acme_crash"').replace(
    "return Sent(reason=args.reason)", "return Sent.model_validate({'reason': 7, 'member': args.reason})"
)


def test_a_crash_is_a_tool_error_and_its_log_line_quotes_nothing(tmp_path: Path, session, caplog) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "crash.py").write_text(CRASH_TOOL)
    result = session(
        Role.BILLING, "acme_crash", {"reason": "MEMBER-XYZ-77", "code": "J1745"}, MCP_TOOLS_DIR=str(tmp_path)
    )
    assert result.is_error and result.text.startswith("acme_crash failed unexpectedly (request ")
    crash = [r.getMessage() for r in caplog.records if "crashed" in r.getMessage()]
    assert crash and "ValidationError at " in crash[0]
    assert "MEMBER-XYZ-77" not in caplog.text and "MEMBER-XYZ-77" not in result.text


def test_the_loader_serves_good_generated_tools_and_skips_broken_ones(tmp_path: Path, session, suite) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a_good.py").write_text(GOOD)
    (tmp_path / "b_syntax.py").write_text("def broken(:\n")
    (tmp_path / "c_taken.py").write_text(GOOD.replace("TOOLS = [Measure(), Slow()]", "TOOLS = [Measure()]"))
    (tmp_path / "d_notools.py").write_text("X = 1\n")
    (tmp_path / "e_badname.py").write_text(
        GOOD.replace("TOOLS = [Measure(), Slow()]", "TOOLS = [Measure()]").replace('"acme_measure"', '"Acme-Measure"')
    )
    settings = McpSettings.from_env({**suite, "MCP_TOOLS_DIR": str(tmp_path)})
    server, runtime, report = create_server(settings, stdio_caller=Caller(name="t", role=Role.CLINICIAN, token="ilx_x"))
    runtime.suite.close()
    assert report.loaded == ["acme_measure", "acme_slow"]
    assert set(report.skipped) == {"b_syntax.py", "acme_measure", "d_notools.py", "Acme-Measure"}
    assert report.skipped["acme_measure"] == "the name acme_measure is already taken"
    assert "SyntaxError" in report.skipped["b_syntax.py"]
    measured = session(Role.CLINICIAN, "acme_measure", {"word": "claim"}, MCP_TOOLS_DIR=str(tmp_path))
    assert not measured.is_error and measured.structured_content == {"length": 5}
    slow = session(Role.CLINICIAN, "acme_slow", {"word": "x"}, MCP_TOOLS_DIR=str(tmp_path))
    assert slow.is_error and "did not finish within 0.2 s" in slow.text


# ------------------------------------------------------------------------------------------------ HTTP transport


@pytest.fixture
def http_server(suite: dict[str, str], db: Database) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = McpSettings.from_env({**suite, "PORT": str(port), "MCP_PUBLIC_URL": f"http://127.0.0.1:{port}"})
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_http_without_a_valid_token_is_401_before_any_tool_runs(http_server: str) -> None:
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream"}
    for extra in ({}, {"Authorization": "Bearer ilx_0000000000000000_" + "A" * 43}):
        reply = requests.post(f"{http_server}/mcp", json=call, headers={**headers, **extra}, timeout=10)
        assert reply.status_code == 401
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
        assert "resource_metadata=" in reply.headers["WWW-Authenticate"]
    assert requests.get(f"{http_server}/health", timeout=10).json()["status"] == "healthy"


def test_http_with_a_suite_token(http_server: str, token_of, db: Database) -> None:  # type: ignore[no-untyped-def]
    name, token = token_of(Role.CLINICIAN)

    async def go() -> tuple[list[str], Any]:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
            async with mcp.Client(streamable_http_client(f"{http_server}/mcp", http_client=http)) as client:
                listed = await client.list_tools()
                answer = await client.call_tool(
                    "anthem_bcbs_prior_authorization_required", {"procedure_codes": ["70551", "99213"]}
                )
                return [t.name for t in listed.tools], answer

    names, answer = asyncio.run(go())
    assert "unitedhealthcare_check_eligibility" in names and "phi_scan" in names
    assert not answer.is_error and answer.structured_content["required_codes"] == ["70551"]
    (row,) = [r for r in _audit_rows(db, name) if r["service"] == "agentcare-mcp"]
    assert row["actor_role"] == "clinician" and row["outcome"] == "success"


# ------------------------------------------------------------------------------------------------ stdio transport


def test_stdio_session_runs_as_the_verified_token(suite: dict[str, str], token_of, db: Database) -> None:  # type: ignore[no-untyped-def]
    from mcp.client.stdio import StdioServerParameters

    name, token = token_of(Role.BILLING)
    env = {k: v for k, v in suite.items() if k in ("POSTGRES_URL", "PAYER_SANDBOX_URL", "MCP_TOOLS_DIR", "PATH")}
    intelluxe = str(Path(sys.executable).parent / "intelluxe")

    async def go() -> Any:
        params = StdioServerParameters(command=intelluxe, args=["mcp", "stdio"], env={**env, "INTELLUXE_TOKEN": token})
        async with mcp.Client(params) as client:
            return await client.call_tool("cigna_prior_authorization_required", {"procedure_codes": ["72148"]})

    answer = asyncio.run(go())
    assert not answer.is_error and answer.structured_content["required_codes"] == ["72148"]
    (row,) = [r for r in _audit_rows(db, name) if r["service"] == "agentcare-mcp"]
    assert row["actor_role"] == "billing"
    refused = subprocess.run(
        [intelluxe, "mcp", "stdio"],
        env={**env, "INTELLUXE_TOKEN": "ilx_0000000000000000_" + "A" * 43},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert refused.returncode == 1 and "INTELLUXE_TOKEN refused: invalid token" in refused.stderr
