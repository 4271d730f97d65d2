"""Personalization for ops: a doctor's writing samples (add, readiness, list, delete) and adapters (train, list,
activate, roll back).

Samples go through the same collector as the compliance API (`core.training`): de-identified before they are stored,
refused when identifiers survive, stored and deleted with an audit row (actor `cli:<login>`). Nothing here prints a
sample's text.

`train` exits 0 when the adapter was kept, 3 when the gate rejected it (its figures are recorded and printed all the
same), 2 for bad input (an unknown doctor id, too few samples, a doctor not ready without --force), 1 for anything
else (the training extra missing, another run under way). `train --pending` is the background job: it trains every
doctor who is ready and has samples newer than their last run, and exits 0 unless a run failed.
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
EXIT_REJECTED = 3  # `train`: the gate discarded the adapter (documented in docs/personalization.md)
EXIT_BAD_INPUT = 2


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


def cmd_feed_corrections(args: argparse.Namespace, settings: Settings) -> int:
    """Show, or set on the doctor's word, whether their corrected dictations become samples (the same preference as
    compliance's PUT /personalization/preferences/<doctor>; a change is audited)."""
    from core.training import InvalidSample

    with database(settings) as db:
        collector = _collector(db)
        try:
            if args.choice is not None:
                collector.set_feed_corrections(args.doctor, args.choice == "on", actor=_actor())
            on = collector.feeds_corrections(args.doctor)
        except InvalidSample as exc:
            return fail(f"doctor id {args.doctor!r}: {exc.message}")
    print(json.dumps({"doctor_id": args.doctor, "feed_corrections": on}))
    return 0


def _bad_input(message: str) -> int:
    fail(message)
    return EXIT_BAD_INPUT


def _gate(args: argparse.Namespace):  # noqa: ANN202 - core.training.gate.GateConfig
    from core.training.gate import DEFAULT_GATE, GateConfig

    improvement, regression = args.min_improvement, args.max_regression
    return GateConfig(
        min_heldout_improvement=DEFAULT_GATE.min_heldout_improvement if improvement is None else improvement,
        max_general_regression=DEFAULT_GATE.max_general_regression if regression is None else regression,
    )


def _train_one(db: Database, settings: Settings, doctor: str, args: argparse.Namespace, store, actor) -> dict:  # noqa: ANN001
    from core.training.lora import DEFAULT, TINY
    from core.training.trainer import train_doctor

    return train_doctor(
        db,
        settings,
        doctor,
        config=TINY if args.tiny else DEFAULT,
        gate=_gate(args),
        actor=actor,
        activate=not args.no_activate,
        force=args.force,
        store=store,
    )


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from core.training import InvalidSample
    from core.training.adapters import adapter_store
    from core.training.data_collector import check_doctor_id
    from core.training.model import TrainingUnavailable, require
    from core.training.trainer import NotReady, TrainingBusy, pending_doctors

    if (args.doctor is None) == (not args.pending):
        return _bad_input("give a doctor id or --pending (not both)")
    if args.doctor is not None:
        try:
            check_doctor_id(args.doctor)
        except InvalidSample as exc:
            return _bad_input(f"doctor id {args.doctor!r}: {exc.message}")
    if args.min_improvement is not None and not -1.0 <= args.min_improvement < 1.0:
        return _bad_input("--min-improvement is a fraction in [-1, 1), e.g. 0.05 for 5 %")
    if args.max_regression is not None and args.max_regression < 0:
        return _bad_input("--max-regression is a fraction >= 0, e.g. 0.05 for 5 %")
    try:
        require()
    except TrainingUnavailable as exc:
        return fail(str(exc))
    actor = _actor()
    with database(settings) as db:
        store = adapter_store(settings, db, create_key=True)
        if args.pending:
            results, failed = [], 0
            for doctor in pending_doctors(db):
                try:
                    results.append(_train_one(db, settings, doctor, args, store, actor))
                except (NotReady, TrainingBusy) as exc:
                    results.append({"doctor_id": doctor, "verdict": "skipped", "reason": str(exc)})
                except Exception as exc:  # one doctor's failure must not stop the others'  # noqa: BLE001
                    failed += 1
                    results.append({"doctor_id": doctor, "verdict": "failed", "error": type(exc).__name__})
            print(json.dumps(results, indent=2))
            return 1 if failed else 0
        try:
            result = _train_one(db, settings, args.doctor, args, store, actor)
        except NotReady as exc:
            return _bad_input(str(exc))
        except TrainingBusy as exc:
            return fail(str(exc))
    print(json.dumps(result, indent=2))
    return 0 if result["kept"] else EXIT_REJECTED


def cmd_adapters(args: argparse.Namespace, settings: Settings) -> int:
    from core.training import InvalidSample
    from core.training.adapters import adapter_store

    with database(settings) as db:
        try:
            records = adapter_store(settings, db, create_key=True).list(args.doctor)
        except InvalidSample as exc:
            return _bad_input(f"doctor id {args.doctor!r}: {exc.message}")
    print(json.dumps([r.to_json() for r in records], indent=2))
    return 0


def cmd_activate(args: argparse.Namespace, settings: Settings) -> int:
    from core.training.adapters import AdapterNotFound, AdapterNotKept, adapter_store

    with database(settings) as db:
        try:
            record = adapter_store(settings, db, create_key=True).activate(args.adapter_id, actor=_actor())
        except (AdapterNotFound, AdapterNotKept) as exc:
            return _bad_input(str(exc))
    print(json.dumps(record.to_json(), indent=2))
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    from core.training import InvalidSample
    from core.training.adapters import adapter_store

    with database(settings) as db:
        try:
            record = adapter_store(settings, db, create_key=True).rollback(args.doctor, actor=_actor())
        except InvalidSample as exc:
            return _bad_input(f"doctor id {args.doctor!r}: {exc.message}")
    print(json.dumps({"doctor_id": args.doctor, "active": record.to_json() if record else None}, indent=2))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = sub.add_parser("personalize", help="doctors' writing samples (de-identified) and adapters")
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
    p = group.add_parser(
        "feed-corrections",
        help="show or set (on the doctor's word) whether their corrected dictations become samples (audited)",
    )
    p.add_argument("doctor", help="the doctor's id")
    p.add_argument("choice", nargs="?", choices=("on", "off"), help="omit to show the current choice")
    p.set_defaults(func=cmd_feed_corrections)
    p = group.add_parser(
        "train",
        help="train a doctor's adapter (LoRA on SmolLM2-135M, CPU); JSON: kept or rejected, figures",
        description="Exit codes: 0 kept, 3 rejected by the gate (figures recorded), 2 bad input, 1 other errors.",
    )
    p.add_argument("doctor", nargs="?", help="the doctor's id")
    p.add_argument("--pending", action="store_true", help="every ready doctor with samples newer than their last run")
    p.add_argument("--tiny", action="store_true", help="the tiny configuration (3 steps; smoke tests)")
    p.add_argument("--no-activate", action="store_true", help="record a kept adapter without making it active")
    p.add_argument("--force", action="store_true", help="train before the doctor has the 50 samples (at least 2)")
    p.add_argument("--min-improvement", type=float, metavar="FRACTION", help="gate: held-out drop needed (0.05)")
    p.add_argument("--max-regression", type=float, metavar="FRACTION", help="gate: general rise allowed (0.05)")
    p.set_defaults(func=cmd_train)
    p = group.add_parser("adapters", help="JSON: a doctor's training runs, kept and rejected, newest first")
    p.add_argument("doctor", help="the doctor's id")
    p.set_defaults(func=cmd_adapters)
    p = group.add_parser("activate", help="make a kept adapter its doctor's active one (audited)")
    p.add_argument("adapter_id", help="an adapter id from `intelluxe personalize adapters`")
    p.set_defaults(func=cmd_activate)
    p = group.add_parser("rollback", help="make the adapter active before the current one active again (audited)")
    p.add_argument("doctor", help="the doctor's id")
    p.set_defaults(func=cmd_rollback)
