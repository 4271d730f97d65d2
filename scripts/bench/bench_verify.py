#!/usr/bin/env python3
"""Benchmark: POST /verify cache hits per second, as ratios of two baselines on the same gunicorn.

Why a ratio: requests/s depend on the machine, so an absolute number in a test would pass on one laptop and fail
on the next. Both figures are measured here, in the same run, on the same machine, with the same gunicorn command
and settings (core.gunicorn_conf), the same load generator (wrk), the same connection count and duration; only
the app differs. Two baselines: hello-world (hello_app.py: no I/O; the ratio says what everything costs on top
of Flask + gunicorn) and same-I/O (io_app.py: token lookup, one Redis GET, one INSERT + COMMIT; the ratio says what
insurance-verify adds beyond the I/O every authenticated, durably audited request must do).

What a /verify cache hit includes, and so what is measured: bearer-token lookup in PostgreSQL, body validation,
clinic/payer config, the Redis GET, building the answer, the hash-chained audit row appended to PostgreSQL (under
a global advisory lock) and one log line. The payer sandbox is running but, after the warm-up call, is not asked.

Targets: verify/same-I/O >= 0.7x and verify p99 <= 30 ms at the given concurrency (run it at 8 and 32);
verify/hello is printed with its old target (0.6x) for comparison. The script prints PASS or
BELOW TARGET and exits 0 either way; it exits 1 only when something failed to run (or requests failed).

    python scripts/bench/bench_verify.py [--duration 6] [--rounds 3] [--connections 8]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import benchlib
from benchlib import BenchError

VERIFY_BODY = {"member_id": "XYZ100000001", "provider_id": "dr-smith", "service_codes": ["99213"]}
WRK_INSTALL = "apt-get update && apt-get install -y wrk   (Debian/Ubuntu; macOS: brew install wrk)"
# wrk calls done() once at the end; it prints one line this script parses (latencies in microseconds).
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT {{\\"requests\\": %.0f, \\"duration_us\\": %.0f, \\"connect\\": %.0f, \\"read\\": %.0f, " ..
    "\\"write\\": %.0f, \\"status\\": %.0f, \\"timeout\\": %.0f, \\"p50_us\\": %.0f, \\"p90_us\\": %.0f, " ..
    "\\"p99_us\\": %.0f, \\"max_us\\": %.0f}}\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6.0, help="seconds of measured load per app and round (6)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating hello/verify rounds (3)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load per app, once (2)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections (8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2; at most --connections)")
    parser.add_argument("--target-ratio", type=float, default=0.6, help="verify/hello target (0.6)")
    parser.add_argument("--target-p99-ms", type=float, default=30.0, help="verify p99 target in ms (30)")
    parser.add_argument("--target-io-ratio", type=float, default=0.7, help="verify/same-I/O target (0.7)")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 60 or not 1 <= args.rounds <= 20:
        parser.error("--duration must be 1-600 s, --warmup 0-60 s and --rounds 1-20")
    if not 1 <= args.connections <= 256 or args.threads < 1:
        parser.error("--connections must be 1-256 and --threads at least 1")
    args.threads = min(args.threads, args.connections)
    return args


def run_wrk(wrk: str, url: str, script: Path, args: argparse.Namespace, seconds: float) -> WrkResult:
    """One wrk run against `url`; wrk is stopped with its process group if anything interrupts us."""
    argv = [
        wrk,
        "-t",
        str(args.threads),
        "-c",
        str(args.connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        url,
    ]
    process = subprocess.Popen(  # noqa: S603 - wrk from PATH with a fixed argv, no shell
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        out, err = process.communicate(timeout=seconds + 30)
    finally:
        benchlib.stop_group(process, timeout=5)
    text = out.decode(errors="replace")
    line = next((ln for ln in text.splitlines() if ln.startswith("WRK_RESULT ")), None)
    if process.returncode != 0 or line is None:
        raise BenchError(f"wrk failed (exit {process.returncode}): {err.decode(errors='replace').strip() or text}")
    raw = json.loads(line.removeprefix("WRK_RESULT "))
    return WrkResult(
        requests=int(raw["requests"]),
        seconds=raw["duration_us"] / 1e6,
        errors={k: int(raw[k]) for k in ("connect", "read", "write", "status", "timeout") if raw[k]},
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


def verify_once(url: str, token: str) -> dict[str, object]:
    status, _, body = benchlib.request(url, "POST", "/verify", VERIFY_BODY, {"Authorization": f"Bearer {token}"})
    if status != 200:
        raise BenchError(f"POST /verify answered HTTP {status}: {body[:300]!r}")
    answer: dict[str, object] = json.loads(body)
    return answer


def load(
    wrk: str, targets: list[tuple[str, str]], script: Path, args: argparse.Namespace
) -> dict[str, list[WrkResult]]:
    """Warm each target up once, then measure them in alternation, `--rounds` times (A B A B ...).

    Alternating rounds spread a passing disturbance (another process on the machine) over both apps instead of
    letting it land on one of them; the summary takes medians over the rounds.
    """
    for label, url in targets:
        if args.warmup > 0:
            print(f"  {label}: warm-up {args.warmup:.0f} s", flush=True)
            run_wrk(wrk, url, script, args, args.warmup)
    results: dict[str, list[WrkResult]] = {label: [] for label, _ in targets}
    for round_no in range(1, args.rounds + 1):
        for label, url in targets:
            print(f"  round {round_no}/{args.rounds}: {label} {args.duration:.0f} s", flush=True)
            results[label].append(run_wrk(wrk, url, script, args, args.duration))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = benchlib.require_program("wrk", WRK_INSTALL)
    benchlib.require_python_module("flask", "pip install -e . (from the repository root)")
    print("bench_verify: POST /verify (Redis cache hit) vs a hello-world Flask app, same gunicorn, same load")
    with contextlib.ExitStack() as stack:
        workdir = stack.enter_context(benchlib.workspace("bench-verify-"))
        backing = stack.enter_context(benchlib.backing_servers(workdir))
        dsn = stack.enter_context(benchlib.bench_database(backing.postgres_server_url))
        procs = benchlib.Processes(workdir)
        stack.callback(procs.stop_all)

        sandbox = procs.start_service("payer-sandbox", {})
        hello = procs.start_gunicorn("hello", "hello_app:app", benchlib.BENCH_DIR, {})
        benchlib.execute(dsn, "CREATE TABLE IF NOT EXISTS bench_io_log (key_id text, at timestamptz DEFAULT now())")
        io = procs.start_gunicorn(
            "io", "io_app:app", benchlib.BENCH_DIR, {"POSTGRES_URL": dsn, "REDIS_URL": backing.redis_url}
        )
        procs.wait_healthy(sandbox)
        verify_env = {"POSTGRES_URL": dsn, "REDIS_URL": backing.redis_url, "PAYER_SANDBOX_URL": sandbox.url}
        verify = procs.start_service("insurance-verify", verify_env)
        procs.wait_healthy(hello)
        procs.wait_healthy(io)
        procs.wait_healthy(verify)

        token = benchlib.issue_token(dsn, f"bench-clinician-{int(time.time())}", "clinician")
        first = verify_once(verify.url, token)  # the payer answers (or an earlier run's cache entry)
        second = verify_once(verify.url, token)
        if second.get("source") != "cache":
            raise BenchError(f"the second /verify was not a cache hit (source={second.get('source')!r}); is Redis up?")

        script = workdir / "post.lua"
        script.write_text(WRK_SCRIPT.format(body=json.dumps(VERIFY_BODY), token=token), encoding="utf-8")
        script.chmod(0o600)
        print(f"  gunicorn: {benchlib.gunicorn_settings()}")
        print(
            f"  load: wrk, {args.threads} threads, {args.connections} keep-alive connections, same body for both;"
            f" {args.rounds} rounds x {args.duration:.0f} s per app"
        )
        print(
            f"  PostgreSQL {benchlib.describe_dsn(dsn)}, Redis {benchlib.describe_redis(backing.redis_url)}"
            f" ({backing.origin}); warm-up /verify source: {first.get('source')} then {second.get('source')}"
        )

        audit_sql = "SELECT count(*) FROM audit_log WHERE service = 'insurance-verify'"
        audit_before = int(benchlib.scalar(dsn, audit_sql))
        targets = [("hello", f"{hello.url}/hello"), ("same-I/O", f"{io.url}/io"), ("verify", f"{verify.url}/verify")]
        results = load(wrk, targets, script, args)
        audits = int(benchlib.scalar(dsn, audit_sql)) - audit_before
        sample = verify_once(verify.url, token)

    return report(args, results, sample, audits)


def report(
    args: argparse.Namespace, results: dict[str, list[WrkResult]], sample: dict[str, object], audits: int
) -> int:
    print()
    print(f"{'':26}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}  errors")
    for i in range(args.rounds):
        for label, runs in results.items():
            r = runs[i]
            errors = ", ".join(f"{k}={n}" for k, n in r.errors.items()) or "0"
            print(
                f"{f'round {i + 1} {label}':26}{r.requests:>10}{r.rate:>10.1f}{r.p50_ms:>9.2f}{r.p90_ms:>9.2f}"
                f"{r.p99_ms:>9.2f}{r.max_ms:>9.1f}  {errors}"
            )
    verify = results["verify"]

    def ratio(base: str) -> float:
        return statistics.median(v.rate / b.rate for b, v in zip(results[base], verify, strict=True) if b.rate)

    p50 = statistics.median(r.p50_ms for r in verify)
    p99 = statistics.median(r.p99_ms for r in verify)
    print()
    for label, runs in results.items():
        print(f"{label + ':':20}{statistics.median(r.rate for r in runs):9.1f} req/s   (median of {len(runs)} rounds)")
    print(f"verify p50 {p50:.2f} ms, p99 {p99:.2f} ms (medians)")
    io_ratio, hello_ratio = ratio("same-I/O"), ratio("hello")
    print(
        f"ratio verify/same-I/O: {io_ratio:.3f}x   target >= {args.target_io_ratio:.2f}x   "
        f"{benchlib.verdict(io_ratio >= args.target_io_ratio)}   (median of per-round ratios)"
    )
    print(
        f"ratio verify/hello:    {hello_ratio:.3f}x   target >= {args.target_ratio:.2f}x   "
        f"{benchlib.verdict(hello_ratio >= args.target_ratio)}"
    )
    print(
        f"verify p99:            {p99:.2f} ms   target <= {args.target_p99_ms:.0f} ms   "
        f"{benchlib.verdict(p99 <= args.target_p99_ms)}   at {args.connections} connections"
    )
    print(
        f"sample /verify after the load: source={sample.get('source')!r}, "
        f"eligibility_status={sample.get('eligibility_status')!r}; audit rows appended by insurance-verify "
        f"during warm-up and rounds: {audits}"
    )
    failed = [
        f"{label}: {r.error_count} failed requests ({r.errors})"
        for label, runs in results.items()
        for r in runs
        if r.error_count
    ]
    if sample.get("source") != "cache":
        failed.append(f"the sample /verify after the load was not a cache hit (source={sample.get('source')!r})")
    if failed:
        raise BenchError("; ".join(failed) + " -- the figures above are not a valid measurement")
    return 0


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
