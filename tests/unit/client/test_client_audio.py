"""Audio sources: WAV files of every common layout to 16 kHz mono s16le, the resampler, and the microphone through a
fake PyAudio (the real one needs PortAudio and a sound card)."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import sys
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from client_fakes import FakePyAudioModule
from intelluxe_audio_client import AudioError, MicrophoneSource, WavSource, list_devices
from intelluxe_audio_client.resample import Resampler

SR = 16000


def sine(seconds: float, rate: int, freq: float, amp: float = 0.5) -> np.ndarray:
    return amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def encode(frames: np.ndarray, bits: int, *, floating: bool = False) -> bytes:
    """(n, channels) floats in [-1, 1] as interleaved little-endian samples."""
    x = np.asarray(frames, dtype=np.float64).reshape(-1)
    if floating:
        return x.astype("<f4" if bits == 32 else "<f8").tobytes()
    if bits == 8:
        return np.round(x * 127 + 128).astype(np.uint8).tobytes()
    full = 2 ** (bits - 1) - 1
    values = np.round(x * full).astype(np.int64)
    if bits == 24:
        return values.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    return values.astype({16: "<i2", 32: "<i4"}[bits]).tobytes()


def write_wav(
    path: Path,
    frames: np.ndarray,
    rate: int,
    bits: int,
    *,
    floating: bool = False,
    extensible: bool = False,
    tag: int | None = None,
) -> Path:
    """A WAV written by hand, so EXTENSIBLE and float layouts (which `wave` cannot write) are covered too."""
    frames = frames.reshape(len(frames), -1)
    channels = frames.shape[1]
    data = encode(frames, bits, floating=floating)
    code = tag if tag is not None else (3 if floating else 1)
    block = channels * bits // 8
    if extensible:
        guid = struct.pack("<H", code) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * block, block, bits, 22, bits, 0) + guid
    else:
        fmt = struct.pack("<HHIIHH", code, channels, rate, rate * block, block, bits)
    extra = b"LIST" + struct.pack("<I", 5) + b"INFO!" + b"\x00"  # an odd-sized chunk to skip, with its pad byte
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def read_all(source: Any) -> np.ndarray:
    async def collect() -> bytes:
        return b"".join([block async for block in source])

    data = asyncio.run(collect())
    assert len(data) % 2 == 0
    return np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768.0


def peak_hz(x: np.ndarray, rate: int = SR) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spectrum) * rate / x.size)


def amplitude(x: np.ndarray) -> float:
    """A sine's amplitude from its RMS, away from the edges."""
    middle = x[x.size // 8 : -x.size // 8]
    return float(np.sqrt(2 * np.mean(middle**2)))


def test_44k1_stereo_becomes_16k_mono_with_frequency_length_and_level_kept(tmp_path: Path) -> None:
    left = sine(2.0, 44100, 1000.0)
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as w:  # the standard library's writer: what most tools produce
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(encode(np.stack([left, np.zeros_like(left)], axis=1), 16))
    source = WavSource(path, pace=0)
    assert source.duration == pytest.approx(2.0)
    out = read_all(source)
    assert out.size == 32000  # ceil(88200 * 16000 / 44100)
    assert peak_hz(out) == pytest.approx(1000.0, abs=1.0)
    assert amplitude(out) == pytest.approx(0.25, rel=0.01)  # the channels are averaged: 0.5 and silence


def test_downsampling_filters_out_what_would_alias(tmp_path: Path) -> None:
    """12 kHz is above the 8 kHz Nyquist of 16 kHz audio: dropped samples would fold it onto 4 kHz at full level."""
    mixed = sine(1.0, 44100, 1000.0, 0.3) + sine(1.0, 44100, 12000.0, 0.3)
    out = read_all(WavSource(write_wav(tmp_path / "whistle.wav", mixed, 44100, 16), pace=0))
    assert alias_db(out) < -60
    # For contrast, plain linear interpolation (no low-pass) lets the whistle through as a 4 kHz tone.
    naive = np.interp(np.arange(16000) * 44100 / 16000, np.arange(mixed.size), mixed)
    assert alias_db(naive) > -20


def alias_db(x: np.ndarray) -> float:
    """The level at 4 kHz (where 12 kHz folds to at 16 kHz) relative to the 1 kHz tone."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    bin_hz = SR / x.size
    at_1k = spectrum[int(round(1000 / bin_hz))]
    alias = spectrum[int(round(3950 / bin_hz)) : int(round(4050 / bin_hz))].max()
    return float(20 * np.log10(alias / at_1k))


@pytest.mark.parametrize(
    ("bits", "rate", "channels", "floating", "extensible"),
    [
        (8, 8000, 1, False, False),
        (24, 48000, 1, False, True),
        (24, 22050, 2, False, False),
        (32, 48000, 2, False, False),
        (32, 22050, 1, True, False),
        (64, 11025, 1, True, True),
    ],
)
def test_every_pcm_layout_reads_with_its_tone_and_length(tmp_path: Path, bits, rate, channels, floating, extensible):
    tone = sine(1.0, rate, 440.0)
    frames = np.stack([tone] * channels, axis=1)
    path = write_wav(tmp_path / "t.wav", frames, rate, bits, floating=floating, extensible=extensible)
    out = read_all(WavSource(path, pace=0))
    assert out.size == -(-tone.size * SR // rate)
    assert peak_hz(out) == pytest.approx(440.0, abs=1.0)
    assert amplitude(out) == pytest.approx(0.5, rel=0.02)  # 8-bit's quantisation is the loosest


def test_24_bit_at_16k_is_rounded_to_16_bits_and_keeps_its_sign(tmp_path: Path) -> None:
    values = np.array([0.0, 0.5, -0.5, -1.0, 0.999, 1 / 32768, -3 / 65536])
    out = read_all(WavSource(write_wav(tmp_path / "v.wav", values, SR, 24, extensible=True), pace=0))
    assert np.array_equal(np.round(out * 32768), np.round(np.round(values * 8388607) / 256))


def test_16k_mono_16_bit_passes_through_unchanged(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    raw = rng.integers(-32768, 32767, 16000, dtype=np.int16)
    path = write_wav(tmp_path / "raw.wav", raw / 32767.0, SR, 16)
    data = Path(path).read_bytes()
    expected = data[data.index(b"data") + 8 :]
    out = read_all(WavSource(path, pace=0))
    assert (np.round(out * 32768).astype("<i2")).tobytes() == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, this is a text file", "not a WAV file"),
        (b"RIFF\x04\x00\x00\x00WAVE", "no fmt chunk"),
        (None, "unsupported WAV encoding"),  # ADPCM
        (b"", "not a WAV file"),
    ],
)
def test_bad_files_are_refused_with_the_path_and_the_reason(tmp_path: Path, content, message) -> None:
    path = tmp_path / "bad.wav"
    if content is None:
        write_wav(path, sine(0.1, 8000, 440), 8000, 16, tag=0x0002)
    else:
        path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as caught:
        WavSource(path)
    assert str(path) in str(caught.value)


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no such file"):
        WavSource(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="directory"):
        WavSource(tmp_path)


def test_pace_1_plays_in_real_time_and_0_at_once(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "half.wav", sine(0.5, SR, 440), SR, 16)
    started = time.monotonic()
    read_all(WavSource(path, pace=1.0))
    assert 0.45 <= time.monotonic() - started < 1.5
    started = time.monotonic()
    read_all(WavSource(path, pace=0))
    assert time.monotonic() - started < 0.2


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000, 96000])
def test_resampler_output_does_not_depend_on_how_the_input_is_cut(rate: int) -> None:
    rng = np.random.default_rng(rate)
    x = rng.standard_normal(rate) * 0.1
    whole = Resampler(rate)
    one = np.concatenate([whole.process(x), whole.flush()])
    pieces, i, cut = [], 0, Resampler(rate)
    while i < x.size:
        n = int(rng.integers(1, 3000))
        pieces.append(cut.process(x[i : i + n]))
        i += n
    pieces.append(cut.flush())
    assert one.size == -(-x.size * SR // rate)
    np.testing.assert_allclose(np.concatenate(pieces), one, atol=1e-6)


def test_resampler_keeps_a_constant_constant() -> None:
    r = Resampler(44100)
    out = np.concatenate([r.process(np.full(44100, 0.25)), r.flush()])
    np.testing.assert_allclose(out[100:-100], 0.25, atol=1e-4)


# The microphone, through a fake PyAudio (client_fakes.FakePyAudioModule).
@pytest.fixture
def fake_pyaudio(monkeypatch: pytest.MonkeyPatch):
    def install(**kwargs: Any) -> FakePyAudioModule:
        module = FakePyAudioModule(**kwargs)
        monkeypatch.setitem(sys.modules, "pyaudio", module)
        return module

    return install


def take(source: MicrophoneSource, count: int) -> list[bytes]:
    async def run() -> list[bytes]:
        blocks = []
        async with contextlib.aclosing(source.__aiter__()) as stream:
            async for block in stream:
                blocks.append(block)
                if len(blocks) == count:
                    break
        return blocks

    return asyncio.run(run())


def test_microphone_opens_16k_mono_int16_on_the_chosen_device_and_releases_it(fake_pyaudio) -> None:
    pyaudio = fake_pyaudio()
    source = MicrophoneSource(device=2)
    source.check()
    blocks = take(source, 3)
    (opened,) = pyaudio.opened
    assert opened == {
        "format": 8,
        "channels": 1,
        "rate": 16000,
        "input": True,
        "input_device_index": 2,
        "frames_per_buffer": 1600,
    }
    assert [len(b) for b in blocks] == [3200, 3200, 3200]  # 100 ms blocks
    assert [np.frombuffer(b, "<i2")[0] for b in blocks] == [1, 2, 3]  # in order
    assert pyaudio.streams[0].closed and pyaudio.live == 0


def test_microphone_that_refuses_16k_is_captured_at_its_own_rate_and_resampled(fake_pyaudio) -> None:
    pyaudio = fake_pyaudio(refuse_rates=(16000,))
    blocks = take(MicrophoneSource(), 6)
    assert [o["rate"] for o in pyaudio.opened] == [16000, 44100]
    assert pyaudio.opened[1]["input_device_index"] is None and pyaudio.opened[1]["frames_per_buffer"] == 4410
    sizes = [len(b) // 2 for b in blocks]
    assert all(size == 1600 for size in sizes[1:-1])  # 4410 samples at 44.1 kHz -> 1600 at 16 kHz
    assert pyaudio.live == 0


def test_microphone_failure_mid_stream_raises_an_audio_error(fake_pyaudio) -> None:
    fake_pyaudio(fail_after=2)
    with pytest.raises(AudioError, match="the microphone failed"):
        take(MicrophoneSource(1), 10)


def test_microphone_check_names_the_problem(fake_pyaudio, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pyaudio()
    with pytest.raises(AudioError, match="not a microphone"):
        MicrophoneSource(0).check()
    with pytest.raises(AudioError, match="no audio device 9"):
        MicrophoneSource(9).check()
    monkeypatch.setitem(sys.modules, "pyaudio", None)  # not installed
    with pytest.raises(AudioError, match=r"pip install 'intelluxe-audio-client\[mic\]'"):
        MicrophoneSource().check()


def test_list_devices_lists_only_microphones(fake_pyaudio) -> None:
    pyaudio = fake_pyaudio()
    devices = list_devices()
    assert [(d.index, d.name, d.default_sample_rate) for d in devices] == [
        (1, "Microphone (USB)", 44100.0),
        (2, "Headset", 48000.0),
    ]
    assert [d.is_default for d in devices] == [True, False]
    assert [d.host_api for d in devices] == ["MME", "Windows WASAPI"]
    assert pyaudio.live == 0
