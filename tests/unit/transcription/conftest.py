"""Shared pieces for the transcription unit tests: synthetic audio, a fake VAD, Fernet chunk tokens, espeak clips.

The fake VAD scores a window by its loudness, so the segmenter's and the session's rules can be tested exactly and
without faster-whisper; the Silero model is tested separately (and skipped when faster-whisper is missing).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")

from core.transcription.vad import SpeechSegmenter, VadConfig  # noqa: E402 - after the numpy check

ROOT = Path(__file__).resolve().parents[3]
SR = 16000


class EnergyProbability:
    """A stand-in for Silero: a window is speech (0.9) when its RMS is above 0.02, else silence (0.05)."""

    def __init__(self) -> None:
        self.windows_scored = 0
        self.resets = 0

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        self.windows_scored += windows.shape[0]
        rms = np.sqrt(np.mean(windows.astype(np.float64) ** 2, axis=1))
        return np.where(rms > 0.02, 0.9, 0.05).astype(np.float32)

    def reset(self) -> None:
        self.resets += 1


@dataclass
class Signals:
    """Synthetic audio: a tone stands for speech, zeros for silence."""

    def tone(self, seconds: float, freq: float = 220.0, amp: float = 0.3) -> np.ndarray:
        t = np.arange(int(seconds * SR)) / SR
        return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)

    def silence(self, seconds: float) -> np.ndarray:
        return np.zeros(int(seconds * SR), dtype=np.float32)

    def concat(self, *parts: np.ndarray) -> np.ndarray:
        return np.concatenate(parts).astype(np.float32)

    def pcm(self, audio: np.ndarray) -> bytes:
        return (np.clip(audio, -1, 1 - 1 / 32768) * 32768).astype("<i2").tobytes()


@pytest.fixture
def signals() -> Signals:
    return Signals()


@pytest.fixture
def energy_segmenter() -> Callable[..., SpeechSegmenter]:
    """A factory of segmenters on the loudness VAD: `energy_segmenter(VadConfig(...))`."""

    def make(config: VadConfig | None = None) -> SpeechSegmenter:
        return SpeechSegmenter(config, probability=EnergyProbability())

    return make


def chunk_plaintext(sequence: int, pcm: bytes) -> bytes:
    return struct.pack(">Q", sequence) + pcm


@pytest.fixture(scope="session")
def espeak_clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clips of scripts/make-dictation-clips.sh in a temp folder; skips when espeak-ng or sox is missing."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install espeak-ng sox)")
    out = tmp_path_factory.mktemp("clips")
    subprocess.run([str(ROOT / "scripts" / "make-dictation-clips.sh"), str(out)], check=True, capture_output=True)
    return out
