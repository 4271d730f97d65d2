"""Stored dictation transcripts: written by the audio-receiver only when STORE_TRANSCRIPTS is on, read by ops with
`intelluxe transcripts`. The text is PHI, so it exists at rest only as a Fernet token under the master key, and
every read of it is an audit row (who, which session, when) — the listing shows sizes and times, never text.

One definition of the stored form lives here, for the writer and the reader: a JSON list of the session's finals
({segment_id, start, end, text}) sealed with the master key, in table dictation_transcripts (migration 06).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg2.extensions
from cryptography.fernet import InvalidToken, MultiFernet

from core import audit
from core.db import Database


class TranscriptError(Exception):
    """No such transcript, or the master key cannot open it; the message says which."""


@dataclass(frozen=True)
class TranscriptInfo:
    """What a listing shows: no text."""

    session_id: str
    doctor_id: str
    started_at: datetime
    ended_at: datetime
    audio_seconds: Decimal
    segments: int


@dataclass(frozen=True)
class TranscriptSegment:
    segment_id: int
    start: float
    end: float
    text: str


def store_in(
    cur: psycopg2.extensions.cursor,
    master: MultiFernet,
    *,
    session_id: uuid.UUID,
    doctor_id: str,
    started_at: datetime,
    ended_at: datetime,
    audio_seconds: float,
    segments: list[TranscriptSegment],
) -> None:
    """Insert inside the caller's transaction (the receiver commits it with the session's audit row)."""
    sealed = master.encrypt(json.dumps([s.__dict__ for s in segments]).encode()).decode()
    cur.execute(
        "INSERT INTO dictation_transcripts (session_id, doctor_id, started_at, ended_at, audio_seconds, segments, "
        "text_encrypted) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (str(session_id), doctor_id, started_at, ended_at, round(audio_seconds, 3), len(segments), sealed),
    )


def list_transcripts(db: Database, doctor_id: str | None = None, limit: int = 100) -> list[TranscriptInfo]:
    """Newest first; sizes and times only."""
    rows = db.fetchall(
        "SELECT session_id, doctor_id, started_at, ended_at, audio_seconds, segments FROM dictation_transcripts "
        "WHERE %s::text IS NULL OR doctor_id = %s ORDER BY started_at DESC LIMIT %s",
        (doctor_id, doctor_id, limit),
    )
    return [
        TranscriptInfo(
            str(r["session_id"]), r["doctor_id"], r["started_at"], r["ended_at"], r["audio_seconds"], r["segments"]
        )
        for r in rows
    ]


def read(
    db: Database, master: MultiFernet, session_id: str, *, actor: str, service: str = "cli"
) -> list[TranscriptSegment]:
    """The session's finals, after an audit row that records this read (durable before the text is returned)."""
    try:
        key = str(uuid.UUID(session_id))
    except ValueError:
        raise TranscriptError(f"{session_id!r} is not a session id (a UUID)") from None

    def fetch_and_audit(cur: psycopg2.extensions.cursor) -> dict[str, Any] | None:
        cur.execute("SELECT doctor_id, text_encrypted FROM dictation_transcripts WHERE session_id = %s", (key,))
        row = cur.fetchone()
        audit.append_in(
            cur,
            audit.AuditEvent(
                service=service,
                user_id=actor,
                action="dictation.transcript.read",
                resource_type="dictation_transcript",
                resource_id=key,
                outcome="success" if row else "failure",
                details={"found": row is not None},
            ),
        )
        return row

    row = db.run(fetch_and_audit)
    if row is None:
        raise TranscriptError(f"no stored transcript for session {key}")
    try:
        items = json.loads(master.decrypt(row["text_encrypted"].encode()))
    except InvalidToken:
        raise TranscriptError(
            "the master key does not open this transcript (was INTELLUXE_MASTER_KEY changed?)"
        ) from None
    return [TranscriptSegment(int(i["segment_id"]), float(i["start"]), float(i["end"]), str(i["text"])) for i in items]
