"""Intelluxe dictation client: streams a doctor's microphone to the clinic's server over TLS and shows the text.

The pieces: `load_config` (the enrollment file), audio sources (`WavSource`, `MicrophoneSource`, `list_devices`),
`DictationClient` (the protocol, encryption and reconnects), `TerminalDisplay` and the `intelluxe-dictate` command
(`cli.main`). It does not import the server's packages: it installs alone on a doctor's Windows PC.
"""

from __future__ import annotations

__version__ = "0.1.0"

from intelluxe_audio_client.audio import AudioSource, InputDevice, MicrophoneSource, WavSource, list_devices  # noqa: E402
from intelluxe_audio_client.client import DictationClient, Transcript, TranscriptSegment  # noqa: E402
from intelluxe_audio_client.config import ClientConfig, load_config  # noqa: E402
from intelluxe_audio_client.display import TerminalDisplay  # noqa: E402
from intelluxe_audio_client.errors import (  # noqa: E402
    AudioError,
    CaptureError,
    ClientError,
    ConfigError,
    DictationError,
    GaveUpError,
    RefusedError,
    ServerNotTrustedError,
)

__all__ = [
    "AudioError",
    "AudioSource",
    "CaptureError",
    "ClientConfig",
    "ClientError",
    "ConfigError",
    "DictationClient",
    "DictationError",
    "GaveUpError",
    "InputDevice",
    "MicrophoneSource",
    "RefusedError",
    "ServerNotTrustedError",
    "TerminalDisplay",
    "Transcript",
    "TranscriptSegment",
    "WavSource",
    "__version__",
    "list_devices",
    "load_config",
]
