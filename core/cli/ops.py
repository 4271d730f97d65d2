"""Running the suite: up / down / status / migrate, API tokens and the audit chain's verification."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from core import auth
from core.cli.common import database, fail

if TYPE_CHECKING:
    from core.config import Settings


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from core import stack  # the stack and its health checks load only for the commands that run it

    result = stack.up(settings, backend=args.backend, timeout=args.timeout, dry_run=args.dry_run)
    if args.dry_run:
        return 0
    print()
    print(f"{'SERVICE':<18} {'STATUS':<10} {'URL':<30} LOG")
    for service in result.services:
        print(f"{service.name:<18} {service.health:<10} {service.endpoint:<30} {service.log}")
    if result.embedded:
        print(f"\nembedded PostgreSQL and Redis data: {settings.home}  (stop everything: intelluxe down)")
    if args.backend == "docker" and result.postgres_url:
        print(
            f"\nops commands (intelluxe token, audit verify) reach the database at {result.postgres_url}: "
            f"POSTGRES_URL with the password POSTGRES_PASSWORD of {settings.home / 'secrets.env'}, or PGPASSWORD. "
            "The data stays in its volumes after intelluxe down."
        )
    return 0


def cmd_down(args: argparse.Namespace, settings: Settings) -> int:
    from core import stack  # the stack and its health checks load only for the commands that run it

    stack.down(settings)
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from core import stack  # the stack and its health checks load only for the commands that run it

    services, emb = stack.status(settings)
    print(f"{'SERVICE':<18} {'STATE':<9} {'HEALTH':<10} {'URL':<30} LOG")
    for s in services:
        print(f"{s.name:<18} {s.state:<9} {s.health:<10} {s.endpoint:<30} {s.log}")
    pg = "configured (POSTGRES_URL)" if settings.postgres_url else ("running" if emb.postgres_url else "stopped")
    rd = "configured (REDIS_URL)" if settings.redis_url else ("running" if emb.redis_running else "stopped")
    shown = {s.name for s in services}  # the docker backend lists its database containers above
    servers = [f"{name}: {state}" for name, state in (("postgres", pg), ("redis", rd)) if name not in shown]
    if servers:
        print("\n" + "    ".join(servers))
    return 0 if all(s.ok for s in services) else 1


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from core.db import migrate

    with database(settings, migrated=False) as db:
        report = migrate(db)
    for name in report.applied:
        print(f"applied  {name}")
    print(f"{len(report.applied)} applied, {len(report.already)} already applied")
    return 0


def cmd_token_issue(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        try:
            token = auth.issue_token(db, args.name, args.role, args.expires_days)
        except auth.TokenNameError as exc:
            return fail(str(exc))
    print(token)
    print(f"token {args.name!r} (role {args.role}) issued; it is shown only now — store it safely", file=sys.stderr)
    return 0


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        revoked = auth.revoke_token(db, args.name)
    if not revoked:
        return fail(f"no live token named {args.name!r}")
    print(f"token {args.name!r} revoked")
    return 0


def cmd_token_list(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        tokens = auth.list_tokens(db)
    print(f"{'NAME':<24} {'ROLE':<11} {'CREATED':<20} {'EXPIRES':<20} STATE")
    for t in tokens:
        expires = t.expires_at.strftime("%Y-%m-%d %H:%M") if t.expires_at else "never"
        print(f"{t.name:<24} {t.role.value:<11} {t.created_at:%Y-%m-%d %H:%M}     {expires:<20} {t.state()}")
    return 0


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    """The chain, then the newest signed checkpoint of its head (core.audit_checkpoints); when both hold, the
    current head is signed as the next checkpoint."""
    from core import audit, audit_checkpoints

    with database(settings) as db:
        result = audit.verify(db)
        checked = audit_checkpoints.check(settings, db)
        signed = audit_checkpoints.record(settings, db, result) if result.ok and checked.problem is None else None
    ok = result.ok and checked.problem is None
    if args.json:
        print(json.dumps({**result.__dict__, "ok": ok, "checkpoint_problem": checked.problem}))
        return 0 if ok else 1
    if result.ok:
        print(
            f"audit chain intact: {result.rows_checked} rows, head seq {result.head_seq}, head hash {result.head_hash}"
        )
    else:
        print(
            f"audit chain BROKEN at seq {result.first_bad_seq} (audit_id {result.first_bad_audit_id}): "
            f"{result.reason}; {result.rows_checked} rows before it are intact"
        )
    if checked.problem is not None:
        print(f"audit chain TAMPERED: {checked.problem}")
    elif checked.last is not None:
        print(f"checkpoint of {checked.last.signed_at} (seq {checked.last.seq}) holds")
    if signed is not None:
        print(f"head signed as a checkpoint in {checked.file}")
    return 0 if ok else 1


def cmd_mcp_stdio(args: argparse.Namespace, settings: Settings | None) -> int:
    """The MCP tools over stdin/stdout for a desktop assistant: this process becomes `python -m agentcare_mcp stdio`
    (core does not import a service), running as the caller whose token INTELLUXE_TOKEN holds."""
    import os

    os.execv(sys.executable, [sys.executable, "-m", "agentcare_mcp", "stdio"])  # noqa: S606 - our own module
    return 1  # not reached


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("up", help="start the whole stack and wait until each service is healthy")
    p.add_argument(
        "--backend",
        choices=["local", "docker"],
        default="local",
        help="host processes with embedded PostgreSQL/Redis (default), or Docker containers",
    )
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each service's health")
    p.add_argument("--dry-run", action="store_true", help="print what the runner would start; start nothing")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("down", help="stop the services and the embedded servers that `up` started")
    p.set_defaults(func=cmd_down)

    p = sub.add_parser("status", help="show each service's state and health")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("migrate", help="apply postgres/init/*.sql not yet applied")
    p.set_defaults(func=cmd_migrate)

    mcp = sub.add_parser("mcp", help="the MCP payer tools").add_subparsers(dest="mcp_command", required=True)
    p = mcp.add_parser(
        "stdio",
        help="serve the MCP tools on stdin/stdout for a desktop assistant (as the caller whose token INTELLUXE_TOKEN "
        "holds)",
    )
    p.set_defaults(needs_settings=False, func=cmd_mcp_stdio)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    p = token.add_parser("issue", help="create a token and print it once")
    p.add_argument("--name", required=True, help="who or what holds it (unique among live tokens), e.g. billing-app")
    p.add_argument("--role", required=True, choices=[r.value for r in auth.Role], help="what it may call")
    p.add_argument("--expires-days", type=int, default=None, help="days until it stops working (default: never)")
    p.set_defaults(func=cmd_token_issue)
    p = token.add_parser("revoke", help="revoke the live token NAME")
    p.add_argument("name", help="the token's --name")
    p.set_defaults(func=cmd_token_revoke)
    p = token.add_parser("list", help="list tokens (never their values)")
    p.set_defaults(func=cmd_token_list)

    audit_cmd = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_command", required=True)
    p = audit_cmd.add_parser(
        "verify",
        help="walk the hash chain and check the last signed checkpoint of its head; exit 1 naming what is wrong, "
        "else sign the head (run it on a schedule)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_audit_verify)
