"""Dictation clips with their reference text, and the word error rate — shared by the tests and the benchmarks so
both measure the same thing the same way.

The clips are made by scripts/make-dictation-clips.sh (espeak-ng + sox: synthetic speech, no real patient). WER is
jiwer's after Whisper's English normaliser on both sides, so "fifty four" and "54", or "Dr." and "doctor", agree.
jiwer and whisper-normalizer are development dependencies (the `dev` extra), imported only when WER is computed.
"""

from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.transcription.engine import SAMPLE_RATE

# A doctor's vocabulary for the clips' drug names and units, as enrollment would store it (one term per line).
CLIP_VOCABULARY = "\n".join(
    [
        "metformin",
        "lisinopril",
        "atorvastatin",
        "levothyroxine",
        "amoxicillin clavulanate",
        "hemoglobin A1c",
        "milligrams",
        "micrograms",
        "pneumonia",
        "sutures",
    ]
)
_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make-dictation-clips.sh"


@dataclass(frozen=True)
class Clip:
    name: str
    pcm: bytes  # 16 kHz mono s16le
    reference: str
    path: Path

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / SAMPLE_RATE

    def audio(self) -> np.ndarray:
        return np.frombuffer(self.pcm, dtype="<i2").astype(np.float32) / 32768.0


def make_clips(out_dir: Path) -> dict[str, Clip]:
    """Run the clip script into `out_dir` and load what it made (CalledProcessError when espeak-ng/sox fail)."""
    subprocess.run([str(_SCRIPT), str(out_dir)], check=True, capture_output=True)
    return load_clips(out_dir)


def load_clips(directory: Path) -> dict[str, Clip]:
    """Every <name>.wav with its <name>.txt in `directory`, by name; the WAVs must be 16 kHz mono 16-bit."""
    found = {}
    for path in sorted(directory.glob("*.wav")):
        with wave.open(str(path)) as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (SAMPLE_RATE, 1, 2):
                raise ValueError(f"{path}: not 16 kHz mono 16-bit")
            pcm = w.readframes(w.getnframes())
        found[path.stem] = Clip(path.stem, pcm, path.with_suffix(".txt").read_text().strip(), path)
    return found


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER over the pairs, after Whisper's English normaliser."""
    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer

    normalise = EnglishTextNormalizer()
    return float(jiwer.wer([normalise(r) for r in references], [normalise(h) for h in hypotheses]))
