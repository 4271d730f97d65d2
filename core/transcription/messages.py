"""The dictation protocol's vocabulary, shared by the session (session.py), the receiver and the client's tests:
error kinds with their close codes, session states, the events the server sends, the transcription work a session
asks for, and the size limits of a frame. No behaviour here beyond turning events into wire messages.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

from core.transcription.engine import SAMPLE_RATE, AudioContext

SEQUENCE_BYTES = 8
NORMAL_CLOSE = 1000


@dataclass(frozen=True)
class ErrorKind:
    """One row of the error table: what the client is told, how the socket closes, what the audit row says."""

    code: str
    close_code: int
    outcome: str  # an audit outcome (core.audit.OUTCOMES)
    fault: str  # "client" or "server"
    meaning: str


# Every way a session ends other than `done`. protocol.md carries the same table for client authors.
ERRORS: dict[str, ErrorKind] = {
    e.code: e
    for e in (
        ErrorKind("unauthorized", 4001, "denied", "client", "no valid credentials (normally refused before upgrade)"),
        ErrorKind(
            "bad_message",
            4400,
            "failure",
            "client",
            "not JSON, unknown type, missing or wrong field, bad "
            "start parameters, a message the session's state does not accept, odd PCM byte count",
        ),
        ErrorKind(
            "wrong_key",
            4403,
            "denied",
            "client",
            "the audio token does not decrypt with this doctor's keys (wrong key, or corrupted/tampered)",
        ),
        ErrorKind(
            "stale",
            4408,
            "denied",
            "client",
            "the audio token is older than the TTL, or from the future beyond the allowed clock skew",
        ),
        ErrorKind(
            "sequence",
            4409,
            "denied",
            "client",
            "sequence number replayed or out of order (must be previous + 1, starting at 1)",
        ),
        ErrorKind("too_large", 4413, "failure", "client", "a message or the session's total audio is over the limit"),
        ErrorKind("idle", 4410, "failure", "client", "no message for longer than the server's idle timeout"),
        ErrorKind("internal", 1011, "error", "server", "transcription failed on the server"),
        ErrorKind("busy", 1013, "error", "server", "the server is overloaded; try again later"),
    )
}


class ProtocolError(Exception):
    """Base of the session's errors; `kind` is the row of ERRORS that applies."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.kind = ERRORS[code]
        self.message = message


class RemoteProtocolError(ProtocolError):
    """The client broke the protocol. Becomes an `error` event and a close code; never raised out of `receive`."""


class LocalProtocolError(RuntimeError):
    """The caller (the server) used the session wrongly — e.g. fed it after it ended. A bug, raised to the caller."""


class State(enum.StrEnum):
    AWAITING_START = "awaiting_start"
    STREAMING = "streaming"
    DRAINING = "draining"
    DONE = "done"
    FAILED = "failed"


# Events: what the server sends. `to_message()` is the JSON object on the wire.
@dataclass(frozen=True)
class Partial:
    """Provisional text of a segment still being spoken; replaces any earlier partial with the same segment_id."""

    type: ClassVar[str] = "partial"
    segment_id: int
    text: str
    start: float
    end: float

    def to_message(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "segment_id": self.segment_id,
            "text": self.text,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
        }


@dataclass(frozen=True)
class Final:
    """The settled text of a segment, sent at a pause (or when a segment reaches the length cap)."""

    type: ClassVar[str] = "final"
    segment_id: int
    text: str
    start: float
    end: float
    confidence: float
    review: bool = False  # confidence under the routing file's reasoning.confidence_threshold: a person should check

    def to_message(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "segment_id": self.segment_id,
            "text": self.text,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "confidence": round(self.confidence, 3),
            "review": self.review,
        }


@dataclass(frozen=True)
class Error:
    """Why the session is ending; the server closes the socket with `close_code` after sending it."""

    type: ClassVar[str] = "error"
    code: str
    close_code: int
    message: str

    def to_message(self) -> dict[str, Any]:
        return {"type": self.type, "code": self.code, "close_code": self.close_code, "message": self.message}


@dataclass(frozen=True)
class Done:
    """Every segment has been sent; `duration` is seconds of audio received, `segments` the finals sent."""

    type: ClassVar[str] = "done"
    duration: float
    segments: int

    def to_message(self) -> dict[str, Any]:
        return {"type": self.type, "duration": round(self.duration, 3), "segments": self.segments}


Event = Partial | Final | Error | Done


@dataclass(frozen=True, eq=False)
class TranscriptionJob:
    """Audio to transcribe for this session: run `engine.transcribe(audio, initial_prompt=..., context=...,
    partial=not final)` and hand the result to `DictationSession.complete`. `final` False is a partial: the server
    may drop it under load (`discard`). A final's `context` is the dictation before it (None for the first)."""

    job_id: int
    segment_id: int
    start: float
    end: float
    final: bool
    audio: Any  # numpy float32, 16 kHz mono
    initial_prompt: str | None
    context: AudioContext | None = None


@dataclass(frozen=True)
class Accuracy:
    """What a doctor's correction of one final says of one transcriber: its word edits against the corrected words.
    Numbers only: the text is neither kept nor logged."""

    plugin: str
    words: int
    errors: int


@dataclass(frozen=True)
class SessionOutput:
    """What to do after one input: send `events` in order, submit `jobs`, then close with `close_code` if set;
    `accuracy` is for the performance tracking (a correction's outcome)."""

    events: tuple[Event, ...] = ()
    jobs: tuple[TranscriptionJob, ...] = ()
    close_code: int | None = None
    accuracy: tuple[Accuracy, ...] = ()

    def messages(self) -> list[dict[str, Any]]:
        return [event.to_message() for event in self.events]


@dataclass(frozen=True)
class SessionCounters:
    """Sizes and counts for the audit row. No text, no audio, no key material."""

    messages: int
    audio_chunks: int
    audio_bytes: int
    audio_seconds: float
    speech_seconds: float
    segments: int
    partials: int
    partials_skipped: int
    jobs: int
    state: str
    outcome: str | None
    error_code: str | None


@dataclass
class _Counters:
    messages: int = 0
    audio_chunks: int = 0
    audio_bytes: int = 0
    speech_seconds: float = 0.0
    segments: int = 0
    partials: int = 0
    partials_skipped: int = 0
    jobs: int = 0
    error_code: str | None = None
    outcome: str | None = None


def fernet_token_length(plaintext_bytes: int) -> int:
    """Characters in a Fernet token for a plaintext of this size (version, time, IV, AES-CBC blocks, HMAC; base64)."""
    padded = (plaintext_bytes // 16 + 1) * 16
    return 4 * -(-(1 + 8 + 16 + padded + 32) // 3)


def message_size_limit(max_chunk_seconds: float = 5.0) -> int:
    """The longest text frame a session accepts: an audio token of the largest chunk plus a little JSON around it.
    A server sets its websocket `max_size` from this."""
    return fernet_token_length(SEQUENCE_BYTES + int(max_chunk_seconds * SAMPLE_RATE) * 2) + 256
