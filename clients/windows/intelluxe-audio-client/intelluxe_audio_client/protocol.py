"""The dictation wire protocol as the client sees it (the server's protocol.md is the reference).

Client -> server, text frames of JSON: `start` once, `audio` any number of times, `end` once. An `audio` message's
`data` is a Fernet token over an 8-byte big-endian sequence number (1, 2, 3 ... per connection) followed by 16 kHz
mono s16le PCM. Server -> client: `partial`, `final`, `error`, `done`.

Errors are the client's fault or the server's. The client's (bad token, wrong key, clock, malformed messages) end
the dictation with a message for the doctor: sending the same thing again would be refused again. The server's
(transcription failed, busy) and lost connections are retried with a new session.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

from cryptography.fernet import Fernet

SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2  # s16le mono
MAX_CHUNK_SECONDS = 5.0  # the server refuses chunks over 5 s (160 000 bytes)
MAX_SERVER_SESSION_SECONDS = 3600.0  # and sessions over an hour
SEQUENCE = struct.Struct(">Q")

START = {"type": "start", "sample_rate": SAMPLE_RATE, "format": "s16le", "language": "en"}


def start_message() -> str:
    return json.dumps(START)


def end_message() -> str:
    return json.dumps({"type": "end"})


def audio_message(fernet: Fernet, sequence: int, pcm: bytes) -> str:
    """One `audio` message. Encrypted here, just before it is sent: the server refuses tokens older than its TTL."""
    token = fernet.encrypt(SEQUENCE.pack(sequence) + pcm)
    return json.dumps({"type": "audio", "data": token.decode("ascii")})


@dataclass(frozen=True)
class Refusal:
    """A client-fault error: the close code the server uses and what the doctor is told."""

    code: str
    close_code: int
    advice: str


_REENROLL = "ask the clinic to re-enroll you and install the new config file"
REFUSALS: dict[str, Refusal] = {
    r.code: r
    for r in (
        Refusal("unauthorized", 4001, "the server refused the token: ask the clinic to re-enroll you"),
        Refusal("wrong_key", 4403, f"the server could not decrypt the audio with your key: {_REENROLL}"),
        Refusal(
            "stale",
            4408,
            "the server refused the audio as too old or from the future: check this computer's "
            "clock and time zone (Windows: Settings > Time & language > Date & time > Sync now)",
        ),
        Refusal("sequence", 4409, "the server refused the order of the audio chunks: a client bug, please report it"),
        Refusal("bad_message", 4400, "the server refused a message as malformed: a client bug, please report it"),
        Refusal("too_large", 4413, "the server refused a message or the dictation as too large"),
    )
}
_REFUSAL_BY_CLOSE = {r.close_code: r for r in REFUSALS.values()}
# Server-side failures and lost connections: worth a new session.
SERVER_FAULTS = {"internal": 1011, "busy": 1013}


def refusal_for(code: object, close_code: int | None) -> Refusal | None:
    """The refusal an `error` code or a close code means, or None when the failure is worth retrying.

    An unknown code in 4000-4999 (the application's range, all client faults in protocol.md) is a refusal too.
    """
    if isinstance(code, str) and code in REFUSALS:
        return REFUSALS[code]
    if isinstance(code, str) and code in SERVER_FAULTS:
        return None
    if close_code in _REFUSAL_BY_CLOSE:
        return _REFUSAL_BY_CLOSE[close_code]
    if close_code is not None and 4000 <= close_code <= 4999:
        return Refusal(
            str(code or f"close_{close_code}"), close_code, f"the server refused the dictation ({close_code})"
        )
    return None


def http_refusal(status: int) -> Refusal | None:
    """An HTTP status instead of the websocket upgrade: 401/403 is the token; other 4xx a wrong URL; 5xx, 408 and
    429 are the server's trouble (retry)."""
    if status in (401, 403):
        return Refusal("unauthorized", 4001, REFUSALS["unauthorized"].advice)
    if 400 <= status < 500 and status not in (408, 429):
        return Refusal(f"http_{status}", 0, f"the server answered HTTP {status}: check server_url in the config")
    return None
