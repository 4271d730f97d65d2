"""What the receiver writes to the database: one audit row per session, one per refused connection, and — only
when configured — the session's transcript, encrypted under the master key.

Why the row is written before `done` is sent: `done` tells the client that everything about the session is on
record; a transcript that is stored must be durable before the doctor is told the dictation is complete. The audit
row and the transcript commit in one transaction, so neither exists without the other.

Never in a row: text, audio, keys or tokens. The details hold sizes, counts, seconds and codes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import MultiFernet

from core import audit, transcripts
from core.db import Database
from core.transcription import Final

SERVICE = "audio-receiver"


@dataclass
class SessionRecord:
    """One websocket session as the audit trail sees it."""

    doctor_id: str
    token_name: str
    client_ip: str | None
    session_id: uuid.UUID = field(default_factory=uuid.uuid4)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finals: list[Final] = field(default_factory=list)

    def event(self, outcome: str, details: dict[str, Any], ended_at: datetime) -> audit.AuditEvent:
        return audit.AuditEvent(
            service=SERVICE,
            user_id=self.doctor_id,
            actor_role="clinician",
            action="dictation.session",
            resource_type="dictation_session",
            resource_id=str(self.session_id),
            outcome=outcome,
            client_ip=self.client_ip,
            request_id=str(self.session_id),
            details={
                "token": self.token_name,
                "started_at": self.started_at.isoformat(),
                "ended_at": ended_at.isoformat(),
                "wall_seconds": round((ended_at - self.started_at).total_seconds(), 3),
                **details,
            },
        )


class Recorder:
    """Writes session and refusal rows; holds the master key only to encrypt stored transcripts."""

    def __init__(self, db: Database, writer: audit.AuditWriter, master: MultiFernet, *, store_transcripts: bool):
        self.db = db
        self.writer = writer
        self.master = master
        self.store_transcripts = store_transcripts

    def session_ended(self, record: SessionRecord, outcome: str, details: dict[str, Any]) -> None:
        """Blocking (call it in a thread): the session's audit row, and its transcript when configured."""
        ended_at = datetime.now(UTC)
        store = self.store_transcripts and any(f.text for f in record.finals)
        event = record.event(outcome, {**details, "transcript_stored": store}, ended_at)
        if not store:
            self.writer.append(event)
            return
        segments = [
            transcripts.TranscriptSegment(f.segment_id, round(f.start, 3), round(f.end, 3), f.text)
            for f in record.finals
            if f.text
        ]

        def write(cur) -> None:  # noqa: ANN001 - a psycopg2 cursor
            transcripts.store_in(
                cur,
                self.master,
                session_id=record.session_id,
                doctor_id=record.doctor_id,
                started_at=record.started_at,
                ended_at=ended_at,
                audio_seconds=details.get("audio_seconds", 0.0),
                segments=segments,
            )
            audit.append_in(cur, event)

        self.db.run(write)

    def refused(
        self,
        *,
        reason: str,
        http_status: int,
        client_ip: str | None,
        user_id: str | None = None,
        role: str | None = None,
    ) -> None:
        """Blocking: a connection refused before the upgrade (bad token, not a doctor, revoked, server full)."""
        self.writer.append(
            audit.AuditEvent(
                service=SERVICE,
                user_id=user_id or "anonymous",
                actor_role=role,
                action="dictation.connect",
                resource_type="dictation_session",
                outcome="denied" if http_status in (401, 403) else "error",
                http_status=http_status,
                client_ip=client_ip,
                details={"reason": reason},
            )
        )
