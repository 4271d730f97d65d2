"""What a speech-to-text engine is to the rest of the code: one small protocol, its result type, and the prompts.

Theory of operation:
- `TranscriptionEngine.transcribe` takes 16 kHz mono float32 audio (one utterance, at most ~30 s: the VAD cuts it)
  and returns `Segment`s with times relative to that audio. Callers never see a library's own result types, so the
  session, the pool and the tests run against a fake engine as well as a real one. The engines themselves
  (faster-whisper, openai-whisper) and the process's shared one live in `whisper_engines.py`.
- A final is decoded as the continuation of the dictation before it: `AudioContext` carries the audio of the
  finals just before it (whole, pauses included) and the text they were transcribed as. The engine decodes
  context + utterance with that text as the decoder's prefix, so a word cut at a boundary, or a sentence that
  goes on after a pause, reads as it was said. A partial is decoded alone and greedily: it is replaced anyway.
- The prompt is what Whisper reads as "said just before": the framing sentence "Clinic note dictation." always, and
  a doctor's enrolled terms after it (`vocabulary_prompt`).
- Token arithmetic: the decoder's window holds 448 tokens: prompt (at most 223 kept) + prefix + the special tokens
  + the new tokens. `max_new_tokens_for` bounds the new ones so a repetition loop ends early and the whole always
  fits beside the longest prompt.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Segment:
    """Recognised text; `start`/`end` are seconds from the start of the audio given to `transcribe`.

    `confidence` is the decoder's mean token probability, exp(avg_logprob), in [0, 1]: a rough ranking signal for
    "check this sentence", not a calibrated probability that the words are right.
    """

    text: str
    start: float
    end: float
    confidence: float
    # With voting: each transcriber's own text of this audio, (plugin name, text), for accuracy per transcriber.
    alternatives: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, eq=False)
class AudioContext:
    """The dictation just before an utterance: `audio` (16 kHz mono float32, whole finals with their pauses) and
    `text`, what those finals were transcribed as. Decoding the utterance after it, with `text` as the decoder's
    prefix, lets Whisper hear and read where the sentence came from."""

    audio: np.ndarray
    text: str


@runtime_checkable
class TranscriptionEngine(Protocol):
    """Anything that turns one utterance of 16 kHz mono float32 audio into segments; must be thread-safe.

    `context` is the dictation before the utterance (an engine may ignore it); `partial` asks for a quick decode of
    an utterance still being spoken, whose text the final will replace.
    """

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        initial_prompt: str | None = None,
        context: AudioContext | None = None,
        partial: bool = False,
    ) -> list[Segment]: ...


class EngineUnavailableError(RuntimeError):
    """The engine cannot run on this machine: a package or model file is missing. The message says what to do."""


def check_audio(audio: np.ndarray) -> np.ndarray:
    """`audio` as a 1-D float32 array, or ValueError: a caller bug, not bad client input (the session checks that)."""
    if not isinstance(audio, np.ndarray) or audio.ndim != 1:
        raise ValueError("audio must be a 1-D numpy array of 16 kHz mono samples")
    if audio.dtype != np.float32:
        raise ValueError(f"audio must be float32 in [-1, 1], got {audio.dtype}")
    return audio


def logprob_to_confidence(avg_logprob: float) -> float:
    """exp(avg_logprob) clamped to [0, 1]; NaN (an empty decode) counts as 0."""
    if math.isnan(avg_logprob):
        return 0.0
    return min(1.0, max(0.0, math.exp(avg_logprob)))


WINDOW_TOKENS = 448  # Whisper's decoder window: prompt + special tokens + prefix + new tokens
MAX_PROMPT_TOKENS = 223  # faster-whisper keeps at most the last 223 prompt (or previous-text) tokens
SPECIAL_TOKENS = 6  # <|startofprev|>, <|startoftranscript|> and its task tokens, the first timestamp: room to spare
_MAX_NEW_TOKENS = WINDOW_TOKENS - MAX_PROMPT_TOKENS - SPECIAL_TOKENS  # 219
# Whisper reads the prompt as what was said just before; with no enrolled terms this sentence alone still tells it
# the audio is a clinic dictation (held-out clips without a vocabulary: WER 0.341 -> 0.270 streamed; real speech
# 0.048 -> 0.038).
DICTATION_FRAMING = "Clinic note dictation."


def max_new_tokens_for(seconds: float) -> int:
    """A generous token budget for `seconds` of speech, within what fits beside the longest prompt.

    Fast dictation is ~3.5 words/s; English averages ~1.3 tokens a word, misheard drug names several, and timestamp
    tokens come on top, so 12 tokens/s leaves room. A repetition loop stops at the budget instead of filling
    Whisper's 448-token window. The cap of 219 (~7 tokens/s over a full 30 s window) is what fits beside a full
    prompt: with conditioning on previous text, a second pass inside one call carries up to 223 tokens of it, and
    faster-whisper raises ValueError when prompt + budget exceed the window.
    """
    return max(1, min(_MAX_NEW_TOKENS, int(16 + 12 * seconds)))


def vocabulary_prompt(terms: Iterable[str], *, max_chars: int = 600) -> str:
    """The `initial_prompt` for a doctor: the dictation framing, naming the doctor's terms (drug names, procedures)
    when there are any.

    Whisper reads the prompt as text said just before the audio, so a sentence works better than a bare list: on
    the test clips "Clinic note dictation. Terms used in this practice include a, b, c." gave WER 0.08 whole-file /
    0.09 streaming, a bare list 0.11 / 0.13, no prompt 0.29 / 0.22. faster-whisper keeps only the prompt's last 223
    tokens (cutting the start, the framing sentence first), so the terms are capped at `max_chars`. Measured
    against faster-whisper's `hotwords` (the terms before the prompt's end marker instead): the prompt gave 0.062 /
    0.151 on the tuning / held-out clips, hotwords 0.097 / 0.198; the previous finals' text as prompt was worse
    still (it is the decoder's prefix instead: see AudioContext).
    """
    cleaned = [" ".join(t.split()) for t in terms if t and t.strip()]
    chosen: list[str] = []
    for term in dict.fromkeys(cleaned):  # unique, order kept
        if sum(len(c) + 2 for c in chosen) + len(term) > max_chars:
            break
        chosen.append(term)
    if not chosen:
        return DICTATION_FRAMING
    return f"{DICTATION_FRAMING} Terms used in this practice include {', '.join(chosen)}."


def prompt_from_vocabulary(text: str) -> str:
    """The initial prompt for a doctor's vocabulary as enrollment stores it: the file the clinic gave, one term per
    line or comma-separated (a drug name may contain spaces, so lines and commas separate, never spaces)."""
    return vocabulary_prompt(term for line in text.splitlines() for term in line.split(","))
