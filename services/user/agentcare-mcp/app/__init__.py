"""agentcare-mcp: MCP tools for payers and the suite (the plan's agentcare-mcp, in Python on the `mcp` SDK).

Tools (tool_base.InsuranceTool, run by runtime.ToolRuntime): per configured payer `<payer>_check_eligibility`,
`<payer>_prior_authorization_required`, `<payer>_submit_claim` (payer_tools.py); the suite's
`estimate_patient_responsibility`, `claim_status`, `phi_scan` (suite_tools.py); and the generated tools in
MCP_TOOLS_DIR (loader.py). Transports: streamable HTTP at /mcp behind the suite's bearer tokens (token_auth.py),
served by `python -m agentcare_mcp` (see agentcare-mcp.conf), and stdio for a desktop assistant on the clinic's own
machine (`intelluxe mcp stdio`). /health checks PostgreSQL (tokens and the audit log live there).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from core.clinic import load_clinic
from core.db import Database
from core.payers import load_payers
from core.tls import trust

from .loader import LoadReport, load_generated
from .payer_tools import payer_tools
from .runtime import SERVICE, ToolRuntime, bind
from .settings import McpSettings
from .suite_client import SuiteClient
from .suite_tools import suite_tools
from .token_auth import SuiteTokenVerifier, auth_settings
from .tool_base import Caller, InsuranceTool

log = logging.getLogger("agentcare_mcp")


def create_server(
    settings: McpSettings | None = None, *, db: Database | None = None, stdio_caller: Caller | None = None
) -> tuple[MCPServer, ToolRuntime, LoadReport]:
    """The MCP server with every tool bound, and what the loader did. Over HTTP callers come from their bearer
    token; with `stdio_caller` every call runs as that caller (no HTTP auth: stdio has no headers)."""
    settings = settings or McpSettings.from_env()
    db = db or Database(settings.resolved_postgres_url(), minconn=settings.db_pool_min, maxconn=settings.db_pool_max)
    suite = SuiteClient(
        {
            "insurance-verify": settings.insurance_verify_url,
            "billing": settings.billing_url,
            "compliance": settings.compliance_url,
        },
        verify=trust(settings),
        timeout_seconds=settings.tool_timeout_seconds,
    )
    runtime = ToolRuntime(settings=settings, db=db, suite=suite, stdio_caller=stdio_caller)
    builtin: list[InsuranceTool] = [
        *payer_tools(load_payers(settings.payers_dir), settings, db, load_clinic(settings.clinic_file)),
        *suite_tools(),
    ]
    generated, report = load_generated(settings.generated_tools_dir(), {tool.name for tool in builtin})
    if report.loaded or report.skipped:
        log.info("generated tools: %d loaded, %d skipped", len(report.loaded), len(report.skipped))
    auth: dict[str, Any] = {}
    if stdio_caller is None:
        auth = {
            "auth": auth_settings(settings),
            "token_verifier": SuiteTokenVerifier(db, settings.token_cache_seconds),
        }
    server = MCPServer(
        name=SERVICE,
        title="Intelluxe payer and billing tools",
        instructions=(
            "Insurance eligibility, prior authorization, claims and estimates for this clinic's payers, and a PHI "
            "scan. Tool names are <payer>_<capability>. Arguments are the fields each payer needs, nothing more."
        ),
        tools=[bind(tool, runtime) for tool in [*builtin, *generated]],
        **auth,
    )

    @server.custom_route("/health", methods=["GET"])
    async def health(request: Request) -> JSONResponse:
        """200 while PostgreSQL (tokens, audit log) answers, else 503; no auth, as every service's /health."""
        try:
            db.ping()
            checks = {"postgres": {"status": "ok", "detail": None, "required": True}}
            status, code = "healthy", 200
        except Exception as exc:  # noqa: BLE001 - any failure to reach the database is "down"
            checks = {"postgres": {"status": "down", "detail": type(exc).__name__, "required": True}}
            status, code = "unhealthy", 503
        return JSONResponse({"status": status, "service": SERVICE, "checks": checks}, status_code=code)

    return server, runtime, report


def create_app(settings: McpSettings | None = None, *, db: Database | None = None) -> Starlette:
    """The ASGI app for uvicorn: /mcp (streamable HTTP, bearer tokens) and /health."""
    settings = settings or McpSettings.from_env()
    server, runtime, _ = create_server(settings, db=db)
    # Stateless, plain-JSON answers: every request stands alone (its bearer token checked, its tool run), so any
    # replica can answer any request behind a load balancer (Swarm, Kubernetes) with no sticky sessions; the tools
    # stream nothing, so SSE would only add framing.
    app = server.streamable_http_app(host=settings.host, stateless_http=True, json_response=True)
    # The SDK logs every stateless request's end at INFO ("Terminating session: None"); the audit row is the record.
    logging.getLogger("mcp.server.streamable_http").setLevel(logging.WARNING)
    sessions = app.router.lifespan_context  # the SDK's: runs the streamable-HTTP session manager

    @asynccontextmanager
    async def lifespan(starlette: Starlette) -> AsyncIterator[None]:
        async with sessions(starlette):
            yield
        runtime.suite.close()
        runtime.db.close()

    app.router.lifespan_context = lifespan
    return app


__all__ = ["McpSettings", "create_app", "create_server"]
