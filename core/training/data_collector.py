"""A doctor's writing samples for personalization: de-identified before they are stored, counted towards readiness.

Theory of operation:
- A sample is a doctor's finalised text — a note, a letter, a summary, or the corrected version of a dictation
  (`CONTENT_TYPES`). It is checked for shape (type, size, at least `MIN_WORDS` words), then de-identified with
  core.phi: every finding is replaced by a consistent surrogate under a key made for this sample alone and never
  kept ("John Smith" … "Mr. Smith's" keep one stand-in inside the sample; the same patient in two samples gets two
  unrelated ones, so samples cannot be linked to each other through their stand-ins; dates shift by one offset per
  sample, so intervals inside it survive). Every place type is redacted whatever compliance.yml `phi_keep` says:
  an adapter can remember what it was trained on.
- The detector then runs again over the result. What it finds inside a stand-in it put there is its own (a
  surrogate name is a name); anything else — an identifier the redaction exposed or a stand-in that merged with a
  neighbour into something identifying — refuses the sample (`SampleRefused`, naming the categories only).
- The raw text is never stored, logged, audited nor put in an error message. The table holds the de-identified text
  and, in `metadata`, its size and how many identifiers of each type were replaced.
- Store and delete each commit with their audit row in one transaction (`core.audit.append_in`), under a per-doctor
  advisory lock so the count that decides readiness is exact; at `min_samples` (the plan's 50) the doctor's
  'personalization' preference gets `training_ready: true`, and loses it again when deletions take them below.
  A sample refused for PHI is audited through the `AuditWriter` (there is no business write to join).
"""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg2.extensions

from core import audit
from core.db import Database
from core.enrollment import DOCTOR_ID
from core.phi import Finding, detect, redact_with_spans

CONTENT_TYPES = ("note", "letter", "summary", "corrected_dictation")
MIN_SAMPLES_FOR_TRAINING = 50  # the plan's threshold
MIN_WORDS = 20  # below this a sample shows too little of how a doctor writes to be worth training on
MAX_CHARACTERS = 50_000  # a long discharge summary is ~20 k characters; beyond this it is not one sample
RESOURCE_TYPE = "writing_sample"
PREFERENCE_TYPE = "personalization"
# The preference that lets the receiver keep a doctor's corrected dictations as `corrected_dictation` samples.
FEED_CORRECTIONS = "feed_corrections"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")

Detector = Callable[[str], list[Finding]]


class InvalidSample(ValueError):
    """The sample does not have the shape asked for; `field` names what is wrong, the message never quotes it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class SampleRefused(Exception):
    """The detector still finds identifiers after de-identification: nothing is stored. `categories` names their
    types (never the text)."""

    def __init__(self, categories: tuple[str, ...]) -> None:
        self.categories = categories
        self.message = (
            f"the sample still holds identifiers after de-identification ({', '.join(categories)}); "
            "remove them and submit it again"
        )
        super().__init__(self.message)


@dataclass(frozen=True)
class Actor:
    """Who asks, as the audit row names them: a token's name and role with the request, or `cli:<login>`."""

    user_id: str
    role: str | None = None
    client_ip: str | None = None
    request_id: str | None = None

    def event(
        self,
        service: str,
        action: str,
        resource_type: str,
        resource_id: str | None,
        *,
        outcome: str = "success",
        **details: Any,
    ) -> audit.AuditEvent:
        """The audit row of this actor doing `action` (samples, preferences, training runs and adapters alike)."""
        return audit.AuditEvent(
            service=service,
            user_id=self.user_id,
            actor_role=self.role,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            outcome=outcome,
            client_ip=self.client_ip,
            request_id=self.request_id,
            details=details,
        )


@dataclass(frozen=True)
class Deidentified:
    text: str
    redactions: dict[str, int]
    residual: tuple[str, ...]  # types the second scan found outside the stand-ins


@dataclass(frozen=True)
class SampleInfo:
    """A stored sample as a list shows it: ids, type, sizes, time — no text."""

    sample_id: str
    user_id: str
    content_type: str
    characters: int
    words: int
    redactions: dict[str, int]
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "sample_id": self.sample_id,
            "doctor_id": self.user_id,
            "content_type": self.content_type,
            "characters": self.characters,
            "words": self.words,
            "redactions": self.redactions,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class StoredSample:
    info: SampleInfo
    text: str  # the de-identified text, as stored
    readiness: dict[str, Any] = field(default_factory=dict)


def deidentify(text: str, *, detector: Detector = detect, key: bytes | None = None) -> Deidentified:
    """`text` with every identifier replaced by a surrogate consistent within it (a fresh key per call unless one
    is given), the count per type, and what a second scan of the result still finds outside the stand-ins."""
    findings = detector(text)
    redacted, spans = redact_with_spans(text, findings, surrogate=True, key=key or secrets.token_bytes(32))
    residual = sorted(
        {f.type for f in detector(redacted) if not any(start <= f.start and f.end <= end for start, end, _ in spans)}
    )
    return Deidentified(redacted, dict(sorted(Counter(f.type for f in findings).items())), tuple(residual))


def check_doctor_id(doctor_id: str) -> None:
    if not isinstance(doctor_id, str) or not DOCTOR_ID.match(doctor_id):
        raise InvalidSample("doctor_id", "lowercase letters, digits, '_', '.' or '-', at most 128, e.g. dr-smith")


def check_sample(content: str, content_type: str) -> str:
    """The text stripped, or InvalidSample naming the field: an unknown type, empty, too short or too long."""
    if content_type not in CONTENT_TYPES:
        raise InvalidSample("content_type", f"one of {', '.join(CONTENT_TYPES)}")
    if not isinstance(content, str) or not content.strip():
        raise InvalidSample("text", "the sample is empty")
    text = content.strip()
    if "\x00" in text:
        raise InvalidSample("text", "must not contain a NUL character")
    if len(text) > MAX_CHARACTERS:
        raise InvalidSample("text", f"at most {MAX_CHARACTERS} characters")
    if len(text.split()) < MIN_WORDS:
        raise InvalidSample("text", f"too short: a sample needs at least {MIN_WORDS} words")
    return text


class TrainingDataCollector:
    """Collect, list and delete a doctor's de-identified writing samples and say when there are enough to train.

    `service` is the audit rows' service ("compliance" for the API, "cli" for ops); `detector` is core.phi's unless
    a test gives another.
    """

    def __init__(
        self,
        db: Database,
        audit_writer: audit.AuditWriter,
        *,
        service: str = "cli",
        min_samples_for_training: int = MIN_SAMPLES_FOR_TRAINING,
        detector: Detector = detect,
    ) -> None:
        self.db = db
        self.audit_writer = audit_writer
        self.service = service
        self.min_samples_for_training = min_samples_for_training
        self.detector = detector

    # ------------------------------------------------------------------------------------------------ writing

    def collect_writing_sample(
        self,
        user_id: str,
        content: str,
        content_type: str,
        metadata: Mapping[str, int | float | bool] | None = None,
        *,
        actor: Actor,
    ) -> StoredSample:
        """De-identify and store one sample (durable and audited when this returns); InvalidSample for a bad shape,
        SampleRefused when identifiers remain after de-identification. `metadata` takes numbers and flags only
        (a string could carry PHI past the detector)."""
        check_doctor_id(user_id)
        text = check_sample(content, content_type)
        extra = dict(metadata or {})
        for key, value in extra.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key) or not isinstance(value, int | float | bool):
                raise InvalidSample("metadata", "keys are lowercase words; values are numbers or true/false")
        clean = deidentify(text, detector=self.detector)
        if clean.residual:
            self.audit_writer.append(
                self._event(
                    actor,
                    "store",
                    None,
                    outcome="failure",
                    doctor_id=user_id,
                    content_type=content_type,
                    reason="phi_after_deidentification",
                    categories=list(clean.residual),
                )
            )
            raise SampleRefused(clean.residual)
        words = len(clean.text.split())
        stored_meta = {"characters": len(clean.text), "words": words, "redactions": clean.redactions}
        if extra:
            stored_meta["caller"] = extra

        def work(cur: psycopg2.extensions.cursor) -> tuple[dict[str, Any], dict[str, Any]]:
            self._lock(cur, user_id)
            cur.execute(
                """
                INSERT INTO user_writing_samples (user_id, content, content_type, metadata)
                VALUES (%s, %s, %s, %s) RETURNING sample_id, created_at
                """,
                (user_id, clean.text, content_type, json.dumps(stored_meta)),
            )
            row = cur.fetchone()
            readiness = self._count_and_mark(cur, user_id)
            audit.append_in(
                cur,
                self._event(
                    actor,
                    "store",
                    str(row["sample_id"]),
                    doctor_id=user_id,
                    content_type=content_type,
                    characters=len(clean.text),
                    words=words,
                    redactions=clean.redactions,
                    samples_collected=readiness["samples_collected"],
                ),
            )
            return row, readiness

        row, readiness = self.db.run(work)
        info = SampleInfo(
            str(row["sample_id"]), user_id, content_type, len(clean.text), words, clean.redactions, row["created_at"]
        )
        return StoredSample(info, clean.text, readiness)

    def delete_sample(self, sample_id: str, *, actor: Actor, doctor_id: str | None = None) -> SampleInfo | None:
        """Delete one sample (with its audit row, in one transaction); None when there is no such sample (or it is
        not `doctor_id`'s, when given). Readiness is recounted: below the threshold `training_ready` is false."""
        if not _UUID.match(sample_id or ""):
            return None
        owner = self.db.fetchone("SELECT user_id FROM user_writing_samples WHERE sample_id = %s", (sample_id,))
        if owner is None or (doctor_id is not None and owner["user_id"] != doctor_id):
            return None
        user_id = owner["user_id"]

        def work(cur: psycopg2.extensions.cursor) -> SampleInfo | None:
            self._lock(cur, user_id)
            cur.execute(
                """
                DELETE FROM user_writing_samples WHERE sample_id = %s AND user_id = %s
                RETURNING sample_id, user_id, content_type, metadata, created_at
                """,
                (sample_id, user_id),
            )
            row = cur.fetchone()
            if row is None:  # deleted by someone else meanwhile
                return None
            readiness = self._count_and_mark(cur, user_id)
            audit.append_in(
                cur,
                self._event(
                    actor,
                    "delete",
                    sample_id,
                    doctor_id=user_id,
                    content_type=row["content_type"],
                    samples_collected=readiness["samples_collected"],
                ),
            )
            return _info(row)

        return self.db.run(work)

    # ------------------------------------------------------------------------------------------------ reading

    def get_training_readiness(self, user_id: str) -> dict[str, Any]:
        """The plan's readiness: samples_collected, samples_needed, ready_for_training, completion_percentage."""
        check_doctor_id(user_id)
        row = self.db.fetchone("SELECT count(*) AS n FROM user_writing_samples WHERE user_id = %s", (user_id,))
        return self._readiness(user_id, row["n"] if row else 0)

    def list_samples(self, user_id: str, *, limit: int = 1000) -> list[SampleInfo]:
        """The doctor's samples, newest first: ids, types, sizes and times — never the text."""
        check_doctor_id(user_id)
        rows = self.db.fetchall(
            """
            SELECT sample_id, user_id, content_type, metadata, created_at FROM user_writing_samples
            WHERE user_id = %s ORDER BY created_at DESC, sample_id LIMIT %s
            """,
            (user_id, limit),
        )
        return [_info(r) for r in rows]

    def is_marked_ready(self, user_id: str) -> bool:
        """What user_preferences ('personalization') says: `training_ready`."""
        row = self.db.fetchone(
            "SELECT preference_data FROM user_preferences WHERE user_id = %s AND preference_type = %s",
            (user_id, PREFERENCE_TYPE),
        )
        return bool(row and row["preference_data"].get("training_ready"))

    def feeds_corrections(self, user_id: str) -> bool:
        """Whether the doctor chose to have their corrected dictations kept as samples (off unless they opt in)."""
        row = self.db.fetchone(
            "SELECT preference_data FROM user_preferences WHERE user_id = %s AND preference_type = %s",
            (user_id, PREFERENCE_TYPE),
        )
        return bool(row and row["preference_data"].get(FEED_CORRECTIONS) is True)

    def set_feed_corrections(self, user_id: str, on: bool, *, actor: Actor) -> None:
        """Opt the doctor in or out of corrected dictations becoming samples; audited in the same transaction.
        Samples already stored stay until deleted: opting out stops new ones."""
        check_doctor_id(user_id)

        def work(cur: psycopg2.extensions.cursor) -> None:
            cur.execute(
                """
                INSERT INTO user_preferences (user_id, preference_type, preference_data) VALUES (%s, %s, %s)
                ON CONFLICT (user_id, preference_type) DO UPDATE
                SET preference_data = user_preferences.preference_data || EXCLUDED.preference_data, updated_at = now()
                """,
                (user_id, PREFERENCE_TYPE, json.dumps({FEED_CORRECTIONS: on})),
            )
            audit.append_in(cur, self._event(actor, "opt_in" if on else "opt_out", None, doctor_id=user_id))

        self.db.run(work)

    # ------------------------------------------------------------------------------------------------ helpers

    def _readiness(self, user_id: str, count: int) -> dict[str, Any]:
        needed = self.min_samples_for_training
        return {
            "user_id": user_id,
            "samples_collected": count,
            "samples_needed": needed,
            "ready_for_training": count >= needed,
            "completion_percentage": round(min(100.0, count / needed * 100), 1),
        }

    @staticmethod
    def _lock(cur: psycopg2.extensions.cursor, user_id: str) -> None:
        """One writer per doctor at a time, so two samples arriving together both count."""
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"writing_samples:{user_id}",))

    def _count_and_mark(self, cur: psycopg2.extensions.cursor, user_id: str) -> dict[str, Any]:
        cur.execute("SELECT count(*) AS n FROM user_writing_samples WHERE user_id = %s", (user_id,))
        readiness = self._readiness(user_id, cur.fetchone()["n"])
        cur.execute(
            """
            INSERT INTO user_preferences (user_id, preference_type, preference_data) VALUES (%s, %s, %s)
            ON CONFLICT (user_id, preference_type) DO UPDATE
            SET preference_data = user_preferences.preference_data || EXCLUDED.preference_data, updated_at = now()
            """,
            (user_id, PREFERENCE_TYPE, json.dumps({"training_ready": readiness["ready_for_training"]})),
        )
        return readiness

    def _event(
        self, actor: Actor, action: str, resource_id: str | None, *, outcome: str = "success", **details: Any
    ) -> audit.AuditEvent:
        return actor.event(self.service, action, RESOURCE_TYPE, resource_id, outcome=outcome, **details)


def _info(row: Mapping[str, Any]) -> SampleInfo:
    meta = row["metadata"] or {}
    return SampleInfo(
        str(row["sample_id"]),
        row["user_id"],
        row["content_type"],
        int(meta.get("characters", 0)),
        int(meta.get("words", 0)),
        dict(meta.get("redactions", {})),
        row["created_at"],
    )
