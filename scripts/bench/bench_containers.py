#!/usr/bin/env python3
"""Benchmark: the containers of `intelluxe up --backend docker` under load — memory against each `memory_limit`.

What is measured, in one run: every container's memory (docker stats) at rest after `up`, then its peak while
clinic-like load runs through the published ports — `--clients` threads of POST /verify (Redis cache hits after the
first) on insurance-verify, the same number creating claims on billing (each one a call to insurance-verify with the
mounted service token, a stored claim and audit rows), and `--dictations` doctors dictating a long clip at once into
the receiver (Whisper in the container). Targets: every container's peak ≤ 0.8 × its memory_limit (headroom before
the kernel kills it), and no request failed. Prints each container's rest / peak / limit and the ratios; exits 0
either way (1 when something failed to run or a request failed).

Runs against the stack that `intelluxe up --backend docker` started for this environment (INTELLUXE_HOME and, for a
derived stack, INTELLUXE_STACK_FILE) — it starts nothing itself:

    intelluxe up --backend docker && python scripts/bench/bench_containers.py [--seconds 30] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import benchlib
import requests
from benchlib import BenchError

TARGET = 0.8
VERIFY_BODY = {"member_id": "XYZ100000001", "provider_id": "dr-smith", "service_codes": ["99213"]}
CLAIM_BODY = {
    "patient_data": {"patient_id": "P-BENCH", "provider_id": "dr-smith", "member_id": "XYZ100000001"},
    "services": [{"code": "99213", "amount": "150.00", "allowed_amount": "100.00", "diagnosis_codes": ["J06.9"]}],
}
_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "kB": 1000, "MB": 1000**2, "GB": 1000**3}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the HTTP load runs (default 30)")
    parser.add_argument("--clients", type=int, default=8, help="threads per HTTP service (default 8)")
    parser.add_argument("--dictations", type=int, default=2, help="doctors dictating at once (default 2)")
    return parser.parse_args(argv)


def _bytes(text: str) -> int:
    m = re.fullmatch(r"([\d.]+)\s*([A-Za-z]+)", text.strip())
    if m is None or m.group(2) not in _UNITS:
        raise BenchError(f"docker stats printed an unreadable size {text!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def memory_now(names: Sequence[str]) -> dict[str, int]:
    out = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}", *names],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    usage = {}
    for line in out.splitlines():
        name, _, mem = line.partition("\t")
        usage[name] = _bytes(mem.split("/")[0])
    return usage


def memory_limits(names: Sequence[str]) -> dict[str, int]:
    out = subprocess.run(
        ["docker", "inspect", "--format", "{{.Name}}\t{{.HostConfig.Memory}}", *names],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return {line.split("\t")[0].lstrip("/"): int(line.split("\t")[1]) for line in out.splitlines()}


class Sampler(threading.Thread):
    """The peak of each container's memory, sampled as fast as `docker stats` answers (about once a second)."""

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__(daemon=True)
        self.names = list(names)
        self.peak: dict[str, int] = dict.fromkeys(self.names, 0)
        self.samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for name, used in memory_now(self.names).items():
                self.peak[name] = max(self.peak[name], used)
            self.samples += 1


def http_load(url: str, token: str, body: dict[str, object], seconds: float, clients: int) -> tuple[int, int]:
    """(answered 200, failed) after `clients` threads post `body` for `seconds`."""
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        while time.monotonic() < deadline:
            try:
                ok = session.post(url, json=body, timeout=60).status_code == 200
            except requests.RequestException:
                ok = False
            with lock:
                counts["ok" if ok else "failed"] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts["ok"], counts["failed"]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from core import stack, stack_docker
    from core.config import Settings

    settings = Settings.from_env()
    if shutil.which("docker") is None:
        raise BenchError("no docker CLI")
    services, _ = stack.status(settings)
    down = [s.name for s in services if not s.ok or s.backend != "docker"]
    if down or not services:
        raise BenchError(f"start the stack first (intelluxe up --backend docker); not running in docker: {down}")
    url = {s.name: s.url for s in services}
    names = [s.name for s in services]
    infrastructure = stack.Stack.load(settings.root, settings.stack_file).infrastructure
    postgres = next(e for e in infrastructure if e.name == "postgres")
    owner = stack_docker.owner_database(postgres.conf, settings.home, settings.environ)
    env = {**os.environ, "POSTGRES_URL": owner.url()}
    intelluxe = [sys.executable, "-m", "core.cli"]
    stamp = f"{os.getpid()}-{int(time.time())}"
    token = subprocess.run(
        [*intelluxe, "token", "issue", "--name", f"bench-containers-{stamp}", "--role", "billing"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    limits = memory_limits(names)
    rest = memory_now(names)
    with tempfile.TemporaryDirectory() as tmp:
        clip = _long_clip(Path(tmp))
        configs = []
        for n in range(args.dictations):
            config = Path(tmp) / f"dr{n}.json"
            subprocess.run(
                [*intelluxe, "enroll-doctor", f"dr-bench-{stamp}-{n}", "--out", str(config)],
                env={**env, "INTELLUXE_AUDIO_URL": url["audio-receiver"].replace("https://", "wss://") + "/dictation"},
                capture_output=True,
                text=True,
                check=True,
            )
            configs.append(config)
        sampler = Sampler(names)
        sampler.start()
        started = time.monotonic()
        dictations = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "intelluxe_audio_client",
                    "--config",
                    str(c),
                    "--wav",
                    str(clip),
                    "--pace",
                    "1",
                    "--out",
                    str(c.with_suffix(".txt")),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for c in configs
        ]
        results: dict[str, tuple[int, int]] = {}

        def load(key: str, path: str, body: dict[str, object]) -> None:
            results[key] = http_load(path, token, body, args.seconds, args.clients)

        loads = [
            threading.Thread(target=load, args=("verify", url["insurance-verify"] + "/verify", VERIFY_BODY)),
            threading.Thread(target=load, args=("claims", url["billing"] + "/create_claim", CLAIM_BODY)),
        ]
        for t in loads:
            t.start()
        for t in loads:
            t.join()
        dictation_failures = 0
        for process in dictations:
            if process.wait(timeout=600) != 0:
                dictation_failures += 1
                print(f"a dictation failed: {process.stderr.read().strip()[-500:]}", file=sys.stderr)
        seconds_of_audio = clip_seconds(clip)
        words = sum(len(c.with_suffix(".txt").read_text().split()) for c in configs if c.with_suffix(".txt").exists())
        elapsed = time.monotonic() - started
        sampler.stop.set()
        sampler.join()

    print(
        f"load: {elapsed:.0f} s; {args.clients} clients each on /verify and /create_claim; "
        f"{args.dictations} dictations of {seconds_of_audio:.0f} s ({words} words back); {sampler.samples} samples"
    )
    for key, (ok, failed) in results.items():
        print(f"  {key:<7} {ok} answered, {failed} failed ({ok / args.seconds:.0f}/s)")
    print(f"{'container':<18} {'rest':>9} {'peak':>9} {'limit':>9} {'peak/limit':>11}  target ≤ {TARGET}")
    verdicts = []
    for name in names:
        limit = limits.get(name) or 0
        ratio = sampler.peak[name] / limit if limit else float("nan")
        verdicts.append(limit > 0 and ratio <= TARGET)
        print(
            f"{name:<18} {rest[name] / 2**20:>7.0f}Mi {sampler.peak[name] / 2**20:>7.0f}Mi "
            f"{limit / 2**20:>7.0f}Mi {ratio:>11.2f}  {'PASS' if verdicts[-1] else 'BELOW TARGET'}"
        )
    failed = sum(f for _, f in results.values()) + dictation_failures
    print(json.dumps({"peak_over_limit": {n: round(sampler.peak[n] / limits[n], 3) for n in names if limits.get(n)}}))
    if failed:
        print(f"{failed} requests or dictations failed: the figures are not valid", file=sys.stderr)
        return 1
    print("PASS" if all(verdicts) else "BELOW TARGET")
    return 0


def _long_clip(folder: Path) -> Path:
    """A minute of dictation made here with espeak-ng (scripts/make-dictation-clips.sh), the longest clip of the set."""
    subprocess.run(
        ["bash", str(benchlib.ROOT / "scripts" / "make-dictation-clips.sh"), str(folder / "clips")],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return max((folder / "clips").glob("*.wav"), key=lambda p: p.stat().st_size)


def clip_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
