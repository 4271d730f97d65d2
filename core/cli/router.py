"""`intelluxe router check [FILE]`: the agent-routing file validated exactly as a service validates it at start.
`intelluxe router report`: each plugin's measured performance and what the numbers suggest changing.

`check` is offline (no settings, no database): it loads the plugin registry (entry points and the plugins folder),
prints each plugin that was skipped and why on stderr, then validates the file. Exit 0 with a one-line summary when
the file is valid, 1 with one message per problem when not. `report` reads the routing file the same way (for
confidence_threshold, voting_enabled and the routed transcriber) and the database's plugin_calls and
plugin_accuracy (core.orchestration.performance); it exits 0 whatever the numbers say.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.common import database, fail

if TYPE_CHECKING:
    from core.config import Settings
    from core.orchestration.performance import PluginReport
    from core.orchestration.routing_config import RoutingConfig

_AGO = re.compile(r"^(\d{1,5})([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


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


def parse_since(text: str, now: datetime | None = None) -> datetime | None:
    """`--since`: `7d`, `24h`, `30m` back from now; `all` (None: everything); or an ISO date or time, read in this
    machine's time zone when it names none. Anything else is a usage error (exit 2)."""
    now = now or datetime.now(UTC)
    if text == "all":
        return None
    ago = _AGO.match(text)
    if ago:
        return now - timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not 7d, 24h, 30m, all, nor an ISO date or time such as 2026-03-01 or 2026-03-01T08:00"
        ) from None
    return when if when.tzinfo else when.astimezone()


def _load_routing(path: Path) -> RoutingConfig:
    from core.orchestration.routing_config import load_routing
    from core.plugins import load_registry

    return load_routing(path, load_registry())


def cmd_router_report(args: argparse.Namespace, settings: Settings) -> int:
    from core.orchestration import RoutingConfigError, default_routing_path
    from core.orchestration.performance import recommendations, report

    path = Path(args.routing) if args.routing else default_routing_path()
    try:
        routing = _load_routing(path)
    except RoutingConfigError as exc:
        for problem in exc.problems:
            print(f"intelluxe: {exc.source}: {problem}", file=sys.stderr)
        return 1
    threshold = routing.reasoning.confidence_threshold
    voting = routing.transcription.voting_enabled
    routed = routing.transcription.sensitive
    with database(settings) as db:
        rows = report(db, args.since)
    advice = recommendations(rows, threshold, voting, routed=routed, since=args.since)
    if args.json:
        print(json.dumps(_report_json(rows, advice, args.since, threshold, voting, routed), indent=2))
    else:
        print(_report_text(rows, advice, args.since, threshold, voting, routed))
    return 0


def _report_json(
    rows: list[PluginReport], advice: list[str], since: datetime | None, threshold: float, voting: bool, routed: str
) -> dict[str, object]:
    return {
        "since": since.isoformat() if since else None,
        "confidence_threshold": threshold,
        "voting_enabled": voting,
        "routed": routed,
        "plugins": [r.to_json() for r in rows],
        "recommendations": advice,
    }


_COLUMNS = f"{'PLUGIN':<20} {'KIND':<11} {'CALLS':>7} {'P50 MS':>8} {'P90 MS':>8} {'CONF':>5} {'REVIEW':>6}"
_COLUMNS += f"  {'VOTERS':<7} {'WER':>7} {'CORRECTED':>9}"


def _report_text(
    rows: list[PluginReport], advice: list[str], since: datetime | None, threshold: float, voting: bool, routed: str
) -> str:
    start = f"since {since:%Y-%m-%d %H:%M %Z}".rstrip() if since else "all recorded"
    lines = [
        f"plugin performance, {start} (routed: {routed}; voting {'on' if voting else 'off'}; "
        f"confidence_threshold {threshold:.2f})",
        _COLUMNS,
        *(_report_line(r) for r in rows),
    ]
    if not rows:
        lines.append("(no plugin calls or corrected finals recorded)")
    lines.append("recommendations:" if advice else "recommendations: none (the numbers suggest no change)")
    lines += [f"- {a}" for a in advice]
    return "\n".join(lines)


def _report_line(r: PluginReport) -> str:
    def num(value: float | None, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    review = "-" if r.review_share is None else f"{r.review_share * 100:.0f} %"
    wer = "-" if r.wer is None else f"{r.wer * 100:.1f} %"
    voters = ",".join(str(v) for v in r.voters) or "-"
    return (
        f"{r.plugin:<20} {r.kind:<11} {r.calls:>7} {num(r.latency_p50_ms, '.0f'):>8} {num(r.latency_p90_ms, '.0f'):>8}"
        f" {num(r.mean_confidence, '.2f'):>5} {review:>6}  {voters:<7} {wer:>7} {r.corrected:>9}"
    )


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
    p = router.add_parser(
        "report",
        help="each plugin's latency, confidence, review share and WER from the database, and what to change",
        description="Each plugin's calls since --since (latency p50/p90, mean confidence, share sent for review, "
        "WER over corrected finals) and recommendations computed from them and the routing file. Exit 0.",
    )
    p.add_argument(
        "--since",
        type=parse_since,
        default="7d",
        metavar="WHEN",
        help="7d, 24h, 30m back from now, an ISO date or time (this machine's time zone unless given), or all "
        "(default: 7d)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    p.add_argument(
        "--routing",
        metavar="FILE",
        help="the routing file to read confidence_threshold, voting_enabled and the routed transcriber from "
        "(default: config/agent_routing.yml)",
    )
    p.set_defaults(needs_settings=True, func=cmd_router_report)
