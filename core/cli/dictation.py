"""Dictation: enrolling doctors (their token, key and client config) and reading stored transcripts."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.common import database, fail

if TYPE_CHECKING:
    from core.config import Settings


def cmd_enroll_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from core import enrollment
    from core.keys import master_fernet

    with database(settings) as db:
        try:
            if args.revoke:
                if not enrollment.revoke(db, args.doctor_id):
                    return fail(f"doctor {args.doctor_id!r} is not enrolled")
                print(f"doctor {args.doctor_id!r}: access revoked (token ended, keys forgotten)")
                return 0
            if args.out is None:
                return fail("--out FILE is needed: the doctor's client config is written there")
            ca = args.ca or settings.home / "certs" / "ca.pem"
            if not ca.is_file():
                return fail(f"no clinic CA certificate at {ca} (make one: scripts/gen-certs.sh {ca.parent})")
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
            return fail(str(exc))
    enrollment.ClientConfig(
        server_url=args.server_url or settings.audio_url,
        doctor_id=args.doctor_id,
        token=token,
        fernet_key=key,
        ca_certificate=ca.read_text(encoding="ascii"),
    ).write(args.out)
    print(f"doctor {args.doctor_id!r}: {what}; client config written to {args.out} (mode 0600: it holds the key)")
    return 0


def cmd_transcripts_list(args: argparse.Namespace, settings: Settings) -> int:
    from core import transcripts

    with database(settings) as db:
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

    with database(settings) as db:
        try:
            segments = transcripts.read(db, master_fernet(settings), args.session_id, actor=f"cli:{getpass.getuser()}")
        except transcripts.TranscriptError as exc:
            return fail(str(exc))
    for segment in segments:
        print(f"[{segment.start:7.2f} - {segment.end:7.2f}] {segment.text}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("enroll-doctor", help="enroll a doctor for dictation and write the client's config file")
    p.add_argument("doctor_id", help="the doctor's id (letters, digits, dots, dashes), e.g. dr-smith")
    p.add_argument("--vocabulary", type=Path, help="a text file of drug names and terms the doctor uses")
    p.add_argument("--out", type=Path, help="where to write the client config (JSON, mode 0600)")
    p.add_argument(
        "--server-url",
        help="the receiver's wss:// URL (default: INTELLUXE_AUDIO_URL, else wss://localhost:8443/dictation)",
    )
    p.add_argument("--ca", type=Path, help="the clinic CA certificate (default: $INTELLUXE_HOME/certs/ca.pem)")
    action = p.add_mutually_exclusive_group()
    action.add_argument(
        "--rotate", action="store_true", help="issue a new key and token; the old ones keep working for --grace-hours"
    )
    action.add_argument("--revoke", action="store_true", help="end the doctor's access")
    p.add_argument(
        "--grace-hours", type=float, default=24.0, help="with --rotate: how long the old key and token still work"
    )
    p.set_defaults(func=cmd_enroll_doctor)

    stored = sub.add_parser("transcripts", help="dictation transcripts kept with STORE_TRANSCRIPTS=true")
    stored = stored.add_subparsers(dest="transcripts_command", required=True)
    p = stored.add_parser("list", help="stored transcripts, newest first (times and sizes, never text)")
    p.add_argument("--doctor", help="only this doctor's")
    p.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    p.set_defaults(func=cmd_transcripts_list)
    p = stored.add_parser("show", help="print one session's text (decrypted; the read is audited)")
    p.add_argument("session_id", help="a session id from `intelluxe transcripts list`")
    p.set_defaults(func=cmd_transcripts_show)
