"""Fixtures for the Windows dictation client's tests.

The client package lives outside the repo's Python packages (it installs alone on a doctor's PC): its folder is put
on sys.path here, and so is this folder, for the shared fakes in client_fakes.py (a clinic CA, a real TLS websocket
server running the server's own DictationSession, audio sources). pytest runs with --import-mode=importlib, which
adds no test folder to sys.path by itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("numpy")

HERE = Path(__file__).resolve().parent
CLIENT_DIR = HERE.parents[2] / "clients" / "windows" / "intelluxe-audio-client"
for folder in (CLIENT_DIR, HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from client_fakes import FakeServer, Pki, make_pki  # noqa: E402 - after the sys.path set-up


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """websockets honours proxy variables; the fake server is local."""
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """The clinic's CA and the audio server's certificate (SAN localhost and 127.0.0.1)."""
    return make_pki(tmp_path_factory.mktemp("pki"), "good")


@pytest.fixture(scope="session")
def rogue_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """Another CA, and a server certificate it signed for the same names: what an interceptor would present."""
    return make_pki(tmp_path_factory.mktemp("rogue"), "rogue")


@pytest.fixture(scope="session")
def misnamed_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A certificate from the right kind of CA but for another host only (no 127.0.0.1)."""
    return make_pki(tmp_path_factory.mktemp("misnamed"), "misnamed", dns="other.example", ip=None)


@pytest.fixture
def fake_server(pki: Pki) -> Iterator[Callable[..., FakeServer]]:
    """`fake_server(fault=..., pki=..., token=...)`: a started server, stopped after the test."""
    servers: list[FakeServer] = []

    def make(**kwargs: Any) -> FakeServer:
        server = FakeServer(kwargs.pop("pki", pki), **kwargs)
        servers.append(server.__enter__())
        return server

    yield make
    for server in servers:
        server.__exit__(None, None, None)
