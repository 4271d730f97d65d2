"""The client's errors, one class per way a dictation can fail, so the command line can map each to an exit code.

`DictationError`s carry the transcript received before the failure: a doctor who dictated for ten minutes keeps
the text of those minutes even when the server then refuses or cannot be reached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intelluxe_audio_client.client import Transcript


class ClientError(Exception):
    """Base of everything this package raises on purpose."""


class ConfigError(ClientError):
    """The config file is missing, unreadable or has a missing or bad field; the message names it."""


class AudioError(ClientError):
    """An audio source cannot be opened or read: a bad WAV file, PyAudio missing, no such microphone."""


class DictationError(ClientError):
    """The dictation ended early. `transcript` holds the finals received until then."""

    def __init__(self, message: str, transcript: Transcript | None = None) -> None:
        super().__init__(message)
        self.transcript = transcript


class RefusedError(DictationError):
    """The server refused the client (its fault: token, key, clock, protocol). Retrying would not help.

    `code` is the protocol's error code (`unauthorized`, `wrong_key`, ...) or `http_<status>` for an HTTP refusal.
    """

    def __init__(self, code: str, message: str, transcript: Transcript | None = None) -> None:
        super().__init__(message, transcript)
        self.code = code


class ServerNotTrustedError(DictationError):
    """The server's TLS certificate does not verify against the clinic CA of the config (or names another host)."""


class GaveUpError(DictationError):
    """The server stayed unreachable (or kept failing) for max_retries reconnect attempts in a row."""


class CaptureError(DictationError):
    """The audio source failed during the dictation (e.g. the microphone was unplugged). What was captured before
    the failure was still transcribed; `transcript` has it."""
