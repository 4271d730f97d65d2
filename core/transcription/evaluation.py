"""Dictation clips with their reference text, and the word error rate — shared by the tests and the benchmarks so
both measure the same thing the same way.

Synthetic clips are made by scripts/make-dictation-clips.sh (espeak-ng + sox: no real patient): the tuning set the
tests use, and a held-out set the benchmark uses. Real human speech (FLEURS, LibriSpeech, LJ Speech, a public
domain speech; licences in tests/data/speech/README.md) is read with `load_speech`. WER is jiwer's after Whisper's
English normaliser on both sides, so "fifty four" and "54", or "Dr." and "doctor", agree. jiwer and
whisper-normalizer are development dependencies (the `dev` extra), imported only when WER is computed.
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
# The held-out dictations' vocabulary, as a doctor dictating them would have enrolled it.
HELDOUT_VOCABULARY = "\n".join(
    [
        "amoxicillin",
        "ibuprofen",
        "sertraline",
        "hydrocortisone",
        "erythematous",
        "dermatitis",
        "edema",
        "palpitations",
        "neurological",
    ]
)
_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make-dictation-clips.sh"
SPEECH_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "speech"
# Real recordings come at very different levels (the FLEURS copies peak at -50 dBFS): each is scaled to this peak,
# as a microphone's gain would be set.
SPEECH_PEAK_DBFS = -3.0


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


def make_clips(out_dir: Path, clip_set: str = "tuning") -> dict[str, Clip]:
    """Run the clip script for `clip_set` (tuning or heldout) into `out_dir` and load what it made
    (CalledProcessError when espeak-ng/sox fail)."""
    subprocess.run([str(_SCRIPT), "--set", clip_set, str(out_dir)], check=True, capture_output=True)
    return load_clips(out_dir)


def load_speech(directory: Path = SPEECH_DIR) -> dict[str, Clip]:
    """Every audio file (.flac, .ogg, .wav) with its .txt in `directory`, decoded to 16 kHz mono by faster-whisper's
    decoder (PyAV) and scaled to SPEECH_PEAK_DBFS."""
    from faster_whisper import decode_audio

    found = {}
    for path in sorted(p for p in directory.iterdir() if p.suffix in (".flac", ".ogg", ".wav")):
        audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
        peak = float(np.abs(audio).max(initial=0.0))
        if peak > 0:
            audio = audio * (10 ** (SPEECH_PEAK_DBFS / 20) / peak)
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        found[path.stem] = Clip(path.stem, pcm, path.with_suffix(".txt").read_text().strip(), path)
    return found


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
