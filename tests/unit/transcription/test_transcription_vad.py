"""The streaming segmenter: its rules on a loudness VAD (exact), and the bundled Silero model on real speech."""

from __future__ import annotations

import importlib.util
import wave
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")

from core.transcription.vad import (  # noqa: E402 - after the numpy check
    WINDOW,
    SpeechSegment,
    SpeechSegmenter,
    VadConfig,
    pcm16_to_float32,
)

SR = 16000
HAS_FASTER_WHISPER = importlib.util.find_spec("faster_whisper") is not None
needs_silero = pytest.mark.skipif(not HAS_FASTER_WHISPER, reason="faster-whisper (which carries Silero VAD) missing")


def feed_all(seg: SpeechSegmenter, audio: np.ndarray, chunk: int | list[int] = 1600) -> list[SpeechSegment]:
    """Feed `audio` in chunks (a fixed size, or a cycle of sizes), then flush."""
    sizes = chunk if isinstance(chunk, list) else [chunk]
    out, pos, i = [], 0, 0
    while pos < audio.size:
        n = sizes[i % len(sizes)]
        out += seg.feed(audio[pos : pos + n])
        pos += n
        i += 1
    return out + seg.flush()


def finals(segments: list[SpeechSegment]) -> list[SpeechSegment]:
    return [s for s in segments if s.final]


def test_silence_gives_no_segments(energy_segmenter, signals) -> None:
    assert feed_all(energy_segmenter(), signals.silence(5)) == []


def test_one_utterance_is_one_final_padded_by_speech_pad(energy_segmenter, signals) -> None:
    audio = signals.concat(signals.silence(1), signals.tone(1.5), signals.silence(1.5))
    (final,) = feed_all(energy_segmenter(), audio)
    assert final.final and final.index == 0
    # Speech is 1.0-2.5 s; windows are 32 ms, the pad 0.4 s.
    assert final.start == pytest.approx(0.6, abs=0.04)
    assert final.end == pytest.approx(2.9, abs=0.04)
    assert final.audio.dtype == np.float32
    assert final.audio.size == round((final.end - final.start) * SR)
    # The audio is the stream's own samples at those times.
    lo = round(final.start * SR)
    assert np.array_equal(final.audio, audio[lo : lo + final.audio.size])


def test_a_pause_shorter_than_min_silence_does_not_split(energy_segmenter, signals) -> None:
    audio = signals.concat(signals.tone(1), signals.silence(0.3), signals.tone(1), signals.silence(1))
    assert len(finals(feed_all(energy_segmenter(), audio))) == 1


def test_a_longer_pause_splits_into_numbered_finals(energy_segmenter, signals) -> None:
    audio = signals.concat(signals.tone(1), signals.silence(0.8), signals.tone(1), signals.silence(1))
    first, second = finals(feed_all(energy_segmenter(), audio))
    assert (first.index, second.index) == (0, 1)
    assert first.end <= second.start  # the second's pre-roll never reaches back into the first


def test_a_final_carries_the_finals_before_it_whole_as_its_context(energy_segmenter, signals) -> None:
    gap = signals.silence(1.0)
    audio = signals.concat(gap, signals.tone(1), gap, signals.tone(1), gap, signals.tone(1), gap)
    first, second, third = finals(feed_all(energy_segmenter(), audio))
    assert (first.context, first.context_finals) == (None, 0)
    assert second.context_finals == 1 and third.context_finals == 2
    lo = round(first.start * SR)
    assert third.context is not None and np.array_equal(third.context, audio[lo : round(third.start * SR)])
    assert second.context is not None and np.array_equal(second.context, third.context[: second.context.size])


@pytest.mark.parametrize(("context_s", "expected"), [(5, 2), (3, 1), (0, 0)])
def test_the_context_reaches_back_at_most_context_s(energy_segmenter, signals, context_s, expected) -> None:
    gap = signals.silence(1.0)
    audio = signals.concat(gap, signals.tone(1), gap, signals.tone(1), gap, signals.tone(1), gap)
    third = finals(feed_all(energy_segmenter(VadConfig(context_s=context_s)), audio))[2]
    assert third.context_finals == expected and (third.context is None) == (expected == 0)


def test_a_final_and_its_context_fit_in_whispers_30_s_window(energy_segmenter, signals) -> None:
    gap = signals.silence(1.0)
    audio = signals.concat(gap, signals.tone(9.5), gap, signals.tone(9.5), gap, signals.tone(9.5), gap)
    seg = energy_segmenter(VadConfig(context_s=30, max_segment_s=10))
    capacity = seg._buf.size
    first, second, third = finals(feed_all(seg, audio, chunk=16000))
    assert third.end - first.start > 30 and third.context_finals == 1  # the first would not fit
    assert third.context is not None and third.context.size + third.audio.size <= 30 * SR
    assert seg._buf.size == capacity


def test_the_vad_forgets_what_it_heard_after_each_final(energy_segmenter, signals) -> None:
    seg = energy_segmenter()
    gap = signals.silence(1.0)
    assert len(finals(feed_all(seg, signals.concat(gap, signals.tone(1), gap, signals.tone(1), gap)))) == 2
    assert seg._probability.resets == 2


def test_min_silence_is_configurable(energy_segmenter, signals) -> None:
    audio = signals.concat(signals.tone(1), signals.silence(0.8), signals.tone(1), signals.silence(1.5))
    assert len(finals(feed_all(energy_segmenter(VadConfig(min_silence_ms=1000)), audio))) == 1


def test_a_click_shorter_than_min_speech_is_dropped(energy_segmenter, signals) -> None:
    audio = signals.concat(signals.silence(1), signals.tone(0.1), signals.silence(1))
    assert feed_all(energy_segmenter(), audio) == []


def test_partials_every_interval_of_ongoing_speech_each_covering_the_utterance_so_far(
    energy_segmenter, signals
) -> None:
    audio = signals.concat(signals.silence(0.5), signals.tone(7), signals.silence(1))
    out = feed_all(energy_segmenter(), audio, chunk=1600)
    partials = [s for s in out if not s.final]
    assert [s.index for s in out] == [0] * len(out) and out[-1].final
    assert len(partials) == 3  # at ~2, ~4, ~6 s into the utterance
    assert all(p.start == out[-1].start for p in partials)
    gaps = np.diff([out[-1].start] + [p.end for p in partials])
    assert all(1.9 <= g <= 2.2 for g in gaps)


def test_no_partial_during_a_pause(energy_segmenter, signals) -> None:
    # The pause (0.4 s) covers the 2 s mark; the partial waits until speech resumes.
    audio = signals.concat(signals.tone(1.8), signals.silence(0.4), signals.tone(1), signals.silence(1))
    out = feed_all(energy_segmenter(), audio, chunk=512)
    (partial,) = [s for s in out if not s.final]
    assert partial.end >= 2.2


def test_long_speech_is_cut_at_max_segment_and_memory_stays_bounded(energy_segmenter, signals) -> None:
    seg = energy_segmenter(VadConfig(max_segment_s=10))
    capacity = seg._buf.size
    audio = signals.concat(signals.tone(35), signals.silence(1))
    out = feed_all(seg, audio, chunk=16000)
    cuts = finals(out)
    assert [c.index for c in cuts] == [0, 1, 2, 3]
    assert [round(c.duration) for c in cuts[:3]] == [10, 10, 10]
    assert all(b.start == a.end for a, b in zip(cuts, cuts[1:], strict=False))  # contiguous: nothing lost
    assert max(c.audio.size for c in out) <= 10 * SR
    assert seg._buf.size == capacity


def test_a_forced_cut_prefers_the_latest_short_pause(energy_segmenter, signals) -> None:
    # Speech with 0.2 s gaps (shorter than min_silence) at 7 s; the 10 s cap cuts in that gap, not mid-word.
    audio = signals.concat(signals.tone(7), signals.silence(0.2), signals.tone(6), signals.silence(1))
    first = finals(feed_all(energy_segmenter(VadConfig(max_segment_s=10)), audio))[0]
    assert 7.0 <= first.end <= 7.2


@pytest.mark.parametrize("chunk", [512, 1600, 16000, [1, 7, 511, 513, 2048, 3], 10 * SR])
def test_segments_do_not_depend_on_chunk_sizes(energy_segmenter, signals, chunk) -> None:
    audio = signals.concat(
        signals.silence(0.7), signals.tone(2.5), signals.silence(0.9), signals.tone(0.6), signals.silence(0.3)
    )
    reference = feed_all(energy_segmenter(), audio, chunk=audio.size)
    got = feed_all(energy_segmenter(), audio, chunk=chunk)
    assert [(s.index, s.start, s.end, s.final) for s in got] == [(s.index, s.start, s.end, s.final) for s in reference]
    assert all(np.array_equal(a.audio, b.audio) for a, b in zip(got, reference, strict=True))


def test_flush_in_the_middle_of_speech_gives_a_final(energy_segmenter, signals) -> None:
    seg = energy_segmenter()
    seg.feed(signals.concat(signals.silence(0.5), signals.tone(1.0) + 0))
    (final,) = seg.flush()
    assert final.final and final.end == pytest.approx(1.5, abs=0.001)
    assert seg.flush() == []
    with pytest.raises(RuntimeError, match="after flush"):
        seg.feed(signals.silence(0.1))


def test_bytes_are_s16le_and_odd_counts_are_refused(energy_segmenter, signals) -> None:
    audio = signals.concat(signals.silence(0.5), signals.tone(1), signals.silence(1))
    from_bytes = feed_all(energy_segmenter(), pcm16_to_float32(signals.pcm(audio)))
    seg = energy_segmenter()
    pcm = signals.pcm(audio)
    direct = seg.feed(pcm) + seg.flush()
    assert [(s.start, s.end) for s in direct] == [(s.start, s.end) for s in from_bytes]
    with pytest.raises(ValueError, match="even number of bytes"):
        energy_segmenter().feed(b"\x00\x01\x02")
    with pytest.raises(ValueError, match="1-D float32"):
        energy_segmenter().feed(np.zeros(10, dtype=np.float64))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 1.0},
        {"neg_threshold": 0.7},
        {"min_silence_ms": 10},
        {"max_segment_s": 31},
        {"max_segment_s": 3},
        {"context_s": -1},
        {"context_s": 31},
    ],
)
def test_config_is_checked(kwargs) -> None:
    with pytest.raises(ValueError):
        VadConfig(**kwargs)


# The real model (bundled with faster-whisper; no download).
@needs_silero
def test_silero_streaming_matches_faster_whisper_batch_probabilities(signals) -> None:
    from faster_whisper.vad import get_vad_model

    from core.transcription.vad import SileroSpeechProbability

    rng = np.random.default_rng(7)
    audio = signals.concat(signals.tone(1.0), 0.05 * rng.standard_normal(SR).astype(np.float32), signals.silence(1))
    audio = audio[: audio.size - audio.size % WINDOW]
    batch = np.asarray(get_vad_model()(audio)).reshape(-1)
    stream = SileroSpeechProbability()
    windows = audio.reshape(-1, WINDOW)
    pieces, i = [], 0
    for n in (1, 3, 10, 1, 40, 1000):
        pieces.append(stream(windows[i : i + n]))
        i += n
    np.testing.assert_allclose(np.concatenate(pieces), batch, atol=1e-6)


@needs_silero
def test_silero_finds_no_speech_in_silence_or_faint_noise(signals) -> None:
    rng = np.random.default_rng(1)
    noise = (0.003 * rng.standard_normal(5 * SR)).astype(np.float32)
    assert feed_all(SpeechSegmenter(), signals.concat(signals.silence(2), noise)) == []


@needs_silero
@pytest.mark.parametrize(
    ("loud_name", "quiet_name"),
    [("librispeech-1272-128104-0000.flac", "fleurs-en-003.ogg"), ("ljspeech-LJ002-0020.flac", "fleurs-en-004.ogg")],
)
def test_silero_hears_a_quiet_sentence_a_second_after_a_loud_one(loud_name: str, quiet_name: str) -> None:
    """Real speech: a sentence at -3 dBFS, a second of pause, then one 30 dB quieter, over a -65 dBFS noise floor.
    With Silero's state carried across the pause, Silero heard 55 % and 49 % of the quiet sentences; reset after
    each final, 97 %."""
    from faster_whisper import decode_audio

    speech = Path(__file__).resolve().parents[2] / "data" / "speech"

    def at_peak(name: str, dbfs: float) -> np.ndarray:
        audio = decode_audio(str(speech / name), sampling_rate=SR)
        return (audio * (10 ** (dbfs / 20) / np.abs(audio).max())).astype(np.float32)

    loud, quiet, pause = at_peak(loud_name, -3), at_peak(quiet_name, -33), np.zeros(SR, np.float32)
    audio = np.concatenate([loud, pause, quiet, pause])
    audio += np.random.default_rng(3).normal(0, 10 ** (-65 / 20), audio.size).astype(np.float32)
    got = finals(feed_all(SpeechSegmenter(), audio))
    quiet_start, quiet_end = (loud.size + SR) / SR, (loud.size + SR + quiet.size) / SR
    heard = sum(max(0.0, min(s.end, quiet_end) - max(s.start, quiet_start)) for s in got)
    assert heard >= 0.9 * (quiet_end - quiet_start), [(s.start, s.end) for s in got]


def read_wav(path: Path) -> bytes:
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SR, 1, 2)
        return w.readframes(w.getnframes())


@needs_silero
def test_silero_splits_the_espeak_clip_at_its_long_pause(espeak_clips: Path) -> None:
    pcm = read_wav(espeak_clips / "pause-followup.wav")
    seg = SpeechSegmenter()
    out: list[SpeechSegment] = []
    for i in range(0, len(pcm), 3200):  # 100 ms chunks, as a client would send
        out += seg.feed(pcm[i : i + 3200])
    out += seg.flush()
    first, second = finals(out)
    # The clip: 0.5 s lead-in, ~4.1 s sentence, 3 s pause, ~2 s sentence, 0.5 s tail.
    assert first.start < 0.6 and 4.2 < first.end < 5.0
    assert 6.8 < second.start < 7.5 and second.end > 9.0
    assert all(0 < s.duration < 30 for s in out)


@needs_silero
def test_silero_keeps_a_continuous_espeak_clip_whole_with_partials(espeak_clips: Path) -> None:
    pcm = read_wav(espeak_clips / "dx-diabetes.wav")
    seg = SpeechSegmenter()
    out: list[SpeechSegment] = []
    for i in range(0, len(pcm), 3200):
        out += seg.feed(pcm[i : i + 3200])
    out += seg.flush()
    assert len(finals(out)) == 1
    assert len(out) - 1 >= 5  # ~14 s of speech: a partial every ~2 s
