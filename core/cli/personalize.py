"""Personalization for ops: add a doctor's writing samples from files, readiness, list and delete samples.

Samples go through the same collector as the compliance API (`core.training`): de-identified before they are stored,
refused when identifiers survive, stored and deleted with an audit row (actor `cli:<login>`). Nothing here prints a
sample's text.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.common import database, fail

if TYPE_CHECKING:
    from core.config import Settings
    from core.db import Database
    from core.training import TrainingDataCollector

CONTENT_TYPES = ("note", "letter", "summary", "corrected_dictation")  # core.training.CONTENT_TYPES (checked there)


def _collector(db: Database) -> TrainingDataCollector:
    from core.audit import AuditWriter
    from core.training import TrainingDataCollector

    return TrainingDataCollector(db, AuditWriter(db), service="cli")


def _actor():  # noqa: ANN202 - core.training.Actor, loaded when the command runs
    import getpass

    from core.training import Actor

    return Actor(f"cli:{getpass.getuser()}")


def _read(path: Path) -> str:
    """The file's text; OSError or UnicodeDecodeError for the caller to report (without the content)."""
    return path.read_text(encoding="utf-8-sig")


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from core.training import InvalidSample, SampleRefused
    from core.training.data_collector import check_doctor_id

    try:
        check_doctor_id(args.doctor)
    except InvalidSample as exc:
        return fail(f"doctor id {args.doctor!r}: {exc.message}")
    refused = 0
    with database(settings) as db:
        collector = _collector(db)
        actor = _actor()
        readiness = None
        for path in args.files:
            try:
                stored = collector.collect_writing_sample(args.doctor, _read(path), args.type, actor=actor)
            except UnicodeDecodeError:
                reason = "not UTF-8 text"
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
            except (InvalidSample, SampleRefused) as exc:
                reason = exc.message
            else:
                replaced = sum(stored.info.redactions.values())
                print(
                    f"{path}: stored {stored.info.sample_id} ({stored.info.characters} characters, "
                    f"{replaced} identifiers replaced)"
                )
                readiness = stored.readiness
                continue
            refused += 1
            print(f"{path}: refused: {reason}")
        readiness = readiness or collector.get_training_readiness(args.doctor)
    print(
        f"{args.doctor}: {readiness['samples_collected']} of {readiness['samples_needed']} samples "
        f"({readiness['completion_percentage']}%), ready for training: {str(readiness['ready_for_training']).lower()}"
    )
    return 1 if refused else 0


def cmd_readiness(args: argparse.Namespace, settings: Settings) -> int:
    from core.training import InvalidSample

    with database(settings) as db:
        try:
            readiness = _collector(db).get_training_readiness(args.doctor)
        except InvalidSample as exc:
            return fail(f"doctor id {args.doctor!r}: {exc.message}")
    print(json.dumps(readiness, indent=2))
    return 0


def cmd_samples(args: argparse.Namespace, settings: Settings) -> int:
    from core.training import InvalidSample

    with database(settings) as db:
        try:
            samples = _collector(db).list_samples(args.doctor)
        except InvalidSample as exc:
            return fail(f"doctor id {args.doctor!r}: {exc.message}")
    if args.json:
        print(json.dumps([s.to_json() for s in samples], indent=2))
        return 0
    print(f"{'SAMPLE':<36}  {'TYPE':<19} {'CHARS':>6} {'WORDS':>6} {'REPLACED':>8}  CREATED (UTC)")
    for s in samples:
        print(
            f"{s.sample_id:<36}  {s.content_type:<19} {s.characters:>6} {s.words:>6} "
            f"{sum(s.redactions.values()):>8}  {s.created_at:%Y-%m-%d %H:%M:%S}"
        )
    return 0


def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        deleted = _collector(db).delete_sample(args.sample_id, actor=_actor())
    if deleted is None:
        return fail(f"no writing sample {args.sample_id!r}")
    print(f"deleted {deleted.sample_id} ({deleted.user_id}, {deleted.content_type}); the deletion is audited")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = sub.add_parser("personalize", help="doctors' writing samples for personalization (de-identified)")
    group = group.add_subparsers(dest="personalize_command", required=True)
    p = group.add_parser("add", help="de-identify and store one sample per file; says per file stored or refused")
    p.add_argument("doctor", help="the doctor's id, e.g. dr-smith")
    p.add_argument("--type", required=True, choices=CONTENT_TYPES, help="what the files are")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="UTF-8 text files, one sample each")
    p.set_defaults(func=cmd_add)
    p = group.add_parser("readiness", help="JSON: samples_collected, samples_needed, ready_for_training, …")
    p.add_argument("doctor", help="the doctor's id")
    p.set_defaults(func=cmd_readiness)
    p = group.add_parser("samples", help="a doctor's samples, newest first (ids, types, sizes, times — no text)")
    p.add_argument("doctor", help="the doctor's id")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_samples)
    p = group.add_parser("delete", help="delete one sample (audited)")
    p.add_argument("sample_id", help="a sample id from `intelluxe personalize samples`")
    p.set_defaults(func=cmd_delete)
