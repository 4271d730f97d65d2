"""Bearer tokens for the streamable-HTTP transport: the suite's own token store (core.auth), nothing new.

The SDK's bearer middleware asks `SuiteTokenVerifier` about the `Authorization` header before any MCP message is
read: no token, or one the store does not know, is 401 with `WWW-Authenticate: Bearer … resource_metadata=…`
(RFC 9728), so no tool runs for an unknown caller. A verified token becomes an AccessToken whose client_id is the
token's name (the audit actor) and whose one scope is its role; the runtime checks the role per tool.
"""

from __future__ import annotations

import anyio.to_thread
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

from core.auth import AuthError, VerifiedTokens
from core.db import Database, DatabaseUnavailable

from .settings import McpSettings


class SuiteTokenVerifier:
    def __init__(self, db: Database, cache_seconds: float) -> None:
        self._db = db
        self._tokens = VerifiedTokens(cache_seconds)

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            principal = await anyio.to_thread.run_sync(self._tokens.verify, self._db, token)
        except (AuthError, DatabaseUnavailable):
            return None  # 401 either way: a caller never learns which tokens exist
        return AccessToken(token=token, client_id=principal.name, scopes=[principal.role.value])


def auth_settings(settings: McpSettings) -> AuthSettings:
    """The server acts as an OAuth protected resource whose tokens the suite itself issues (`intelluxe token issue`):
    the issuer is this server, and there is no authorization endpoint to discover beyond that."""
    resource = settings.resource_url()
    # Suite tokens are not bound to one resource (the same token calls insurance-verify and this server), so the
    # verifier's own check is the audience check: validate_token_resource stays off.
    return AuthSettings(
        issuer_url=resource.removesuffix("/mcp"), resource_server_url=resource, validate_token_resource=False
    )
