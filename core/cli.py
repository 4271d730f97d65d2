"""`intelluxe`: run the stack, migrate, manage tokens, verify the audit chain.

Thin on purpose: each command parses its arguments, calls the module that holds the logic and prints. Exit codes:
0 done, 1 the command failed (message on stderr), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from core import audit, auth, embedded, stack
from core.config import ConfigError, Settings
from core.db import Database, DatabaseUnavailable, MigrationError, migrate


def _fail(message: str) -> int:
    print(f"intelluxe: {message}", file=sys.stderr)
    return 1


@contextmanager
def _database(settings: Settings, *, migrated: bool = True) -> Iterator[Database]:
    """The configured database (with no POSTGRES_URL, the embedded one, started if need be), schema applied."""
    url = settings.postgres_url or embedded.postgres_url(settings.home) or embedded.start_postgres(settings.home)
    db = Database(url, minconn=1, maxconn=2)
    try:
        if migrated:
            migrate(db)
        yield db
    finally:
        db.close()


# --------------------------------------------------------------------------------------------------- commands


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    result = stack.up(settings, backend=args.backend, timeout=args.timeout, dry_run=args.dry_run)
    if args.dry_run:
        return 0
    print()
    print(f"{'SERVICE':<18} {'STATUS':<10} {'URL':<24} LOG")
    for service in result.services:
        print(f"{service.name:<18} {service.health:<10} {service.url:<24} {service.log}")
    if result.embedded:
        print(f"\nembedded PostgreSQL and Redis data: {settings.home}  (stop everything: intelluxe down)")
    return 0


def cmd_down(args: argparse.Namespace, settings: Settings) -> int:
    stack.down(settings)
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    services, emb = stack.status(settings)
    print(f"{'SERVICE':<18} {'STATE':<9} {'HEALTH':<10} {'URL':<24} LOG")
    for s in services:
        print(f"{s.name:<18} {s.state:<9} {s.health:<10} {s.url:<24} {s.log}")
    pg = "configured (POSTGRES_URL)" if settings.postgres_url else ("running" if emb.postgres_url else "stopped")
    rd = "configured (REDIS_URL)" if settings.redis_url else ("running" if emb.redis_running else "stopped")
    print(f"\npostgres: {pg}    redis: {rd}")
    return 0 if all(s.ok for s in services) else 1


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings, migrated=False) as db:
        report = migrate(db)
    for name in report.applied:
        print(f"applied  {name}")
    print(f"{len(report.applied)} applied, {len(report.already)} already applied")
    return 0


def cmd_token_issue(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as db:
        try:
            token = auth.issue_token(db, args.name, args.role, args.expires_days)
        except auth.TokenNameError as exc:
            return _fail(str(exc))
    print(token)
    print(f"token {args.name!r} (role {args.role}) issued; it is shown only now — store it safely", file=sys.stderr)
    return 0


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as db:
        revoked = auth.revoke_token(db, args.name)
    if not revoked:
        return _fail(f"no live token named {args.name!r}")
    print(f"token {args.name!r} revoked")
    return 0


def cmd_token_list(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as db:
        tokens = auth.list_tokens(db)
    print(f"{'NAME':<24} {'ROLE':<11} {'CREATED':<20} {'EXPIRES':<20} STATE")
    for t in tokens:
        state = "revoked" if t.revoked_at else "live"
        expires = t.expires_at.strftime("%Y-%m-%d %H:%M") if t.expires_at else "never"
        print(f"{t.name:<24} {t.role.value:<11} {t.created_at:%Y-%m-%d %H:%M}     {expires:<20} {state}")
    return 0


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as db:
        result = audit.verify(db)
    if args.json:
        print(json.dumps(result.__dict__))
    elif result.ok:
        print(
            f"audit chain intact: {result.rows_checked} rows, head seq {result.head_seq}, head hash {result.head_hash}"
        )
    else:
        print(
            f"audit chain BROKEN at seq {result.first_bad_seq} (audit_id {result.first_bad_audit_id}): "
            f"{result.reason}; {result.rows_checked} rows before it are intact"
        )
    return 0 if result.ok else 1


def cmd_enroll_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from core import enrollment
    from core.keys import master_fernet

    with _database(settings) as db:
        try:
            if args.revoke:
                if not enrollment.revoke(db, args.doctor_id):
                    return _fail(f"doctor {args.doctor_id!r} is not enrolled")
                print(f"doctor {args.doctor_id!r}: access revoked (token ended, keys forgotten)")
                return 0
            if args.out is None:
                return _fail("--out FILE is needed: the doctor's client config is written there")
            ca = args.ca or settings.home / "certs" / "ca.pem"
            if not ca.is_file():
                return _fail(f"no clinic CA certificate at {ca} (make one: scripts/gen-certs.sh {ca.parent})")
            vocabulary = args.vocabulary.read_text(encoding="utf-8").strip() if args.vocabulary else None
            master = master_fernet(settings, create=True)
            if args.rotate:
                token, key = enrollment.rotate(db, master, args.doctor_id, timedelta(hours=args.grace_hours))
                if vocabulary is not None:
                    enrollment.set_vocabulary(db, args.doctor_id, vocabulary)
                what = f"new key and token; the old ones work for {args.grace_hours:g} more hours"
            else:
                token, key = enrollment.enroll(db, master, args.doctor_id, vocabulary or "")
                what = "enrolled"
        except (enrollment.EnrollmentError, OSError) as exc:
            return _fail(str(exc))
    enrollment.ClientConfig(
        server_url=args.server_url,
        doctor_id=args.doctor_id,
        token=token,
        fernet_key=key,
        ca_certificate=ca.read_text(encoding="ascii"),
    ).write(args.out)
    print(f"doctor {args.doctor_id!r}: {what}; client config written to {args.out} (mode 0600: it holds the key)")
    return 0


def cmd_transcripts_list(args: argparse.Namespace, settings: Settings) -> int:
    from core import transcripts

    with _database(settings) as db:
        rows = transcripts.list_transcripts(db, args.doctor, args.limit)
    print(f"{'SESSION':<36}  {'DOCTOR':<20} {'STARTED (UTC)':<19}  {'AUDIO S':>8} {'SEGMENTS':>8}")
    for r in rows:
        print(
            f"{r.session_id:<36}  {r.doctor_id:<20} {r.started_at:%Y-%m-%d %H:%M:%S}  {r.audio_seconds:>8} "
            f"{r.segments:>8}"
        )
    return 0


def cmd_transcripts_show(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from core import transcripts
    from core.keys import master_fernet

    with _database(settings) as db:
        try:
            segments = transcripts.read(db, master_fernet(settings), args.session_id, actor=f"cli:{getpass.getuser()}")
        except transcripts.TranscriptError as exc:
            return _fail(str(exc))
    for segment in segments:
        print(f"[{segment.start:7.2f} - {segment.end:7.2f}] {segment.text}")
    return 0


def cmd_phi_scan(args: argparse.Namespace, settings: Settings) -> int:
    from core.phi.cli import scan_jsonl

    if not args.jsonl:
        return _fail("phi scan reads JSON lines: pass --jsonl")
    return scan_jsonl(sys.stdin, sys.stdout)


def cmd_phi_redact(args: argparse.Namespace, settings: Settings) -> int:
    from core.phi.cli import redact_stream

    return redact_stream(sys.stdin, sys.stdout, surrogate=args.surrogate)


def cmd_billing_estimate(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from core.claims.estimate import estimate_from_json
    from core.yaml_config import validation_problems

    try:
        payload = json.load(sys.stdin)
    except ValueError as exc:
        return _fail(f"stdin is not JSON: {exc}")
    try:
        result = estimate_from_json(payload)
    except ValidationError as exc:
        return _fail(f"invalid estimate input: {validation_problems(exc)}")
    print(json.dumps(result.to_json(), indent=2))
    return 0


def cmd_x12_read_271(args: argparse.Namespace, settings: Settings) -> int:
    from core.x12 import X12ParseError, read_271

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        return _fail(f"{args.file}: {exc.strerror}")
    except UnicodeDecodeError:
        return _fail(f"{args.file}: not text (X12 is ASCII)")
    try:
        coverage = read_271(text)
    except X12ParseError as exc:
        return _fail(f"{args.file}: {exc}")
    print(json.dumps(coverage.to_json(), indent=2))
    return 0


# --------------------------------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intelluxe", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("up", help="start the whole stack and wait until each service is healthy")
    p.add_argument("--backend", choices=["local", "docker"], default="local")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each service's health")
    p.add_argument("--dry-run", action="store_true", help="print what the runner would start; start nothing")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("down", help="stop the services and the embedded servers that `up` started")
    p.set_defaults(func=cmd_down)

    p = sub.add_parser("status", help="show each service's state and health")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("migrate", help="apply postgres/init/*.sql not yet applied")
    p.set_defaults(func=cmd_migrate)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    p = token.add_parser("issue", help="create a token and print it once")
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=[r.value for r in auth.Role])
    p.add_argument("--expires-days", type=int, default=None)
    p.set_defaults(func=cmd_token_issue)
    p = token.add_parser("revoke", help="revoke the live token NAME")
    p.add_argument("name")
    p.set_defaults(func=cmd_token_revoke)
    p = token.add_parser("list", help="list tokens (never their values)")
    p.set_defaults(func=cmd_token_list)

    p = sub.add_parser("enroll-doctor", help="enroll a doctor for dictation and write the client's config file")
    p.add_argument("doctor_id")
    p.add_argument("--vocabulary", type=Path, help="a text file of drug names and terms the doctor uses")
    p.add_argument("--out", type=Path, help="where to write the client config (JSON, mode 0600)")
    p.add_argument("--server-url", default=os.environ.get("INTELLUXE_AUDIO_URL", "wss://localhost:8443/dictation"))
    p.add_argument("--ca", type=Path, help="the clinic CA certificate (default: $INTELLUXE_HOME/certs/ca.pem)")
    action = p.add_mutually_exclusive_group()
    action.add_argument(
        "--rotate", action="store_true", help="issue a new key and token; the old ones keep working for --grace-hours"
    )
    action.add_argument("--revoke", action="store_true", help="end the doctor's access")
    p.add_argument("--grace-hours", type=float, default=24.0)
    p.set_defaults(func=cmd_enroll_doctor)

    stored = sub.add_parser("transcripts", help="dictation transcripts kept with STORE_TRANSCRIPTS=true")
    stored = stored.add_subparsers(dest="transcripts_command", required=True)
    p = stored.add_parser("list", help="stored transcripts, newest first (times and sizes, never text)")
    p.add_argument("--doctor", help="only this doctor's")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(func=cmd_transcripts_list)
    p = stored.add_parser("show", help="print one session's text (decrypted; the read is audited)")
    p.add_argument("session_id")
    p.set_defaults(func=cmd_transcripts_show)

    phi = sub.add_parser("phi", help="PHI detection and redaction").add_subparsers(dest="phi_command", required=True)
    p = phi.add_parser("scan", help='{"text": ...} lines on stdin -> {"spans": [[start, end, type], ...]} lines')
    p.add_argument("--jsonl", action="store_true", help="read and write JSON lines (the only format)")
    p.set_defaults(func=cmd_phi_scan)
    p = phi.add_parser("redact", help="text on stdin -> the same text with identifiers replaced")
    p.add_argument("--surrogate", action="store_true", help="consistent fake values instead of [TYPE]")
    p.set_defaults(func=cmd_phi_redact)

    x12 = sub.add_parser("x12", help="X12 tools").add_subparsers(dest="x12_command", required=True)
    p = x12.add_parser("read-271", help="print a 271's coverage as JSON (FILE or - for stdin)")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_x12_read_271)

    billing = sub.add_parser("billing", help="claims tools").add_subparsers(dest="billing_command", required=True)
    p = billing.add_parser("estimate", help="patient-responsibility estimate of JSON on stdin (no database)")
    p.set_defaults(func=cmd_billing_estimate)

    audit_cmd = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_command", required=True)
    p = audit_cmd.add_parser("verify", help="walk the hash chain; exit 1 naming the first broken row")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "expires_days", None) is not None and args.expires_days < 1:
        print("intelluxe: --expires-days must be at least 1", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
        return args.func(args, settings)
    except (ConfigError, DatabaseUnavailable, MigrationError, stack.StackError) as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
