"""`intelluxe router check [FILE]`: the agent-routing file validated exactly as a service validates it at start.

Offline (no settings, no database): it loads the plugin registry (entry points and the plugins folder), prints
each plugin that was skipped and why on stderr, then validates the file. Exit 0 with a one-line summary when the
file is valid, 1 with one message per problem when not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.common import fail

if TYPE_CHECKING:
    from core.config import Settings


def cmd_router_check(args: argparse.Namespace, settings: Settings | None) -> int:
    from core.config import ConfigError
    from core.orchestration import AgentRouter, RoutingConfigError, default_routing_path
    from core.plugins import KINDS, load_registry

    path = Path(args.file) if args.file else default_routing_path()
    try:
        registry = load_registry()
    except ConfigError as exc:  # INTELLUXE_HOME or INTELLUXE_PLUGINS_DIR malformed
        return fail(str(exc))
    for problem in registry.problems:
        print(f"intelluxe: plugin skipped: {problem}", file=sys.stderr)
    try:
        router = AgentRouter.from_file(path, registry)
    except RoutingConfigError as exc:
        for problem in exc.problems:
            print(f"intelluxe: {exc.source}: {problem}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{kind}s {len(registry.names(kind))}" for kind in KINDS)
    skipped = f", {len(registry.problems)} skipped" if registry.problems else ""
    print(f"{path}: valid; {router.summary()}; plugins: {counts}{skipped}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    router = sub.add_parser("router", help="agent routing and plugins").add_subparsers(
        dest="router_command", required=True
    )
    p = router.add_parser(
        "check",
        help="validate an agent-routing file against the registered plugins (exit 0 valid, 1 not)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument(
        "file", metavar="FILE", nargs="?", help="the routing file (default: config/agent_routing.yml of the project)"
    )
    p.set_defaults(needs_settings=False, func=cmd_router_check)
