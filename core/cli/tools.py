"""Offline tools that need no database: PHI scan and redaction, reading 271s and 835s, the estimate."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.cli.common import fail

if TYPE_CHECKING:
    from core.config import Settings


def cmd_phi_scan(args: argparse.Namespace, settings: Settings | None) -> int:
    from core.phi.cli import scan_jsonl

    if not args.jsonl:
        return fail("phi scan reads JSON lines: pass --jsonl")
    if args.jobs < 1:
        return fail("--jobs must be at least 1")
    return scan_jsonl(sys.stdin, sys.stdout, jobs=args.jobs)


def cmd_phi_redact(args: argparse.Namespace, settings: Settings | None) -> int:
    from core.phi.cli import redact_stream

    return redact_stream(sys.stdin, sys.stdout, surrogate=args.surrogate)


ESTIMATE_EXAMPLE = """example (config/estimate.example.json):
  {"coverage": {"deductible_remaining": "500.00", "coinsurance_rate": "0.2", "copay_amount": "25.00",
                "copay_waives_deductible": true, "out_of_pocket_remaining": "3000.00",
                "family_deductible_remaining": null, "family_out_of_pocket_remaining": null},
   "lines": [{"code": "99213", "billed": "150.00", "allowed": "120.00", "copay": true, "covered": true},
             {"code": "80053", "billed": "60.00"}]}

  intelluxe billing estimate < config/estimate.example.json"""


def cmd_billing_estimate(args: argparse.Namespace, settings: Settings | None) -> int:
    from pydantic import ValidationError

    from core.claims.estimate import estimate_from_json
    from core.yaml_config import validation_problems

    try:
        payload = json.load(sys.stdin)
    except ValueError as exc:
        return fail(f"stdin is not JSON: {exc}")
    try:
        result = estimate_from_json(payload)
    except ValidationError as exc:
        return fail(f"invalid estimate input: {validation_problems(exc)}")
    print(json.dumps(result.to_json(), indent=2))
    return 0


def _x12_text(name: str) -> str:
    """The X12 file `name` (or stdin for "-") as text; SystemExit-free: raises OSError/UnicodeDecodeError."""
    if name == "-":
        return sys.stdin.read()
    # utf-8-sig: a byte-order mark some editors write is not part of the first segment
    return Path(name).read_text(encoding="utf-8-sig")


def _read_failure(name: str, exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"{name}: not text (X12 is ASCII)"
    if isinstance(exc, OSError):
        return f"{name}: {exc.strerror}"
    return f"{name}: {exc}"


def _print_transactions(name: str, set_id: str, transactions: list[dict[str, Any]], *, failed: int) -> int:
    """{"transactions": [...]} on stdout, one entry per transaction set (an unreadable one with its error); exit 1
    naming how many could not be read, so a script notices."""
    print(json.dumps({"transactions": transactions}, indent=2))
    if failed:
        return fail(f"{name}: {failed} of {len(transactions)} {set_id} transaction sets could not be read")
    return 0


def cmd_x12_read_271(args: argparse.Namespace, settings: Settings | None) -> int:
    """The patient's coverage of the first 271 (what /verify would answer); with --all, every person of every 271
    in the file (exit 1 when a transaction set could not be read: it is listed with its error)."""
    from core.x12 import X12ParseError, read_271, read_eligibility

    try:
        text = _x12_text(args.file)
        reads = read_eligibility(text)
        if not args.all:
            coverage = read_271(text)
            for warning in reads[0].warnings:
                print(f"intelluxe: {args.file}: warning: {warning}", file=sys.stderr)
            print(json.dumps(coverage.to_json(), indent=2))
            return 0
    except (OSError, UnicodeDecodeError, X12ParseError) as exc:
        return fail(_read_failure(args.file, exc))
    transactions = [
        {"position": read.position, "error": str(read.error)}
        if read.value is None
        else {"position": read.position, "patients": [c.to_json() for c in read.value]}
        | ({"warnings": list(read.warnings)} if read.warnings else {})
        for read in reads
    ]
    return _print_transactions(args.file, "271", transactions, failed=sum(r.error is not None for r in reads))


def cmd_x12_read_835(args: argparse.Namespace, settings: Settings | None) -> int:
    """Every payment (835 transaction set) of the file; exit 1 when any could not be read (it is listed with its
    error and position, and the others are printed)."""
    from core.x12 import X12ParseError, read_remittances

    try:
        reads = read_remittances(_x12_text(args.file))
    except (OSError, UnicodeDecodeError, X12ParseError) as exc:
        return fail(_read_failure(args.file, exc))
    transactions = [
        {"position": read.position, "error": str(read.error)} if read.value is None else read.value.to_json()
        for read in reads
    ]
    return _print_transactions(args.file, "835", transactions, failed=sum(r.error is not None for r in reads))


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    phi = sub.add_parser("phi", help="PHI detection and redaction").add_subparsers(dest="phi_command", required=True)
    p = phi.add_parser("scan", help='{"text": ...} lines on stdin -> {"spans": [[start, end, type], ...]} lines')
    p.add_argument("--jsonl", action="store_true", help="read and write JSON lines (the only format)")
    p.add_argument(
        "--jobs",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="worker processes (default: the CPUs this process may use; 1 scans in this process)",
    )
    p.set_defaults(needs_settings=False, func=cmd_phi_scan)
    p = phi.add_parser("redact", help="text on stdin -> the same text with identifiers replaced")
    p.add_argument("--surrogate", action="store_true", help="consistent fake values instead of [TYPE]")
    p.set_defaults(needs_settings=False, func=cmd_phi_redact)

    x12 = sub.add_parser("x12", help="X12 tools").add_subparsers(dest="x12_command", required=True)
    p = x12.add_parser("read-271", help="print a 271's coverage as JSON (FILE or - for stdin)")
    p.add_argument("file", metavar="FILE", help="an X12 271 file, or - for stdin")
    p.add_argument("--all", action="store_true", help="every subscriber and dependent of every 271 in the file")
    p.set_defaults(needs_settings=False, func=cmd_x12_read_271)
    p = x12.add_parser("read-835", help="print every payment of an 835 file as JSON (FILE or - for stdin)")
    p.add_argument("file", metavar="FILE", help="an X12 835 file (one payment or a batch), or - for stdin")
    p.set_defaults(needs_settings=False, func=cmd_x12_read_835)

    billing = sub.add_parser("billing", help="claims tools").add_subparsers(dest="billing_command", required=True)
    p = billing.add_parser(
        "estimate",
        help="patient-responsibility estimate of JSON on stdin (no database)",
        description="Reads coverage terms and service lines as JSON on stdin; prints the estimate per line and in "
        "total. Money is a decimal number or string; coinsurance_rate is a fraction (0.2 = 20 %%). Every "
        "coverage field may be left out (unknown), and a line needs only code and billed.",
        epilog=ESTIMATE_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(needs_settings=False, func=cmd_billing_estimate)
