"""The generator on real OpenAPI documents (issue 15): ClinicalTrials.gov's published API v2 document (a fixture,
public domain), and the suite's own payer-sandbox and billing documents as they serve them (/openapi.json, built
in process). Each generates, passes ruff, passes its own generated tests against its generated mock (run by pytest
in a subprocess, as an operator would), and is served by agentcare-mcp's auto-loader (create_server with
MCP_TOOLS_DIR pointed at the output lists every tool)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import mcp
import pytest

import billing
import payer_sandbox
from agentcare_mcp import McpSettings, create_server
from agentcare_mcp.tool_base import Caller
from core.auth import Role
from core.codegen import generate, parse_text

ROOT = Path(__file__).resolve().parents[2]


def _served_document(app: Any) -> dict[str, Any]:
    reply = app.test_client().get("/openapi.json")
    assert reply.status_code == 200
    return reply.get_json()


@pytest.fixture
def documents(service_url: str, redis_url: str, build_app) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "POSTGRES_URL": service_url, "REDIS_URL": redis_url}
    return {
        "clinicaltrials-gov": parse_text((ROOT / "tests/data/openapi/clinicaltrials-gov-v2.yaml").read_text()),
        "sandbox-payer": _served_document(payer_sandbox.create_app(payer_sandbox.SandboxSettings.from_env({}))),
        "suite-billing": _served_document(build_app(billing.create_app, billing.BillingSettings.from_env(env))),
    }


@pytest.mark.integration
@pytest.mark.parametrize("name", ["clinicaltrials-gov", "sandbox-payer", "suite-billing"])
def test_a_real_document_generates_lints_passes_its_tests_and_loads(  # type: ignore[no-untyped-def]
    name: str, documents, tmp_path: Path, pg_server_url: str, payer_sandbox, db
) -> None:
    made = generate(documents[name], name)
    assert made.tools
    made.write(tmp_path)
    for args in (["check"], ["format", "--check"]):
        lint = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--config", str(ROOT / "pyproject.toml"), str(tmp_path)],
            capture_output=True,
            text=True,
        )
        assert lint.returncode == 0, lint.stdout + lint.stderr
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / made.module)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "POSTGRES_URL": pg_server_url},
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and " failed" not in tests.stdout

    env = {**os.environ, "MCP_TOOLS_DIR": str(tmp_path), "PAYER_SANDBOX_URL": payer_sandbox.url}
    server, runtime, report = create_server(
        McpSettings.from_env(env), db=db, stdio_caller=Caller(name="codegen-list", role=Role.ADMIN, token="x")
    )
    runtime.suite.close()
    assert sorted(report.loaded) == sorted(made.tools) and not report.skipped

    async def listed() -> set[str]:
        async with mcp.Client(server) as client:
            return {tool.name for tool in (await client.list_tools()).tools}

    assert set(made.tools) <= asyncio.run(listed())
