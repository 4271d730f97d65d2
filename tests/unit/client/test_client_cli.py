"""intelluxe-dictate: arguments, exit codes, --out, and Ctrl-C (once: finish; twice: quit) through a real SIGINT."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import pytest
from client_fakes import CLIENT_DIR, DICTATION, FakePyAudioModule, FakeServer
from intelluxe_audio_client import DictationClient, TerminalDisplay, WavSource
from intelluxe_audio_client.cli import _on_interrupt, dictate, main


def write_config(path: Path, server: FakeServer, **changes: str) -> Path:
    config = server.config(**changes)
    fields = ("server_url", "doctor_id", "token", "fernet_key", "ca_certificate")
    path.write_text(json.dumps({name: getattr(config, name) for name in fields}), encoding="utf-8")
    path.chmod(0o600)
    return path


def write_wav(path: Path, pcm: bytes) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm)
    return path


def test_dictating_a_wav_prints_finals_and_writes_out(fake_server, tmp_path: Path, capsys) -> None:
    server = fake_server()
    config = write_config(tmp_path / "dictation.json", server)
    wav, out = write_wav(tmp_path / "note.wav", DICTATION), tmp_path / "note.txt"
    assert main(["--config", str(config), "--wav", str(wav), "--pace", "0", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == "tone 300\ntone 500\ntone 700\n"
    assert capsys.readouterr().out == "tone 300\ntone 500\ntone 700\n"  # not a terminal: finals only
    assert server.connections[0].audio == DICTATION


def test_refused_token_exits_3_with_advice(fake_server, tmp_path: Path, capsys) -> None:
    server = fake_server()
    config = write_config(tmp_path / "dictation.json", server, token="revoked")
    wav, out = write_wav(tmp_path / "note.wav", DICTATION), tmp_path / "note.txt"
    assert main(["--config", str(config), "--wav", str(wav), "--pace", "0", "--out", str(out)]) == 3
    assert "ask the clinic to re-enroll you" in capsys.readouterr().err
    assert not out.exists()  # nothing was transcribed
    assert server.requests == 1


def test_a_server_outside_the_clinic_ca_exits_2(fake_server, rogue_pki, pki, tmp_path: Path, capsys) -> None:
    server = fake_server(pki=rogue_pki)
    config = write_config(tmp_path / "dictation.json", server, ca_certificate=pki.ca_pem)
    wav = write_wav(tmp_path / "note.wav", DICTATION)
    assert main(["--config", str(config), "--wav", str(wav), "--pace", "0"]) == 2
    assert "clinic CA" in capsys.readouterr().err and server.requests == 0


def test_giving_up_exits_4(fake_server, tmp_path: Path) -> None:
    server = fake_server(fault=lambda index, event: "busy")
    client = DictationClient(server.config(), max_retries=1, backoff_initial=0.01)
    display = TerminalDisplay(io.StringIO(), io.StringIO())
    code = asyncio.run(
        dictate(server.config(), WavSource(write_wav(tmp_path / "n.wav", DICTATION), pace=0), display, client=client)
    )
    assert code == 4 and "gave up" in display.err.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "--config FILE is needed"),
        (["--config", "{missing}"], "no such file"),
        (["--config", "{bad}"], "missing fernet_key"),
        (["--config", "{good}", "--pace", "0"], "--pace only applies to --wav"),
        (["--config", "{good}", "--wav", "{missing}"], "no such file"),
    ],
)
def test_usage_and_config_errors_exit_2(fake_server, tmp_path: Path, capsys, monkeypatch, argv, message) -> None:
    monkeypatch.delenv("INTELLUXE_DICTATE_CONFIG", raising=False)
    good = write_config(tmp_path / "good.json", fake_server())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({k: v for k, v in json.loads(good.read_text()).items() if k != "fernet_key"}))
    paths = {"missing": tmp_path / "missing", "bad": bad, "good": good}
    assert main([arg.format(**paths) for arg in argv]) == 2
    assert message in capsys.readouterr().err


def test_device_and_wav_are_exclusive(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--config", "x", "--device", "1", "--wav", "y"])
    assert caught.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_list_devices(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "pyaudio", FakePyAudioModule())
    assert main(["--list-devices"]) == 0
    out = capsys.readouterr().out
    assert "Microphone (USB)  (default)" in out and "Headset" in out and "Speakers" not in out


def test_list_devices_without_pyaudio_exits_2(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "pyaudio", None)
    assert main(["--list-devices"]) == 2
    assert "PyAudio is not installed" in capsys.readouterr().err


@pytest.mark.skipif(os.name != "posix", reason="sends itself SIGINT")
@pytest.mark.parametrize(("presses", "code"), [(1, 0), (2, 130)])
def test_ctrl_c_once_finishes_and_twice_quits_both_writing_out(fake_server, tmp_path: Path, presses, code) -> None:
    server = fake_server()
    long_dictation = write_wav(tmp_path / "long.wav", DICTATION * 4)  # 22.8 s, played 10x faster than real time
    out = tmp_path / "note.txt"
    display = TerminalDisplay(io.StringIO(), io.StringIO())
    pressed = False

    def on_event(event: dict[str, Any], at: float) -> None:
        nonlocal pressed
        display(event, at)
        if event["type"] == "final" and not pressed:
            pressed = True
            for _ in range(presses):
                os.kill(os.getpid(), signal.SIGINT)

    client = DictationClient(server.config(), on_event=on_event)
    result = asyncio.run(dictate(server.config(), WavSource(long_dictation, pace=0.1), display, out=out, client=client))
    assert result == code
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "tone 300" and len(lines) < 12  # stopped early, the first sentence kept
    (conn,) = server.connections
    if presses == 1:
        assert "waiting for the last sentences" in display.err.getvalue()
        assert conn.messages[-1] == {"type": "end"} and conn.events[-1]["type"] == "done"
    else:
        assert "quit" in display.err.getvalue()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C is pytest's again


@pytest.mark.skipif(os.name != "posix", reason="sends itself SIGINT")
def test_ctrl_c_without_add_signal_handler_uses_signal_signal_as_on_windows() -> None:
    """Windows' proactor loop has no add_signal_handler; the fallback hands each Ctrl-C to the loop."""
    calls: list[int] = []

    async def run() -> None:
        loop = asyncio.get_running_loop()

        class ProactorLike:
            def add_signal_handler(self, *args: Any) -> None:
                raise NotImplementedError

            def call_soon_threadsafe(self, callback: Any) -> None:
                loop.call_soon_threadsafe(callback)

        before = signal.getsignal(signal.SIGINT)
        restore = _on_interrupt(ProactorLike(), lambda: calls.append(len(calls) + 1))  # type: ignore[arg-type]
        try:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.sleep(0.05)
        finally:
            restore()
        assert signal.getsignal(signal.SIGINT) is before

    asyncio.run(run())
    assert calls == [1, 2]


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "intelluxe_audio_client", "--version"],
        cwd=CLIENT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("intelluxe-dictate 0.1.0")
