"""Streaming speech segmentation with the Silero VAD that ships inside faster-whisper's wheel.

Theory of operation:
- Audio arrives in chunks of any size. It is cut into 512-sample windows (32 ms at 16 kHz); samples left over wait
  for the next chunk.
- A `SpeechProbability` scores each window. `SileroSpeechProbability` runs faster-whisper's bundled ONNX model
  (`faster_whisper/assets/silero_vad_v6.onnx`, loaded by `faster_whisper.vad.get_vad_model`) and carries the LSTM
  state and the 64-sample context from call to call, so a stream fed in pieces gets exactly the probabilities the
  batch helper `get_speech_timestamps` computes for the whole file. Loading reads a file inside the wheel; nothing
  is downloaded. It costs ~0.3 ms of one core per window (~1 % of real time).
- `SpeechSegmenter` is a state machine over those scores. Hysteresis as in faster-whisper: speech starts at
  p >= threshold; a pause starts at p < neg_threshold and is cancelled only by p >= threshold.

    state    | on a window                          | then
    SILENCE  | p >= threshold                       | -> SPEECH; the utterance starts speech_pad before the window
    SILENCE  | otherwise                            | keep only speech_pad of audio (the pre-roll)
    SPEECH   | p >= threshold                       | a pause, if any, is cancelled
    SPEECH   | p < neg_threshold                    | a pause starts (if none); at min_silence: FINAL -> SILENCE
    SPEECH   | partial_interval since the last cut  | PARTIAL: the utterance so far (skipped during a pause)
    SPEECH   | utterance reaches max_segment        | FINAL at the latest short pause in its second half (else
             |                                      | right here); the next utterance starts there, still SPEECH

  A final ends speech_pad after its pause began. An utterance whose speech lasted less than min_speech is dropped
  (a click, a cough) without a segment. The pad is 400 ms, faster-whisper's own VAD default: Whisper hears the
  edges of words (held-out clips 0.222 WER with 200 ms, 0.135 with 400, 0.143 with 600).
- Silero's state is reset after each final. Carried on, it stays deaf after loud speech: an utterance 20-35 dB
  quieter a second later scored 0.04-0.45 (0.87-0.95 fresh) and never opened a segment.
- A final carries its context: the audio from the start of the earliest final before it that began at most
  context_s earlier and fits with it in Whisper's 30 s window, whole finals with the pauses between them
  (`context_finals` says how many). The engine decodes the final as the continuation of that audio and its text.
- A partial carries the whole utterance so far, not just the new audio: Whisper pads every call to a 30 s window, so
  two seconds cost about as much as twenty, and the client replaces its partial line with each new text.
- Memory is bounded: the buffer holds at most the context (context_s) and one utterance (max_segment) plus a window
  and the pads: ~3 MB a stream with the defaults.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from core.transcription.engine import SAMPLE_RATE, EngineUnavailableError

WINDOW = 512  # samples per VAD window: Silero's size at 16 kHz
_CONTEXT = 64  # samples of the previous window Silero v5/v6 prepend to each window
_WHISPER_WINDOW = 30 * SAMPLE_RATE  # a final and its context are decoded in one of Whisper's 30 s windows


@dataclass(frozen=True, eq=False)
class SpeechSegment:
    """A piece of speech to transcribe. `start`/`end` are seconds from the first sample fed to the segmenter.

    `index` numbers utterances from 0; a partial and the final of the same utterance share it (a forced cut at
    max_segment ends one index and begins the next). `audio` is a float32 copy of the samples. A final's `context`
    is the audio of the `context_finals` finals just before it, from the first one's start to this one's, pauses
    included (None and 0 when there is none).
    """

    index: int
    start: float
    end: float
    audio: np.ndarray
    final: bool
    context: np.ndarray | None = None
    context_finals: int = 0

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class VadConfig:
    """Segmentation settings; the defaults suit dictation (short pauses inside sentences, longer between them)."""

    threshold: float = 0.5
    neg_threshold: float | None = None  # default threshold - 0.15, as in faster-whisper
    min_silence_ms: int = 500
    min_speech_ms: int = 250
    speech_pad_ms: int = 400
    partial_interval_s: float = 2.0
    max_segment_s: float = 30.0
    context_s: float = 20.0

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError("threshold must be between 0 and 1")
        if self.neg_threshold is not None and not 0.0 < self.neg_threshold <= self.threshold:
            raise ValueError("neg_threshold must be above 0 and at most threshold")
        if self.min_silence_ms < 32 or self.min_speech_ms < 0 or self.speech_pad_ms < 0:
            raise ValueError("min_silence_ms must be at least one window (32 ms); pads and minimums not negative")
        if self.partial_interval_s <= 0:
            raise ValueError("partial_interval_s must be positive")
        if self.max_segment_s < 2 * self.partial_interval_s or self.max_segment_s > 30.0:
            raise ValueError("max_segment_s must be at most 30 (Whisper's window) and at least 2 partial intervals")
        if not 0.0 <= self.context_s <= 30.0:
            raise ValueError("context_s must be between 0 and 30 (Whisper's window)")

    @property
    def low_threshold(self) -> float:
        return self.neg_threshold if self.neg_threshold is not None else max(self.threshold - 0.15, 0.01)


class SpeechProbability(Protocol):
    """Scores consecutive windows of one stream: (n, 512) float32 -> (n,) probabilities. Stateful per stream;
    `reset` forgets what it has heard, as if the stream began now."""

    def __call__(self, windows: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...


class SileroSpeechProbability:
    """faster-whisper's bundled Silero VAD, one stream at a time (the ONNX session itself is shared and thread-safe)."""

    def __init__(self) -> None:
        try:
            from faster_whisper.vad import get_vad_model
        except ImportError as exc:
            raise EngineUnavailableError("faster-whisper is not installed (its wheel carries the Silero VAD)") from exc
        session = getattr(get_vad_model(), "session", None)
        names = {i.name for i in session.get_inputs()} if session is not None else set()
        if names != {"input", "h", "c"}:
            raise EngineUnavailableError(
                "faster-whisper's Silero VAD is not the ONNX model this code expects (tested with faster-whisper 1.2.1)"
            )
        self._session = session
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        if windows.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        # Each window goes in with the last 64 samples of the window before it, as get_speech_timestamps does.
        contexts = np.concatenate([self._context[None, :], windows[:-1, -_CONTEXT:]], axis=0)
        batch = np.ascontiguousarray(np.concatenate([contexts, windows], axis=1), dtype=np.float32)
        probs, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = windows[-1, -_CONTEXT:].copy()
        return np.asarray(probs, dtype=np.float32).reshape(-1)


def pcm16_to_float32(pcm: bytes) -> np.ndarray:
    """Little-endian signed 16-bit PCM to float32 in [-1, 1); ValueError on an odd byte count."""
    if len(pcm) % 2:
        raise ValueError("16-bit PCM needs an even number of bytes")
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


class _State(enum.Enum):
    SILENCE = "silence"
    SPEECH = "speech"


class SpeechSegmenter:
    """Turns a stream of 16 kHz mono audio into partial and final speech segments. Not thread-safe: one per stream.

    Feed chunks of any size with `feed`; call `flush` once at the end of the stream for the last utterance.
    """

    def __init__(self, config: VadConfig | None = None, *, probability: SpeechProbability | None = None) -> None:
        self.config = config or VadConfig()
        self._probability = probability if probability is not None else SileroSpeechProbability()
        sr = SAMPLE_RATE
        self._pad = int(self.config.speech_pad_ms * sr / 1000)
        self._min_silence = int(self.config.min_silence_ms * sr / 1000)
        self._min_speech = int(self.config.min_speech_ms * sr / 1000)
        self._partial_every = int(self.config.partial_interval_s * sr)
        self._max_len = int(self.config.max_segment_s * sr)
        self._context_len = int(self.config.context_s * sr)
        # The buffer: absolute samples [_buf_start, _buf_start + _buf_len): the context, then the utterance.
        self._buf = np.zeros(self._context_len + self._max_len + 2 * self._pad + 4 * WINDOW, dtype=np.float32)
        self._final_starts: deque[int] = deque()  # starts of the finals that may still be a later final's context
        self._buf_start = 0
        self._buf_len = 0
        self._leftover = np.zeros(0, dtype=np.float32)
        self._state = _State.SILENCE
        self._index = 0
        self._floor = 0  # end of the last final: the next utterance's pad may not reach back before it
        self._utt_start = 0
        self._speech_start = 0
        self._pause_start: int | None = None
        self._quiet_cut: int | None = None  # middle of the latest quiet window: where a forced cut may go
        self._next_partial = 0
        self._ended = False

    @property
    def samples_seen(self) -> int:
        """Samples fed so far (including any not yet scored)."""
        return self._buf_start + self._buf_len + self._leftover.size

    @property
    def in_speech(self) -> bool:
        return self._state is _State.SPEECH

    def feed(self, audio: bytes | np.ndarray) -> list[SpeechSegment]:
        """Add audio (s16le bytes or float32 samples); return the segments it completes, oldest first."""
        if self._ended:
            raise RuntimeError("feed() after flush(): the stream has ended")
        samples = pcm16_to_float32(audio) if isinstance(audio, bytes | bytearray | memoryview) else audio
        if samples.ndim != 1 or samples.dtype != np.float32:
            raise ValueError("audio must be s16le bytes or a 1-D float32 array")
        if self._leftover.size:
            samples = np.concatenate([self._leftover, samples])
        whole = samples.size - samples.size % WINDOW
        self._leftover = samples[whole:].copy()
        out: list[SpeechSegment] = []
        # Score ~1 s of windows per model call: cheaper than one call per window, and the buffer never has to hold
        # more than it would for a real-time stream, whatever the size of the chunk.
        block = 32 * WINDOW
        for offset in range(0, whole, block):
            windows = samples[offset : min(offset + block, whole)].reshape(-1, WINDOW)
            for window, p in zip(windows, self._probability(windows), strict=True):
                self._step(window, float(p), out)
        return out

    def flush(self) -> list[SpeechSegment]:
        """End of stream: the utterance in progress, if any, as a final segment."""
        if self._ended:
            return []
        self._ended = True
        self._append(self._leftover)
        self._leftover = np.zeros(0, dtype=np.float32)
        out: list[SpeechSegment] = []
        if self._state is _State.SPEECH:
            now = self._buf_start + self._buf_len
            end = now if self._pause_start is None else min(now, self._pause_start + self._pad)
            self._final(end, out, speech_end=self._pause_start if self._pause_start is not None else now)
        return out

    # The state machine: one 512-sample window at a time.
    def _step(self, window: np.ndarray, p: float, out: list[SpeechSegment]) -> None:
        cfg = self.config
        t = self._buf_start + self._buf_len  # absolute position of this window
        self._append(window)
        now = t + WINDOW
        if self._state is _State.SILENCE:
            if p < cfg.threshold:
                self._drop_before(now - self._pad)  # pre-roll only
                return
            self._state = _State.SPEECH
            self._utt_start = max(t - self._pad, self._floor, self._buf_start)
            self._drop_before(self._utt_start)
            self._speech_start = t
            self._pause_start = None
            self._quiet_cut = None
            self._next_partial = self._utt_start + self._partial_every
        if p >= cfg.threshold:
            self._pause_start = None
        elif p < cfg.low_threshold:
            if self._pause_start is None:
                self._pause_start = t
            self._quiet_cut = t + WINDOW // 2
            if now - self._pause_start >= self._min_silence:
                self._final(min(self._pause_start + self._pad, now), out, speech_end=self._pause_start)
                return
        if now - self._utt_start >= self._max_len:
            cut = self._utt_start + self._max_len  # never longer than max_segment (Whisper's window)
            if self._quiet_cut is not None and self._quiet_cut > self._utt_start + self._max_len // 2:
                cut = self._quiet_cut
            self._emit(self._utt_start, cut, final=True, out=out)
            self._index += 1
            self._utt_start = self._speech_start = cut
            self._drop_before(cut)
            self._quiet_cut = None
            if self._pause_start is not None:
                self._pause_start = max(self._pause_start, cut)
            self._next_partial = cut + self._partial_every
        elif now >= self._next_partial and self._pause_start is None:
            self._emit(self._utt_start, now, final=False, out=out)
            self._next_partial = now + self._partial_every

    def _final(self, end: int, out: list[SpeechSegment], *, speech_end: int) -> None:
        if speech_end - self._speech_start >= self._min_speech:
            self._emit(self._utt_start, end, final=True, out=out)
            self._index += 1
        self._probability.reset()
        self._state = _State.SILENCE
        self._floor = end
        self._pause_start = None
        self._quiet_cut = None
        self._drop_before(end)

    def _emit(self, start: int, end: int, *, final: bool, out: list[SpeechSegment]) -> None:
        lo, hi = start - self._buf_start, end - self._buf_start
        audio = self._buf[lo:hi].copy()
        context, finals = self._context_for(start, end) if final else (None, 0)
        out.append(SpeechSegment(self._index, start / SAMPLE_RATE, end / SAMPLE_RATE, audio, final, context, finals))
        if final:
            self._final_starts.append(start)

    def _context_for(self, start: int, end: int) -> tuple[np.ndarray | None, int]:
        """The audio of the earliest finals before [start, end) that began within context_s and fit with it in
        Whisper's window, and how many finals that is."""
        for i, first in enumerate(self._final_starts):
            if start - first <= self._context_len and end - first <= _WHISPER_WINDOW and first >= self._buf_start:
                return self._buf[first - self._buf_start : start - self._buf_start].copy(), len(self._final_starts) - i
        return None, 0

    def _append(self, samples: np.ndarray) -> None:
        n = samples.size
        if self._buf_len + n > self._buf.size:  # cannot happen while the state machine keeps its bounds
            raise AssertionError("speech buffer overflow")
        self._buf[self._buf_len : self._buf_len + n] = samples
        self._buf_len += n

    def _drop_before(self, position: int) -> None:
        """Forget audio before `position`, except what a later final may still need as its context."""
        horizon = position - self._context_len - self._pad
        while self._final_starts and self._final_starts[0] < horizon:
            self._final_starts.popleft()
        if self._final_starts:
            position = min(position, self._final_starts[0])
        k = min(position - self._buf_start, self._buf_len)
        if k <= 0:
            return
        self._buf[: self._buf_len - k] = self._buf[k : self._buf_len]
        self._buf_len -= k
        self._buf_start += k
