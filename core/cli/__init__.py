"""`intelluxe`: run the stack, migrate, manage tokens, enroll doctors, verify the audit chain, offline tools.

Thin on purpose: each command parses its arguments, calls the module that holds the logic and prints. Exit codes:
0 done, 1 the command failed (message on stderr), 2 wrong usage. The commands live by topic: ops (stack, tokens,
audit), dictation (doctors, transcripts), tools (phi, x12, billing estimate), codegen (MCP tools from OpenAPI),
router (the agent-routing file and its plugins), personalize (doctors' writing samples), console (the web
console's user accounts).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.cli import codegen, console, dictation, export, ops, personalize, router, tools
from core.cli.common import fail


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intelluxe", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for topic in (ops, console, dictation, tools, codegen, router, export, personalize):
        topic.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "expires_days", None) is not None and args.expires_days < 1:
        print("intelluxe: --expires-days must be at least 1", file=sys.stderr)
        return 2
    if not getattr(args, "needs_settings", True):
        return args.func(args, None)  # an offline tool (phi, x12, estimate): no settings, no database, fast start
    from core.config import ConfigError, Settings
    from core.db import DatabaseUnavailable, MigrationError

    try:
        settings = Settings.from_env()
        return args.func(args, settings)
    except (ConfigError, DatabaseUnavailable, MigrationError, _stack_error()) as exc:
        return fail(str(exc))


def _stack_error() -> type[Exception]:
    """Evaluated only when a command failed: the commands that do not run the stack never load its module."""
    from core.stack import StackError

    return StackError
