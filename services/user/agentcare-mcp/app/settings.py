"""agentcare-mcp's own settings, beside the shared ones (core.config.Settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from core.config import Settings


class McpSettings(Settings):
    # The suite services the tools call, with the caller's own bearer token (so each service applies its own role
    # rules and audits the real caller). Unset, the tools that need one answer a tool error naming the variable.
    insurance_verify_url: str | None = Field(default=None, alias="INSURANCE_VERIFY_URL")
    billing_url: str | None = Field(default=None, alias="BILLING_URL")
    compliance_url: str | None = Field(default=None, alias="COMPLIANCE_URL")
    # Where clients reach this server (the OAuth protected-resource id a 401 points at); default: this host's port.
    public_url: str | None = Field(default=None, alias="MCP_PUBLIC_URL")
    # Generated tools (`intelluxe codegen mcp-tool`) are loaded from here at start; default $INTELLUXE_HOME/mcp-tools.
    tools_dir: Path | None = Field(default=None, alias="MCP_TOOLS_DIR")
    # Every tool call ends within this many seconds (a tool may ask for less); the payer's own timeout is shorter.
    tool_timeout_seconds: float = Field(default=30.0, gt=0, le=600, alias="MCP_TOOL_TIMEOUT_SECONDS")
    # The token a stdio session runs as (`intelluxe mcp stdio`): verified at start like any bearer token.
    stdio_token: str | None = Field(default=None, alias="INTELLUXE_TOKEN", repr=False)

    def resource_url(self) -> str:
        """This server's MCP endpoint as clients name it."""
        if self.public_url:
            return self.public_url.rstrip("/") + "/mcp"
        scheme = "https" if self.tls_cert_dir else "http"
        return f"{scheme}://localhost:{self.port}/mcp"

    def generated_tools_dir(self) -> Path:
        return self.tools_dir or self.home / "mcp-tools"
