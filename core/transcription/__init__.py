"""Local dictation transcription: engine, streaming VAD, the sans-I/O session protocol and a bounded worker pool.

The websocket server (audio-receiver) is a thin layer over these: `DictationSession` decides what a message means
and what to send back, `SpeechSegmenter` cuts audio at pauses, `TranscriptionPool` runs the shared engine with
back-pressure. The wire protocol is documented in protocol.md beside this file.

Nothing here imports faster-whisper until an engine or a Silero VAD is created, so the protocol can be used and
tested without the model installed.
"""

from __future__ import annotations

from core.transcription.engine import (
    AudioContext,
    EngineUnavailableError,
    Segment,
    TranscriptionEngine,
    prompt_from_vocabulary,
    vocabulary_prompt,
)
from core.transcription.messages import (
    ERRORS,
    Done,
    Error,
    ErrorKind,
    Event,
    Final,
    LocalProtocolError,
    Partial,
    RemoteProtocolError,
    SessionCounters,
    SessionOutput,
    State,
    TranscriptionJob,
)
from core.transcription.pool import HIGH, LOW, PoolBusyError, PoolClosedError, TranscriptionPool
from core.transcription.session import DictationSession
from core.transcription.vad import SileroSpeechProbability, SpeechSegment, SpeechSegmenter, VadConfig
from core.transcription.whisper_engines import FasterWhisperEngine, OpenAIWhisperEngine, load_engine, shared_engine

__all__ = [
    "ERRORS",
    "HIGH",
    "LOW",
    "AudioContext",
    "DictationSession",
    "Done",
    "EngineUnavailableError",
    "Error",
    "ErrorKind",
    "Event",
    "FasterWhisperEngine",
    "Final",
    "LocalProtocolError",
    "OpenAIWhisperEngine",
    "Partial",
    "PoolBusyError",
    "PoolClosedError",
    "RemoteProtocolError",
    "Segment",
    "SessionCounters",
    "SessionOutput",
    "SileroSpeechProbability",
    "SpeechSegment",
    "SpeechSegmenter",
    "State",
    "TranscriptionEngine",
    "TranscriptionJob",
    "TranscriptionPool",
    "VadConfig",
    "load_engine",
    "prompt_from_vocabulary",
    "shared_engine",
    "vocabulary_prompt",
]
