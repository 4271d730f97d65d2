"""`python -m agentcare_mcp [serve]`: the service's command (agentcare-mcp.conf) — uvicorn serving /mcp and /health,
HTTPS with the clinic's certificate when TLS_CERT_DIR holds one (core.tls), as every host-process service.

`python -m agentcare_mcp stdio` (what `intelluxe mcp stdio` runs): the same tools over stdin/stdout for one desktop
assistant on the clinic's own machine, as the caller whose token INTELLUXE_TOKEN holds (verified at start, like a
bearer token; every call audited under its name). Logs go to stderr: stdout carries the protocol.
"""

from __future__ import annotations

import sys

from core import logs
from core.auth import AuthError, verify_token
from core.db import Database, DatabaseUnavailable
from core.tls import server_files

from . import McpSettings, create_app, create_server
from .tool_base import Caller


def serve(settings: McpSettings) -> int:
    import uvicorn

    files = server_files(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(files[0]) if files else None,
        ssl_keyfile=str(files[1]) if files else None,
        log_config=None,  # core.logs' handler and format; uvicorn's access line names the path only (/mcp)
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
    )
    return 0


def stdio(settings: McpSettings) -> int:
    if not settings.stdio_token:
        print("agentcare-mcp: set INTELLUXE_TOKEN to the token this session runs as", file=sys.stderr)
        return 2
    db = Database(settings.resolved_postgres_url(), minconn=1, maxconn=2)
    try:
        principal = verify_token(db, settings.stdio_token)
    except (AuthError, DatabaseUnavailable) as exc:
        db.close()
        print(f"agentcare-mcp: INTELLUXE_TOKEN refused: {exc}", file=sys.stderr)
        return 1
    caller = Caller(name=principal.name, role=principal.role, token=settings.stdio_token)
    server, runtime, _ = create_server(settings, db=db, stdio_caller=caller)
    try:
        server.run("stdio")
    finally:
        runtime.suite.close()
        db.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    mode = args[0] if args else "serve"
    if mode not in ("serve", "stdio") or len(args) > 1:
        print("usage: python -m agentcare_mcp [serve|stdio]", file=sys.stderr)
        return 2
    settings = McpSettings.from_env()
    logs.configure(settings.log_level)
    return serve(settings) if mode == "serve" else stdio(settings)


if __name__ == "__main__":
    sys.exit(main())
