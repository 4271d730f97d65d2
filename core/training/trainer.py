"""One doctor's training run, end to end: samples -> LoRA adapter -> the gate -> kept (and active) or rejected.

Theory of operation:
- The samples are read as stored: already de-identified by the collector. They become training rows through
  `prompting.training_examples` — each note given the dictation derived from it (the very prompt the processor
  plugin uses), and each note alone — so the adapter learns to turn a dictation into this doctor's note.
- `gate.split` puts each sample in train or held-out by a seeded hash of its id. The gate measures perplexity of
  the held-out notes given their dictations (the loss on the note only: the prompt's fixed instruction would buy
  any adapter a "drop" that says nothing about the doctor), and of general clinical text
  (`gate.general_clinical_texts`) as text, base vs adapted.
- Checkpoints live in `$INTELLUXE_HOME/training/<sha256(doctor)[:16]>/<run>/`, where <run> is a hash of the base
  model, the configuration and the training samples' ids: a run killed part way and started again with the same
  samples resumes; one whose samples changed since starts afresh (the stale checkpoint is removed). A file lock
  keeps two runs for one doctor (the timer and an operator) from sharing a checkpoint; the directory is removed
  when the run has been recorded.
- Audit: `training_started` when the run begins (sample counts, configuration), `training_finished` or
  `training_rejected` with the run's row (figures and reasons), `adapter_activated` when it becomes active, and
  `training_finished` with outcome `error` (the exception's type only) when it fails. No sample text anywhere —
  not in an audit row, a log line, an exception or the returned figures.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import audit
from core.training import gate as gating
from core.training.adapters import RESOURCE_TYPE, AdapterStore, adapter_store, doctor_dir_name
from core.training.data_collector import (
    MIN_SAMPLES_FOR_TRAINING,
    PREFERENCE_TYPE,
    Actor,
    check_doctor_id,
)
from core.training.gate import DEFAULT_GATE, GateConfig
from core.training.lora import DEFAULT, TrainingConfig

if TYPE_CHECKING:
    from core.config import Settings
    from core.db import Database

log = logging.getLogger(__name__)
MIN_SAMPLES_TO_TRAIN = 2  # one to train on, one to hold out: fewer cannot be measured at all


class NotReady(ValueError):
    """The doctor has too few samples to train on (or is not yet ready and the run was not forced)."""


class TrainingBusy(RuntimeError):
    """Another run for this doctor holds the lock."""


@dataclass(frozen=True)
class _Sample:
    sample_id: str
    text: str


def _samples(db: Database, doctor_id: str) -> tuple[list[_Sample], str | None]:
    rows = db.fetchall(
        "SELECT sample_id, content, created_at FROM user_writing_samples WHERE user_id = %s "
        "ORDER BY created_at, sample_id",
        (doctor_id,),
    )
    newest = max((r["created_at"] for r in rows), default=None)
    return [_Sample(str(r["sample_id"]), r["content"]) for r in rows], newest.isoformat() if newest else None


def _marked_ready(db: Database, doctor_id: str) -> bool:
    row = db.fetchone(
        "SELECT preference_data FROM user_preferences WHERE user_id = %s AND preference_type = %s",
        (doctor_id, PREFERENCE_TYPE),
    )
    return bool(row and row["preference_data"].get("training_ready"))


def pending_doctors(db: Database) -> list[str]:
    """Doctors marked training_ready whose newest sample is newer than the newest sample their last run saw (or who
    have never been trained): the background job's work list."""
    rows = db.fetchall(
        """
        SELECT p.user_id FROM user_preferences p
        WHERE p.preference_type = %s AND (p.preference_data->>'training_ready')::boolean
          AND (SELECT max(s.created_at) FROM user_writing_samples s WHERE s.user_id = p.user_id)
              > coalesce((SELECT max((a.performance_metrics->'samples'->>'newest_at')::timestamptz)
                          FROM model_adapters a WHERE a.user_id = p.user_id), '-infinity'::timestamptz)
        ORDER BY p.user_id
        """,
        (PREFERENCE_TYPE,),
    )
    return [r["user_id"] for r in rows]


@contextmanager
def _run_lock(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(directory / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TrainingBusy("another training run for this doctor is under way") from None
        yield


def _run_key(base_model_id: str, config: TrainingConfig, sample_ids: list[str]) -> str:
    material = json.dumps([base_model_id, config.to_json(), sorted(sample_ids)], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


_base_general_cache: dict[tuple[str, int], float] = {}


def _base_general(base: Any, texts: list[tuple[str, str]], max_seq_len: int) -> float:
    """The base model's perplexity on the general texts, measured once per process (`--pending` trains many
    doctors in one; it is the same figure for each)."""
    key = (hashlib.sha256("\x00".join(t for _, t in texts).encode()).hexdigest(), max_seq_len)
    if key not in _base_general_cache:
        _base_general_cache[key] = gating.perplexity(base.model, base.tokenizer, texts, max_seq_len=max_seq_len)
    return _base_general_cache[key]


def _limit(texts: list[str], limit: int | None) -> list[str]:
    return texts if limit is None else texts[:limit]


def train_doctor(
    db: Database,
    settings: Settings,
    doctor_id: str,
    *,
    config: TrainingConfig = DEFAULT,
    gate: GateConfig = DEFAULT_GATE,
    actor: Actor,
    activate: bool = True,
    force: bool = False,
    store: AdapterStore | None = None,
    progress: bool = True,
    service: str = "cli",
) -> dict[str, Any]:
    """Train, measure, gate and record one adapter for `doctor_id`; the figures as JSON-ready data.

    NotReady when the doctor has fewer than 2 samples, or is not marked training_ready (the collector's 50) and
    `force` is not given; TrainingBusy when another run for them holds the lock; model.TrainingUnavailable when
    the training extra is missing. A kept adapter becomes active when `activate`."""
    from core.training import model as base_model
    from core.training import prompting
    from core.training.lora import Checkpoints, adapter_state, train

    check_doctor_id(doctor_id)
    samples, newest_at = _samples(db, doctor_id)
    if len(samples) < MIN_SAMPLES_TO_TRAIN:
        raise NotReady(
            f"{doctor_id} has {len(samples)} samples; training needs at least {MIN_SAMPLES_TO_TRAIN} "
            f"(one held out), and {MIN_SAMPLES_FOR_TRAINING} to be ready"
        )
    if not force and not _marked_ready(db, doctor_id):
        raise NotReady(
            f"{doctor_id} has {len(samples)} of {MIN_SAMPLES_FOR_TRAINING} samples and is not ready for training; "
            f"add {max(0, MIN_SAMPLES_FOR_TRAINING - len(samples))} more, or force the run"
        )
    base_model.require()
    store = store or adapter_store(settings, db, service=service, create_key=True)
    train_set, held_out = gating.split(
        samples,
        [s.sample_id for s in samples],
        seed=config.seed,
        held_out_fraction=config.held_out_fraction,
    )
    examples = prompting.training_examples([s.text for s in train_set])
    held_out_pairs = _limit([prompting.training_example(s.text) for s in held_out], config.eval_max_texts)
    general = gating.as_text(_limit(gating.general_clinical_texts(), config.eval_max_texts))

    doctor_dir = settings.home / "training" / doctor_dir_name(doctor_id)
    run_dir = doctor_dir / _run_key(base_model.BASE_MODEL_ID, config, [s.sample_id for s in train_set])
    writer = audit.AuditWriter(db)
    counts = {"train": len(train_set), "held_out": len(held_out), "newest_at": newest_at}
    started = time.monotonic()
    with _run_lock(doctor_dir):
        for stale in doctor_dir.iterdir():
            if stale.is_dir() and stale != run_dir:
                shutil.rmtree(stale, ignore_errors=True)  # another sample set's checkpoint: it cannot resume
        checkpoints = Checkpoints(run_dir, store.cipher)
        writer.append(
            _event(
                service,
                actor,
                "training_started",
                doctor_id=doctor_id,
                samples=counts,
                forced=force,
                resuming=checkpoints.path.exists(),
                config=config.to_json(),
            )
        )
        try:
            base = base_model.load_base()
            result = train(
                base.model,
                base.tokenizer,
                examples,
                config,
                checkpoints=checkpoints,
                progress_label=f"training {doctor_id}" if progress else None,
            )
            length = config.max_seq_len
            figures = gating.Perplexities(
                base_heldout=gating.perplexity(base.model, base.tokenizer, held_out_pairs, max_seq_len=length),
                adapted_heldout=gating.perplexity(result.model, base.tokenizer, held_out_pairs, max_seq_len=length),
                base_general=_base_general(base, general, length),
                adapted_general=gating.perplexity(result.model, base.tokenizer, general, max_seq_len=length),
            )
            verdict = gating.decide(figures, gate)
            metrics = {
                "perplexities": figures.to_json(),
                "samples": {**counts, "heldout_measured": len(held_out_pairs), "general_measured": len(general)},
                "steps": result.steps,
                "tokens": result.tokens,
                "seconds": round(result.seconds, 2),
                "wall_seconds": round(time.monotonic() - started, 2),
                "resumed_from": result.resumed_from,
                "final_loss": round(result.final_loss, 4) if result.final_loss is not None else None,
                "config": config.to_json(),
                "gate": gate.to_json(),
                "reasons": list(verdict.reasons),
            }
            record = store.save(
                doctor_id,
                adapter_state(result.model) if verdict.kept else None,
                metrics,
                actor=actor,
                base_model_id=base_model.BASE_MODEL_ID,
                activate=activate and verdict.kept,
            )
        except Exception as exc:
            writer.append(
                _event(
                    service,
                    actor,
                    "training_finished",
                    outcome="error",
                    doctor_id=doctor_id,
                    error=type(exc).__name__,
                )
            )
            log.error("training for a doctor failed: %s", type(exc).__name__)  # the type only: no text can leak
            raise
        checkpoints.clear()
        shutil.rmtree(run_dir, ignore_errors=True)
    return {
        "doctor_id": doctor_id,
        "adapter_id": record.adapter_id,
        "kept": record.kept,
        "active": record.is_active,
        "verdict": "kept" if record.kept else "rejected",
        **{k: v for k, v in record.metrics.items() if k != "kept"},
    }


def _event(service: str, actor: Actor, action: str, *, outcome: str = "success", **details: Any) -> audit.AuditEvent:
    return actor.event(service, action, RESOURCE_TYPE, None, outcome=outcome, **details)
