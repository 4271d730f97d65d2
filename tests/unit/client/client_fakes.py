"""Fakes for the client's tests: a clinic CA, and a real TLS websocket server that runs the server's own
`DictationSession` with the loudness VAD and an engine that "hears" the pitch of a tone.

The server's `core` is imported here, by the tests only, so the fake server answers exactly as the real one would:
same sequence and key checks, same segmentation, same events and close codes.

Audio in these tests is tones and silence: a tone is "speech" to the VAD and the engine transcribes a segment as
"tone <Hz>", so a transcript shows which stretch of audio each final came from.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import numpy as np
from cryptography import x509
from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from intelluxe_audio_client.config import ClientConfig
from websockets.asyncio.server import ServerConnection, serve

from core.transcription.engine import Segment
from core.transcription.session import DictationSession, SessionOutput
from core.transcription.vad import SpeechSegmenter, VadConfig

CLIENT_DIR = Path(__file__).resolve().parents[3] / "clients" / "windows" / "intelluxe-audio-client"
SR = 16000
TOKEN = "test-token-4f6a9c"
KEY = Fernet.generate_key().decode()


# Audio.
def tone(seconds: float, freq: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(round(seconds * SR))) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SR)), dtype=np.float32)


def pcm(audio: np.ndarray) -> bytes:
    return (np.clip(audio, -1, 1 - 1 / 32768) * 32768).astype("<i2").tobytes()


# Three "sentences": 300 Hz at 0.3-1.3 s, 500 Hz at 2.1-3.1 s, 700 Hz at 3.9-4.9 s; 5.7 s in all.
TONES = ((0.3, 300), (2.1, 500), (3.9, 700))
DICTATION = pcm(
    np.concatenate(
        [silence(0.3), tone(1.0, 300), silence(0.8), tone(1.0, 500), silence(0.8), tone(1.0, 700), silence(0.8)]
    )
)


class BlockSource:
    """An audio source yielding fixed blocks, with an optional pause after each (0 still yields to the loop)."""

    def __init__(self, data: bytes, block: int = 3200, delay: float = 0.0) -> None:
        self.data, self.block, self.delay = data, block, delay
        self.yielded = 0
        self.closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._blocks()

    async def _blocks(self) -> AsyncIterator[bytes]:
        try:
            for i in range(0, len(self.data), self.block):
                await asyncio.sleep(self.delay)
                self.yielded += len(self.data[i : i + self.block])
                yield self.data[i : i + self.block]
        finally:
            self.closed = True


# The clinic's PKI.
@dataclass(frozen=True)
class Pki:
    ca_pem: str
    cert: Path  # server certificate chain, signed by the CA
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_pki(folder: Path, label: str, *, dns: str = "localhost", ip: str | None = "127.0.0.1") -> Pki:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{label} clinic CA"))
        .issuer_name(_name(f"{label} clinic CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(dns)]
    if ip:
        names.append(x509.IPAddress(ipaddress.ip_address(ip)))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(dns))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{label}-server.pem", folder / f"{label}-server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Pki(ca_cert.public_bytes(serialization.Encoding.PEM).decode(), cert_path, key_path)


# The fake server.
class EnergyProbability:
    """The VAD stand-in of tests/unit/transcription: speech when a window's RMS is above 0.02."""

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        rms = np.sqrt(np.mean(windows.astype(np.float64) ** 2, axis=1))
        return np.where(rms > 0.02, 0.9, 0.05).astype(np.float32)

    def reset(self) -> None:
        """Stateless: nothing to forget."""


def hear(audio: np.ndarray) -> list[Segment]:
    """The fake engine: the segment's strongest frequency, to the nearest 50 Hz, as text."""
    if audio.size < 512:
        return []
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    freq = int(round(np.argmax(spectrum) * SR / audio.size / 50) * 50)
    return [Segment(f"tone {freq}", 0.0, audio.size / SR, 0.9)]


@dataclass
class Connection:
    """What one websocket connection carried: the client's messages (audio decrypted) and the server's events."""

    headers: Any  # websockets Headers: case-insensitive
    messages: list[dict[str, Any]] = field(default_factory=list)
    chunks: list[tuple[int, bytes]] = field(default_factory=list)  # (sequence, pcm), as decrypted with KEY
    timestamps: list[int] = field(default_factory=list)  # the Fernet timestamp of each audio token
    events: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None  # how the server ended it: its close code, or 1006 for a TCP reset

    @property
    def audio(self) -> bytes:
        return b"".join(chunk for _, chunk in self.chunks)

    def finals(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == "final"]


# A fault: (connection index, the event just sent) -> None, "abort" (TCP reset: 1006), or an error code to end the
# session with (e.g. "internal" -> 1011, "busy" -> 1013).
Fault = Callable[[int, dict[str, Any]], str | None]


class FakeServer:
    """A websockets 17 TLS server in a thread of its own, speaking the dictation protocol through DictationSession."""

    def __init__(self, pki: Pki, *, token: str = TOKEN, key: str = KEY, fault: Fault | None = None) -> None:
        self.pki, self.token, self.key, self.fault = pki, token, key, fault
        self.requests = 0
        self.connections: list[Connection] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-dictation-server", daemon=True)
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"wss://127.0.0.1:{self.port}/dictation"

    def config(self, **changes: str) -> ClientConfig:
        fields = {
            "server_url": self.url,
            "doctor_id": "dr.test",
            "token": self.token,
            "fernet_key": self.key,
            "ca_certificate": changes.pop("ca_certificate", None) or self.pki.ca_pem,
        }
        return ClientConfig(**{**fields, **changes})

    def __enter__(self) -> FakeServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.pki.cert, self.pki.key)
        probe = DictationSession(Fernet(self.key), ttl_seconds=60)
        self._server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            ssl=context,
            process_request=self._check_token,
            max_size=probe.max_message_chars,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    def _check_token(self, connection: ServerConnection, request: Any) -> Any:
        self.requests += 1
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return connection.respond(HTTPStatus.UNAUTHORIZED, "unauthorized\n")
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        record = Connection(headers=ws.request.headers)
        index = len(self.connections)
        self.connections.append(record)
        vad = VadConfig(partial_interval_s=0.5)
        session = DictationSession(
            MultiFernet([Fernet(self.key)]),
            ttl_seconds=60,
            segmenter_factory=lambda: SpeechSegmenter(vad, probability=EnergyProbability()),
        )
        async for frame in ws:
            self._record(record, frame)
            out = session.receive_text(frame)
            if await self._send(ws, record, index, session, out):
                return
            for job in out.jobs:
                if await self._send(ws, record, index, session, session.complete(job, hear(job.audio))):
                    return
        session.connection_lost()

    def _record(self, record: Connection, frame: str | bytes) -> None:
        message = json.loads(frame)
        record.messages.append(message)
        if message.get("type") == "audio":
            fernet = Fernet(self.key)
            try:
                plaintext = fernet.decrypt(message["data"].encode())
                record.timestamps.append(fernet.extract_timestamp(message["data"].encode()))
            except Exception:  # noqa: BLE001 - a wrong-key client: the session itself reports it
                return
            record.chunks.append((int.from_bytes(plaintext[:8], "big"), plaintext[8:]))

    async def _send(
        self, ws: ServerConnection, record: Connection, index: int, session: DictationSession, out: SessionOutput
    ) -> bool:
        """Send the events; True when the connection is over (closed normally, on an error, or by a fault)."""
        for message in out.messages():
            await ws.send(json.dumps(message))
            record.events.append(message)
            action = self.fault(index, message) if self.fault else None
            if action == "abort":
                await asyncio.sleep(0.1)  # let the event reach the client first
                ws.transport.abort()
                record.close_code = 1006
                return True
            if action:
                for extra in session.abort(action, "injected fault").messages():
                    await ws.send(json.dumps(extra))
                    record.events.append(extra)
                record.close_code = session.close_code
                await self._close(ws, record.close_code or 1011)
                return True
        if out.close_code is not None:
            record.close_code = out.close_code
            await self._close(ws, out.close_code)
            return True
        return False

    @staticmethod
    async def _close(ws: ServerConnection, code: int) -> None:
        """Close, reading (and dropping) what the client still sends meanwhile: a server that stops reading cannot
        see the client's half of the close handshake once its incoming queue is full."""

        async def drain() -> None:
            async for _ in ws:
                pass

        draining = asyncio.create_task(drain())
        await ws.close(code)
        draining.cancel()


# PyAudio: a module with paInt16 and a PyAudio class over DEVICES, for sys.modules["pyaudio"].
DEVICES = [
    {"index": 0, "name": "Speakers", "maxInputChannels": 0, "defaultSampleRate": 48000.0, "hostApi": 0},
    {"index": 1, "name": "Microphone (USB)", "maxInputChannels": 1, "defaultSampleRate": 44100.0, "hostApi": 0},
    {"index": 2, "name": "Headset", "maxInputChannels": 2, "defaultSampleRate": 48000.0, "hostApi": 1},
]


class FakeStream:
    def __init__(self, fail_after: int | None) -> None:
        self.reads = 0
        self.fail_after = fail_after
        self.closed = False

    def read(self, frames: int, exception_on_overflow: bool = True) -> bytes:
        assert exception_on_overflow is False  # an overflow must not end a dictation
        if self.fail_after is not None and self.reads >= self.fail_after:
            raise OSError(-9999, "Unanticipated host error")
        self.reads += 1
        time.sleep(0.002)  # a blocking read, as PortAudio's
        return np.full(frames, self.reads, dtype="<i2").tobytes()

    def stop_stream(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class FakePyAudioModule:
    """Stands in for the `pyaudio` module: paInt16 and a PyAudio class over DEVICES."""

    paInt16 = 8

    def __init__(self, refuse_rates: tuple[int, ...] = (), fail_after: int | None = None) -> None:
        self.refuse_rates = refuse_rates
        self.fail_after = fail_after
        self.opened: list[dict[str, Any]] = []
        self.streams: list[FakeStream] = []
        self.live = 0  # PyAudio instances not yet terminated

    def PyAudio(self) -> Any:  # noqa: N802 - the real module's name
        module = self
        module.live += 1

        class Instance:
            def get_device_count(self) -> int:
                return len(DEVICES)

            def get_device_info_by_index(self, index: int) -> dict[str, Any]:
                if not 0 <= index < len(DEVICES):
                    raise OSError(-9996, "Invalid device index")
                return dict(DEVICES[index])

            def get_default_input_device_info(self) -> dict[str, Any]:
                return dict(DEVICES[1])

            def get_host_api_info_by_index(self, index: int) -> dict[str, Any]:
                return {"name": ["MME", "Windows WASAPI"][index]}

            def open(self, **kwargs: Any) -> FakeStream:
                module.opened.append(kwargs)
                if kwargs["rate"] in module.refuse_rates:
                    raise OSError(-9997, "Invalid sample rate")
                stream = FakeStream(module.fail_after)
                module.streams.append(stream)
                return stream

            def terminate(self) -> None:
                module.live -= 1

        return Instance()
