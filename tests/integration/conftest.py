"""Fixtures of the dictation tests: the clinic's certificates, the espeak-ng clips, and a real audio-receiver.

`start_receiver(**env)` runs the service's own `Receiver` and `serve_forever` in a thread of the test process (its
own event loop, worker pool and database pool; the model is loaded once per process and shared, as in the
service) on a free port (or the PORT given), and stops it after the test.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, MultiFernet

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def dictation_clips(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The five clips of scripts/make-dictation-clips.sh, by name (core.transcription.evaluation.Clip)."""
    from core.transcription.evaluation import make_clips

    found = make_clips(tmp_path_factory.mktemp("dictation-clips"))
    assert len(found) == 5
    return found


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("certs")
    subprocess.run(["bash", str(ROOT / "scripts" / "gen-certs.sh"), str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def master_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def master(master_key: str) -> MultiFernet:
    return MultiFernet([Fernet(master_key.encode())])


class CountingEngine:
    """The shared real engine, counting the audio it is given (to show refused audio never reaches it)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.parallelism = getattr(engine, "parallelism", 1)
        self.model_path = getattr(engine, "model_path", None)
        self.seconds = 0.0
        self.calls = 0

    def transcribe(self, audio, **options):  # noqa: ANN001, ANN003, ANN201
        self.calls += 1
        self.seconds += audio.size / 16000
        return self.engine.transcribe(audio, **options)


@dataclass
class Served:
    url: str
    port: int
    engine: CountingEngine
    ca: Path
    stop: Callable[[], None]
    receiver: Any = None

    def ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


@pytest.fixture
def start_receiver(service_url: str, certs: Path, master_key: str, tmp_path: Path):  # noqa: ANN001, ANN201
    """Start a receiver with extra environment settings; stopped (and its pools closed) after the test."""
    from audio_receiver import ReceiverSettings, create_receiver, serve_forever
    from audio_receiver.receiver import routed_engine
    from core.transcription import TranscriptionPool, shared_engine

    started: list[Served] = []

    def start(router: Any = None, **env: str) -> Served:
        base = {
            "POSTGRES_URL": service_url,
            "INTELLUXE_MASTER_KEY": master_key,
            "INTELLUXE_HOME": str(tmp_path),
            "INTELLUXE_TOKEN_CACHE_SECONDS": "0",
            "TLS_CERT_DIR": str(certs),
            "PORT": "0",
            "HOST": "127.0.0.1",
        }
        settings = ReceiverSettings.from_env({**base, **env})
        engine = CountingEngine(routed_engine(router) if router is not None else shared_engine())
        pool = TranscriptionPool(engine, queue_size=settings.queue_size)
        receiver = create_receiver(settings, pool=pool, router=router)
        ready = threading.Event()
        loop = asyncio.new_event_loop()
        stop_event: list[asyncio.Event] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            stop_event.append(asyncio.Event())
            loop.run_until_complete(serve_forever(receiver, stop_event[0], lambda port: ready.set()))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert ready.wait(30), "receiver did not start"

        def stop() -> None:
            if loop.is_closed():
                return  # stopped already (a test that restarts the receiver stops it itself)
            loop.call_soon_threadsafe(stop_event[0].set)
            thread.join(30)
            receiver.close()
            loop.close()

        served = Served(
            f"wss://localhost:{receiver.port}/dictation", receiver.port, engine, certs / "ca.pem", stop, receiver
        )
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()
