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


def _whisper_greedy() -> Any:
    from core.transcription import shared_engine
    from core.transcription.variants import GreedyVariant

    return GreedyVariant(shared_engine())


def _whisper_fp32() -> Any:
    """The same model loaded a second time with float32 arithmetic (another ~150 MB): int8 rounding errs elsewhere."""
    from core.transcription import FasterWhisperEngine
    from core.transcription.settings import TranscriptionSettings

    return FasterWhisperEngine(compute_type="float32", settings=TranscriptionSettings.from_env())


def _whisper_slow() -> Any:
    from core.transcription import shared_engine
    from core.transcription.variants import SpeedVariant

    return SpeedVariant(shared_engine(), 0.9)


def _whisper_fast() -> Any:
    from core.transcription import shared_engine
    from core.transcription.variants import SpeedVariant

    return SpeedVariant(shared_engine(), 1.1)


def _basic_formatter() -> Any:
    from core.processors import BasicFormatter

    return BasicFormatter()


def _medical_formatter() -> Any:
    from core.processors import MedicalFormatter

    return MedicalFormatter()


def _personal_formatter() -> Any:
    """Cheap to make: the models load on the first note, the adapter store on the first note with a doctor id."""
    from core.processors.personal_note import PersonalFormatter

    return PersonalFormatter()


WHISPER_LOCAL = Plugin(
    name="whisper_local",
    kind="transcriber",
    version=VERSION,
    capabilities={"local": True, "languages": ("en",)},
    factory=_whisper_local,
    summary="Whisper on this machine (faster-whisper, bundled tiny.en by default): today's dictation pipeline",
)
# Voters for majority voting (core.transcription.variants says why these): the same model, decoded differently.
WHISPER_GREEDY = Plugin(
    name="whisper_greedy",
    kind="transcriber",
    version=VERSION,
    capabilities={"local": True, "languages": ("en",)},
    factory=_whisper_greedy,
    summary="whisper_local's model with greedy search and no preceding context",
)
WHISPER_FP32 = Plugin(
    name="whisper_fp32",
    kind="transcriber",
    version=VERSION,
    capabilities={"local": True, "languages": ("en",)},
    factory=_whisper_fp32,
    summary="whisper_local's model in float32 (a second copy in memory), beam search",
)
WHISPER_SLOW = Plugin(
    name="whisper_slow",
    kind="transcriber",
    version=VERSION,
    capabilities={"local": True, "languages": ("en",)},
    factory=_whisper_slow,
    summary="whisper_local on the audio played 10 % slower",
)
WHISPER_FAST = Plugin(
    name="whisper_fast",
    kind="transcriber",
    version=VERSION,
    capabilities={"local": True, "languages": ("en",)},
    factory=_whisper_fast,
    summary="whisper_local on the audio played 10 % faster",
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
PERSONAL_FORMATTER = Plugin(
    name="personal_formatter",
    kind="processor",
    version=VERSION,
    capabilities={"local": True, "model": True},
    factory=_personal_formatter,
    summary="a dictation as a note in the doctor's own form: their active adapter, else the base model, else "
    "medical_formatter",
)
