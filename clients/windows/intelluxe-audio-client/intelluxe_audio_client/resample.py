"""Streaming band-limited resampling in numpy: any input rate to the 16 kHz the server's model wants.

Theory of operation:
- The ratio is reduced to up/down (44 100 -> 16 000 is 160/441). Output sample n sits at input time n * down / up.
  Its value is a weighted sum of the input samples around that time, the weights being a windowed sinc (Kaiser
  window, beta 8.6) low-pass at `rolloff` times the lower of the two Nyquist frequencies. When downsampling, that
  low-pass is the anti-aliasing filter: a 12 kHz whistle in a 44.1 kHz file must not fold back to 4 kHz.
- The weights for each fractional position ("phase") are computed once: `up` phases when up <= 1024, otherwise the
  position is rounded to 1/1024 of an input sample (an error far below 16-bit noise at speech frequencies).
  Each phase is normalised to sum to 1, so silence stays silence and a constant stays that constant.
- Streaming: `process` takes blocks of any size and returns every output sample whose filter window is complete;
  the last input samples wait for the next block. `flush` pads the end with zeros and returns the rest. The output
  does not depend on how the input was cut into blocks, and its length is ceil(n_in * up / down).
- Cost: (2 * zero_crossings / min(1, up/down) + 1) multiply-adds per output sample: ~97 for 44.1 kHz, ~1.5 M per
  second of audio, a few ms of numpy.
"""

from __future__ import annotations

import math

import numpy as np

MAX_PHASES = 1024
_BLOCK = 4096  # output samples computed per numpy step: bounds the (block, taps) gather array to a few MB


class Resampler:
    """Converts one stream of float samples from `rate_in` to `rate_out`. One instance per stream.

    Args:
        rate_in: the input's sample rate in Hz.
        rate_out: the output's sample rate in Hz.
        zero_crossings: sinc lobes on each side of the filter's centre; more is a sharper cut-off and more work.
        rolloff: the cut-off as a fraction of the lower Nyquist frequency; below 1 leaves room for the transition.
        beta: the Kaiser window's shape (8.6 gives ~-90 dB side lobes).
    """

    def __init__(
        self, rate_in: int, rate_out: int = 16000, *, zero_crossings: int = 16, rolloff: float = 0.94, beta: float = 8.6
    ) -> None:
        if rate_in <= 0 or rate_out <= 0:
            raise ValueError("sample rates must be positive")
        if not 0.5 <= rolloff <= 1.0 or zero_crossings < 2:
            raise ValueError("rolloff must be in [0.5, 1] and zero_crossings at least 2")
        g = math.gcd(int(rate_in), int(rate_out))
        self.rate_in, self.rate_out = int(rate_in), int(rate_out)
        self.up, self.down = self.rate_out // g, self.rate_in // g
        self.passthrough = self.up == self.down
        self._phases = min(self.up, MAX_PHASES)
        cutoff = 0.5 * min(1.0, self.up / self.down) * rolloff  # cycles per input sample
        half_width = zero_crossings / (2.0 * cutoff)  # input samples on each side of the centre
        self._k = math.ceil(half_width)
        taps = np.arange(-self._k, self._k + 1, dtype=np.float64)
        fractions = np.arange(self._phases, dtype=np.float64) / self._phases
        # Distance (in input samples) from tap j to an output point at i + fraction, for a tap at i + j.
        tau = fractions[:, None] - taps[None, :]
        inside = np.clip(1.0 - (tau / half_width) ** 2, 0.0, None)
        window = np.where(np.abs(tau) <= half_width, np.i0(beta * np.sqrt(inside)) / np.i0(beta), 0.0)
        table = 2.0 * cutoff * np.sinc(2.0 * cutoff * tau) * window
        self._table = table / table.sum(axis=1, keepdims=True)
        self._offsets = np.arange(2 * self._k + 1)
        # Input history; _buf[0] is absolute input sample _buf_start. K zeros stand before the first sample.
        self._buf = np.zeros(self._k, dtype=np.float64)
        self._buf_start = -self._k
        self._n = 0  # next output sample
        self._total = 0  # input samples received
        self._flushed = False

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Add input samples (1-D float); return the output samples now complete (float32)."""
        if self._flushed:
            raise RuntimeError("process() after flush(): the stream has ended")
        samples = np.asarray(samples)
        if samples.ndim != 1:
            raise ValueError("samples must be one-dimensional (mono)")
        self._total += samples.size
        if self.passthrough:
            return samples.astype(np.float32, copy=False)
        self._buf = np.concatenate([self._buf, samples.astype(np.float64, copy=False)])
        return self._produce(available=self._total, limit=None)

    def flush(self) -> np.ndarray:
        """End of stream: the remaining output samples (the last ones see zeros past the end)."""
        if self._flushed:
            return np.zeros(0, dtype=np.float32)
        self._flushed = True
        if self.passthrough:
            return np.zeros(0, dtype=np.float32)
        self._buf = np.concatenate([self._buf, np.zeros(self._k + 1)])
        limit = -(-self._total * self.up // self.down)  # ceil: one output per 1/rate_out s of input, rounding up
        return self._produce(available=self._total + self._k + 1, limit=limit)

    def _positions(self, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(input index, phase) of output samples n: position n * down / up rounded to 1/phases of a sample."""
        q = (n * (self.down * self._phases) + self.up // 2) // self.up
        return q // self._phases, q % self._phases

    def _produce(self, *, available: int, limit: int | None) -> np.ndarray:
        pieces = []
        while True:
            # Outputs whose last tap (i + K) is below `available`; estimate, then trim exactly.
            last = (available - self._k) * self.up // self.down + 1
            if limit is not None:
                last = min(last, limit)
            count = min(last - self._n, _BLOCK)
            if count <= 0:
                break
            n = np.arange(self._n, self._n + count, dtype=np.int64)
            index, phase = self._positions(n)
            ready = int(np.count_nonzero(index + self._k < available))
            if ready == 0:
                break
            index, phase = index[:ready], phase[:ready]
            gather = (index - self._buf_start - self._k)[:, None] + self._offsets[None, :]
            pieces.append(np.einsum("ij,ij->i", self._buf[gather], self._table[phase]).astype(np.float32))
            self._n += ready
            if ready < count:
                break
        # Keep only the history the next output needs.
        next_index, _ = self._positions(np.array([self._n], dtype=np.int64))
        drop = int(next_index[0]) - self._k - self._buf_start
        if drop > 0:
            self._buf = self._buf[drop:].copy()
            self._buf_start += drop
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def float_to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] to s16le bytes, rounded and clipped (a full-scale +1.0 becomes 32767)."""
    return np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32768.0), -32768, 32767).astype("<i2").tobytes()


def pcm16_to_float(pcm: bytes) -> np.ndarray:
    """s16le bytes to float32 samples in [-1, 1)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
