"""Doctors' adapters: one `model_adapters` row per training run, the kept ones' weights encrypted at rest, and which
one is active.

Theory of operation:
- Every training run leaves a row, so `intelluxe personalize adapters DOCTOR` shows what was tried and why it was
  or was not kept. A kept run has `model_path` (relative to $INTELLUXE_HOME, so a moved home or a container's mount
  still finds it); a run the gate rejected has `model_path` NULL and nothing on disk. `performance_metrics` holds
  the figures (perplexities, samples, steps, tokens, seconds), the gate and the reasons, and the `config` a loader
  needs to rebuild the PeftModel (`TrainingConfig.from_json(record.metrics["config"])`).
- The weights are the LoRA matrices as safetensors bytes, Fernet-encrypted under the master key (an adapter can
  remember what it was trained on), in `adapters/<sha256(doctor)[:16]>/<adapter_id>.safetensors.enc` — the
  doctor's id is hashed so a directory listing names nobody. The file is written to a temporary name with mode
  0600, fsynced, renamed, and its directory fsynced *before* the row commits: a committed row always has its file.
  If the commit fails the file is removed again.
- Activation is one transaction under a per-doctor advisory lock: the active one is cleared, the new one set (the
  partial unique index `uq_model_adapters_one_active` makes two actives impossible whatever the code does), a row
  appended to `model_adapter_activations` and the audit row written. Rollback makes the adapter active *before* the
  current one active again. That history is a small append-only table (postgres/init/11-adapters.sql) rather than
  a list inside `performance_metrics`: a list there would be rewritten in place on every change, spread over
  several adapters' rows, and lose its order the moment two rows were updated in one transaction; an append-only
  log is the audit trail's shape and replays into the stack (`activate` pushes, `rollback` pops) whose top is the
  active adapter. Rolling back the only one leaves none active: the base model.
- Audit rows (`adapter_activated`, `adapter_rolled_back`, and `training_finished` / `training_rejected` written
  with the run's row) carry ids and figures only — never text.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg2.extensions

from core import audit
from core.training.data_collector import Actor, check_doctor_id
from core.training.lora import Cipher

if TYPE_CHECKING:
    import torch

    from core.config import Settings
    from core.db import Database

ADAPTER_TYPE = "lora"
RESOURCE_TYPE = "model_adapter"
SUFFIX = ".safetensors.enc"


class AdapterNotFound(LookupError):
    """No adapter with that id (the message names the id only)."""


class AdapterNotKept(ValueError):
    """The gate rejected that run: it has no weights and cannot be made active."""


@dataclass(frozen=True)
class AdapterRecord:
    """One training run of one doctor: kept (weights on disk, can be active) or rejected (figures only)."""

    adapter_id: str
    doctor_id: str
    base_model_id: str
    created_at: datetime
    is_active: bool
    kept: bool
    metrics: dict[str, Any]
    model_path: str | None = field(default=None, compare=False)  # relative to $INTELLUXE_HOME; None when rejected

    def to_json(self) -> dict[str, Any]:
        return {
            "adapter_id": self.adapter_id,
            "doctor_id": self.doctor_id,
            "base_model_id": self.base_model_id,
            "created_at": self.created_at.isoformat(),
            "is_active": self.is_active,
            "kept": self.kept,
            "metrics": self.metrics,
        }


def doctor_dir_name(doctor_id: str) -> str:
    """The directory a doctor's files live in: a hash, so a listing of $INTELLUXE_HOME names no doctor."""
    return hashlib.sha256(doctor_id.encode()).hexdigest()[:16]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """`data` in `path` (mode 0600, directories 0700) atomically and durably: temp file, fsync, rename, fsync dir."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


class AdapterStore:
    """The doctors' adapters: `save` a run, `list` / `active` / `load_state`, `activate` and `rollback`.

    `home` is $INTELLUXE_HOME; `cipher` encrypts the weights (the master key's MultiFernet); `service` names the
    audit rows' service ("cli" for ops, a service's name when one hosts it)."""

    def __init__(self, db: Database, home: Path, cipher: Cipher, *, service: str = "cli") -> None:
        self.db = db
        self.home = Path(home)
        self.cipher = cipher
        self.service = service

    # ------------------------------------------------------------------------------------------------ writing

    def save(
        self,
        doctor_id: str,
        state: dict[str, torch.Tensor] | None,
        metrics: dict[str, Any],
        *,
        actor: Actor,
        base_model_id: str,
        activate: bool = False,
    ) -> AdapterRecord:
        """Record one training run: `state` (the LoRA weights) when the gate kept it, None when it rejected it.
        A kept run's file is durable before its row commits; with `activate` it becomes the active adapter in the
        same transaction. The audit row is `training_finished` (kept) or `training_rejected`, with the figures."""
        check_doctor_id(doctor_id)
        if activate and state is None:
            raise AdapterNotKept("a rejected run cannot be activated")
        adapter_id = str(uuid.uuid4())
        kept = state is not None
        metrics = {**metrics, "kept": kept}
        relative: str | None = None
        path: Path | None = None
        if state is not None:
            from safetensors.torch import save as to_safetensors

            relative = f"adapters/{doctor_dir_name(doctor_id)}/{adapter_id}{SUFFIX}"
            path = self.home / relative
            plain = to_safetensors({k: v.detach().contiguous() for k, v in state.items()})
            write_private(path, self.cipher.encrypt(plain))

        def work(cur: psycopg2.extensions.cursor) -> dict[str, Any]:
            self._lock(cur, doctor_id)
            cur.execute(
                """
                INSERT INTO model_adapters (adapter_id, user_id, base_model_id, adapter_type, model_path,
                                            performance_metrics)
                VALUES (%s, %s, %s, %s, %s, %s)
                RETURNING adapter_id, user_id, base_model_id, model_path, performance_metrics, created_at, is_active
                """,
                (adapter_id, doctor_id, base_model_id, ADAPTER_TYPE, relative, json.dumps(metrics)),
            )
            row = cur.fetchone()
            audit.append_in(
                cur,
                self._event(
                    actor,
                    "training_finished" if kept else "training_rejected",
                    adapter_id,
                    doctor_id=doctor_id,
                    **_audit_figures(metrics),
                ),
            )
            if activate:
                row = self._activate_in(cur, row, actor)
            return row

        try:
            row = self.db.run(work)
        except BaseException:
            if path is not None:
                path.unlink(missing_ok=True)
            raise
        return _record(row)

    def activate(self, adapter_id: str, *, actor: Actor) -> AdapterRecord:
        """Make `adapter_id` its doctor's active adapter (atomically; audited). Activating the active one changes
        nothing. AdapterNotFound / AdapterNotKept for an unknown id or a rejected run."""
        found = self._get(adapter_id)
        if found is None:
            raise AdapterNotFound(f"no adapter {adapter_id!r}")

        def work(cur: psycopg2.extensions.cursor) -> dict[str, Any]:
            self._lock(cur, found.doctor_id)
            cur.execute(f"SELECT {_COLUMNS} FROM model_adapters WHERE adapter_id = %s", (adapter_id,))  # noqa: S608
            return self._activate_in(cur, cur.fetchone(), actor)

        return _record(self.db.run(work))

    def rollback(self, doctor_id: str, *, actor: Actor) -> AdapterRecord | None:
        """Make the adapter active before the current one active again; None when there was none before (the
        doctor's notes then use the base model). Audited; a doctor with nothing active is left as they are."""
        check_doctor_id(doctor_id)

        def work(cur: psycopg2.extensions.cursor) -> dict[str, Any] | None:
            self._lock(cur, doctor_id)
            cur.execute(
                f"SELECT {_COLUMNS} FROM model_adapters WHERE user_id = %s AND is_active",  # noqa: S608
                (doctor_id,),
            )
            current = cur.fetchone()
            stack = self._stack(cur, doctor_id)
            if current is None:
                return None
            # The rollback row pops the top when the history is replayed; its top is the current adapter (the
            # history is written in the same transactions as is_active), so what is left on top was active before.
            if stack:
                stack.pop()
            previous = stack[-1] if stack else None
            cur.execute("UPDATE model_adapters SET is_active = false WHERE adapter_id = %s", (current["adapter_id"],))
            row = None
            if previous is not None:
                cur.execute(
                    f"UPDATE model_adapters SET is_active = true WHERE adapter_id = %s RETURNING {_COLUMNS}",  # noqa: S608
                    (previous,),
                )
                row = cur.fetchone()
            cur.execute(
                "INSERT INTO model_adapter_activations (user_id, adapter_id, action, actor) VALUES (%s, NULL, %s, %s)",
                (doctor_id, "rollback", actor.user_id),
            )
            audit.append_in(
                cur,
                self._event(
                    actor,
                    "adapter_rolled_back",
                    current["adapter_id"],
                    doctor_id=doctor_id,
                    now_active=previous,
                ),
            )
            return row

        row = self.db.run(work)
        return _record(row) if row is not None else None

    # ------------------------------------------------------------------------------------------------ reading

    def active(self, doctor_id: str) -> AdapterRecord | None:
        """The doctor's active adapter, or None (the base model)."""
        row = self.db.fetchone(
            f"SELECT {_COLUMNS} FROM model_adapters WHERE user_id = %s AND is_active",  # noqa: S608
            (doctor_id,),
        )
        return _record(row) if row else None

    def list(self, doctor_id: str) -> list[AdapterRecord]:
        """Every training run of the doctor, kept or rejected, newest first."""
        check_doctor_id(doctor_id)
        rows = self.db.fetchall(
            f"SELECT {_COLUMNS} FROM model_adapters WHERE user_id = %s "  # noqa: S608
            "ORDER BY created_at DESC, adapter_id DESC",
            (doctor_id,),
        )
        return [_record(r) for r in rows]

    def get(self, adapter_id: str) -> AdapterRecord | None:
        return self._get(adapter_id)

    def path_of(self, record: AdapterRecord) -> Path:
        if record.model_path is None:
            raise AdapterNotKept(f"adapter {record.adapter_id} was rejected by the gate and has no weights")
        path = Path(record.model_path)
        return path if path.is_absolute() else self.home / path

    def load_state(self, record: AdapterRecord) -> dict[str, torch.Tensor]:
        """The adapter's LoRA weights, decrypted (cryptography.fernet.InvalidToken under another master key)."""
        from safetensors.torch import load as from_safetensors

        return from_safetensors(self.cipher.decrypt(self.path_of(record).read_bytes()))

    # ------------------------------------------------------------------------------------------------ helpers

    def _get(self, adapter_id: str) -> AdapterRecord | None:
        if not isinstance(adapter_id, str) or not adapter_id or len(adapter_id) > 255:
            return None
        row = self.db.fetchone(f"SELECT {_COLUMNS} FROM model_adapters WHERE adapter_id = %s", (adapter_id,))  # noqa: S608
        return _record(row) if row else None

    def _activate_in(self, cur: psycopg2.extensions.cursor, row: dict[str, Any], actor: Actor) -> dict[str, Any]:
        """Inside the caller's transaction (the doctor's lock held): `row`'s adapter becomes the active one."""
        if row["model_path"] is None:
            raise AdapterNotKept(f"adapter {row['adapter_id']} was rejected by the gate and has no weights")
        if row["is_active"]:
            return row
        doctor_id = row["user_id"]
        cur.execute(
            "UPDATE model_adapters SET is_active = false WHERE user_id = %s AND is_active RETURNING adapter_id",
            (doctor_id,),
        )
        before = cur.fetchone()
        cur.execute(
            f"UPDATE model_adapters SET is_active = true WHERE adapter_id = %s RETURNING {_COLUMNS}",  # noqa: S608
            (row["adapter_id"],),
        )
        row = cur.fetchone()
        cur.execute(
            "INSERT INTO model_adapter_activations (user_id, adapter_id, action, actor) VALUES (%s, %s, %s, %s)",
            (doctor_id, row["adapter_id"], "activate", actor.user_id),
        )
        audit.append_in(
            cur,
            self._event(
                actor,
                "adapter_activated",
                row["adapter_id"],
                doctor_id=doctor_id,
                replaced=before["adapter_id"] if before else None,
            ),
        )
        return row

    @staticmethod
    def _stack(cur: psycopg2.extensions.cursor, doctor_id: str) -> list[str]:
        """The doctor's activation history replayed: `activate` pushes, `rollback` pops."""
        cur.execute(
            "SELECT adapter_id, action FROM model_adapter_activations WHERE user_id = %s ORDER BY id",
            (doctor_id,),
        )
        stack: list[str] = []
        for entry in cur.fetchall():
            if entry["action"] == "activate":
                stack.append(entry["adapter_id"])
            elif stack:
                stack.pop()
        return stack

    @staticmethod
    def _lock(cur: psycopg2.extensions.cursor, doctor_id: str) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"model_adapters:{doctor_id}",))

    def _event(self, actor: Actor, action: str, resource_id: str | None, **details: Any) -> audit.AuditEvent:
        return actor.event(self.service, action, RESOURCE_TYPE, resource_id, **details)


_COLUMNS = "adapter_id, user_id, base_model_id, model_path, performance_metrics, created_at, is_active"


def _record(row: dict[str, Any]) -> AdapterRecord:
    return AdapterRecord(
        adapter_id=row["adapter_id"],
        doctor_id=row["user_id"],
        base_model_id=row["base_model_id"],
        created_at=row["created_at"],
        is_active=bool(row["is_active"]),
        kept=row["model_path"] is not None,
        metrics=dict(row["performance_metrics"] or {}),
        model_path=row["model_path"],
    )


def _audit_figures(metrics: dict[str, Any]) -> dict[str, Any]:
    """What of a run's metrics goes in its audit row: numbers, the verdict and reasons (which quote figures only)."""
    keys = ("perplexities", "samples", "steps", "tokens", "seconds", "kept", "reasons")
    return {k: metrics[k] for k in keys if k in metrics}


def adapter_store(settings: Settings, db: Database, *, service: str = "cli", create_key: bool = False) -> AdapterStore:
    """The store under $INTELLUXE_HOME with the master key's cipher (`create_key`: make the key file on first use,
    as the CLI does; a service never makes one)."""
    from core.keys import master_fernet

    return AdapterStore(db, settings.home, master_fernet(settings, create=create_key), service=service)
