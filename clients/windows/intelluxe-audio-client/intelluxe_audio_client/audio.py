"""Audio sources: async iterators of 16 kHz mono s16le PCM, the only format the server accepts.

A source is anything with `__aiter__` yielding `bytes` (even length). The client reads it in its own task and
buffers what it yields, so a source never waits for the network: a microphone keeps being read while the client
reconnects. Two sources are here:

- `WavSource`: a file, at real-time pace (to test and benchmark with recorded dictations) or as fast as possible.
- `MicrophoneSource`: PyAudio. PortAudio's blocking `read` runs in a thread of its own, which also opens and
  closes the stream, so the event loop never waits on the sound card and the stream is never closed under a read.

`check()` on either source fails fast (missing file, PyAudio not installed, no such device) before anything
connects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from intelluxe_audio_client.errors import AudioError
from intelluxe_audio_client.resample import Resampler, float_to_pcm16, pcm16_to_float
from intelluxe_audio_client.wav import WavFormat, decode, read_format

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
FRAME_SECONDS = 0.1  # what a source yields at a time: short enough for partials, long enough to be cheap


class AudioSource(Protocol):
    """What `DictationClient.run` reads: 16 kHz mono s16le bytes, in blocks of any (even) size."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...


class WavSource:
    """A WAV file as a dictation, resampled to 16 kHz mono.

    Args:
        path: a PCM WAV (8/16/24/32-bit integer or 32/64-bit float, any channels, any rate).
        pace: wall-clock seconds per second of audio: 1.0 plays it in real time like a microphone (each 100 ms
            block is yielded once its last sample "has been spoken"), 0 as fast as possible, 0.5 twice as fast.
    """

    def __init__(self, path: str | os.PathLike[str], pace: float = 1.0) -> None:
        if not pace >= 0:
            raise ValueError("pace must be 0 (as fast as possible) or more")
        self.path = Path(path)
        self.pace = float(pace)
        self.format: WavFormat = read_format(self.path)  # fails now, not after connecting

    @property
    def duration(self) -> float:
        """Seconds of audio in the file."""
        return self.format.duration

    def check(self) -> None:
        """The file was checked when the source was made; nothing more to do."""

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._read()

    async def _read(self) -> AsyncIterator[bytes]:
        fmt = self.format
        resampler = Resampler(fmt.sample_rate, SAMPLE_RATE)
        block_bytes = max(1, int(fmt.sample_rate * FRAME_SECONDS)) * fmt.block_align
        loop = asyncio.get_running_loop()
        started = loop.time()
        emitted = 0  # 16 kHz samples yielded so far
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise AudioError(f"{self.path}: cannot read it ({exc.strerror or exc})") from None
        with handle:
            handle.seek(fmt.data_offset)
            remaining = fmt.data_bytes
            while remaining > 0:
                raw = handle.read(min(block_bytes, remaining))
                if not raw:
                    break  # shorter than its header said
                remaining -= len(raw)
                pcm = float_to_pcm16(resampler.process(decode(raw, fmt)))
                emitted += len(pcm) // 2
                await self._wait_until(loop, started + emitted / SAMPLE_RATE * self.pace)
                if pcm:
                    yield pcm
        tail = float_to_pcm16(resampler.flush())
        if tail:
            yield tail

    async def _wait_until(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        # Even at pace 0 give the other tasks (the client's sender and receiver) a turn after every block.
        await asyncio.sleep(max(0.0, when - loop.time()) if self.pace else 0)


@dataclass(frozen=True)
class InputDevice:
    """A microphone PortAudio can open. On Windows the same microphone appears once per host API (MME, DirectSound,
    WASAPI, WDM-KS); MME is the most forgiving about the 16 kHz rate."""

    index: int
    name: str
    default_sample_rate: float
    max_input_channels: int
    host_api: str
    is_default: bool


def import_pyaudio() -> ModuleType:
    """PyAudio, imported only when a microphone is used, so WAV files and tests work without it."""
    try:
        import pyaudio
    except ImportError:
        raise AudioError(
            "PyAudio is not installed: pip install 'intelluxe-audio-client[mic]' "
            "(Windows wheels include PortAudio; on Linux install portaudio19-dev first)"
        ) from None
    return pyaudio


def list_devices() -> list[InputDevice]:
    """The input devices (microphones) PortAudio sees, by index."""
    pyaudio = import_pyaudio()
    pa = pyaudio.PyAudio()
    try:
        try:
            default_index = int(pa.get_default_input_device_info()["index"])
        except (OSError, KeyError):
            default_index = -1  # no default input device
        devices = []
        for index in range(pa.get_device_count()):
            info = pa.get_device_info_by_index(index)
            if int(info.get("maxInputChannels", 0)) <= 0:
                continue
            devices.append(
                InputDevice(
                    index=index,
                    name=str(info.get("name", f"device {index}")),
                    default_sample_rate=float(info.get("defaultSampleRate", 0.0)),
                    max_input_channels=int(info["maxInputChannels"]),
                    host_api=_host_api_name(pa, info),
                    is_default=index == default_index,
                )
            )
        return devices
    finally:
        pa.terminate()


def _host_api_name(pa: Any, info: dict[str, Any]) -> str:
    try:
        return str(pa.get_host_api_info_by_index(info["hostApi"])["name"])
    except (OSError, KeyError, AttributeError):
        return ""


class MicrophoneSource:
    """A microphone through PyAudio: 16 kHz, mono, 16-bit, ~100 ms per block.

    If the device refuses 16 kHz (some WASAPI and ALSA devices take only their own rate), it is opened at its
    default rate and resampled here.

    Args:
        device: a PortAudio device index (see `list_devices`); None for the system's default microphone.
    """

    def __init__(self, device: int | None = None) -> None:
        self.device = device

    def check(self) -> None:
        """PyAudio is installed and the device is a microphone; AudioError saying what to do otherwise."""
        pyaudio = import_pyaudio()
        pa = pyaudio.PyAudio()
        try:
            self._device_info(pa)
        finally:
            pa.terminate()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._capture()

    def _device_info(self, pa: Any) -> dict[str, Any]:
        try:
            if self.device is None:
                info = pa.get_default_input_device_info()
            else:
                info = pa.get_device_info_by_index(self.device)
        except (OSError, ValueError):
            what = "no default microphone" if self.device is None else f"no audio device {self.device}"
            raise AudioError(f"{what} (see --list-devices)") from None
        if int(info.get("maxInputChannels", 0)) <= 0:
            raise AudioError(
                f"audio device {self.device} ({info.get('name')}) is not a microphone (see --list-devices)"
            )
        return info

    def _open(self, pa: Any, pyaudio: ModuleType) -> tuple[Any, int]:
        """The open stream and its rate: 16 kHz when the device takes it, else its default rate."""
        info = self._device_info(pa)
        rates = [SAMPLE_RATE]
        default_rate = int(float(info.get("defaultSampleRate", 0)))
        if default_rate and default_rate != SAMPLE_RATE:
            rates.append(default_rate)
        failure: Exception | None = None
        for rate in rates:
            try:
                stream = pa.open(
                    format=pyaudio.paInt16,
                    channels=1,
                    rate=rate,
                    input=True,
                    input_device_index=self.device,
                    frames_per_buffer=int(rate * FRAME_SECONDS),
                )
            except (OSError, ValueError) as exc:
                failure = exc
                log.info("microphone refused %d Hz (%s)", rate, exc)
                continue
            return stream, rate
        raise AudioError(f"cannot open the microphone: {failure}")

    async def _capture(self) -> AsyncIterator[bytes]:
        pyaudio = import_pyaudio()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue()
        opened: asyncio.Future[int] = loop.create_future()
        stop = threading.Event()

        def deliver(item: bytes | BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening any more
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def reader() -> None:
            """Open, read until told to stop, close — all in this thread, so no call ever races a close."""
            pa = pyaudio.PyAudio()
            stream = None
            try:
                stream, rate = self._open(pa, pyaudio)
                loop.call_soon_threadsafe(_resolve, opened, rate)
                frames = int(rate * FRAME_SECONDS)
                while not stop.is_set():
                    deliver(stream.read(frames, exception_on_overflow=False))
            except Exception as exc:  # noqa: BLE001 - handed to the event loop and raised there
                error = exc if isinstance(exc, AudioError) else AudioError(f"the microphone failed: {exc}")
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_reject, opened, error)
                deliver(error)
            finally:
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.stop_stream()
                    stream.close()
                pa.terminate()
                deliver(None)

        thread = threading.Thread(target=reader, name="intelluxe-microphone", daemon=True)
        thread.start()
        try:
            rate = await opened
            resampler = Resampler(rate, SAMPLE_RATE) if rate != SAMPLE_RATE else None
            while True:
                item = await queue.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                if resampler is not None:
                    item = float_to_pcm16(resampler.process(pcm16_to_float(item)))
                if item:
                    yield item
        finally:
            stop.set()
            # Wait (briefly) for the thread to release the device: the next dictation may open it again at once.
            await asyncio.shield(asyncio.to_thread(thread.join, 2.0))


def _resolve(future: asyncio.Future[int], value: int) -> None:
    if not future.done():
        future.set_result(value)


def _reject(future: asyncio.Future[int], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
