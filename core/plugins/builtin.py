"""The suite's own plugins, declared through the `intelluxe.plugins` entry points in pyproject.toml like any
clinic's plugin: the registry treats them no differently.

Declaring imports nothing heavy: `whisper_local`'s factory loads faster-whisper (and the model) only when the
router first asks for the transcriber, so `intelluxe router check` runs without numpy or the model installed.
"""

from __future__ import annotations

from typing import Any

from core.plugins import Plugin

VERSION = "1.0"


def _whisper_local() -> Any:
    """The process's one local Whisper engine, as the audio-receiver creates it (`shared_engine`: faster-whisper
    with the bundled tiny.en, or what WHISPER_BACKEND / WHISPER_MODEL choose; all of them run on this machine)."""
    from core.transcription import shared_engine

    return shared_engine()


def _basic_formatter() -> Any:
    from core.processors import BasicFormatter

    return BasicFormatter()


def _medical_formatter() -> Any:
    from core.processors import MedicalFormatter

    return MedicalFormatter()


WHISPER_LOCAL = Plugin(
    name="whisper_local",
    kind="transcriber",
    version=VERSION,
    capabilities={"local": True, "languages": ("en",)},
    factory=_whisper_local,
    summary="Whisper on this machine (faster-whisper, bundled tiny.en by default): today's dictation pipeline",
)
BASIC_FORMATTER = Plugin(
    name="basic_formatter",
    kind="processor",
    version=VERSION,
    capabilities={"local": True, "model": False},
    factory=_basic_formatter,
    summary="clinical spoken numbers as digits, punctuation, sentence case",
)
MEDICAL_FORMATTER = Plugin(
    name="medical_formatter",
    kind="processor",
    version=VERSION,
    capabilities={"local": True, "model": False},
    factory=_medical_formatter,
    summary="a dictation into SOAP sections by its spoken cues, each section through basic_formatter",
)
