#!/usr/bin/env python3
"""Benchmark: POST /create_claim claims per second, as a ratio of bare INSERT + COMMIT into the same claims table.

Why a ratio: claims/s depend on the machine and its disk, so an absolute number in a test would pass on one
laptop and fail on the next. The baseline is the floor under every claim: the same number of single-row
`INSERT INTO claims (...) VALUES (...)` + COMMIT, with a claim_data JSON payload taken from a real claim of this
run (same size), from the same number of concurrent psycopg2 connections, on the same fresh database, in the same
run. The ratio says what the service adds on top of the one write a claim cannot avoid.

What one /create_claim includes, and so what is measured: billing's token lookup, the Idempotency-Key lookup, an
HTTP call to insurance-verify (its own token lookup, the Redis cache hit and its audit row), the
patient-responsibility estimate (this body carries its allowed amounts, so no fee-schedule query), and one
transaction that takes the idempotency advisory lock, inserts the claim and its idempotency record and appends
billing's hash-chained audit row (global advisory lock).

A second baseline, the same I/O over HTTP (io_app.py's POST /claim under the same gunicorn: token lookup, a Redis
GET, the same eligibility call to the same insurance-verify, one INSERT + COMMIT), says what billing adds beyond
the I/O a claim cannot skip.

Targets: create_claim/same-I/O >= 0.7x (run it at 8 and 32 clients); create_claim/insert >= 0.3x is printed too.
The script prints PASS or BELOW TARGET and exits 0 either way; it exits 1 when something failed to run or any
request failed (failed requests are counted and reported).

    python scripts/bench/bench_claims.py [--requests 1000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import secrets
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import benchlib
from benchlib import BenchError

# The body of tests/integration/test_billing.py `_claim()`: two lines, member XYZ100000001 of the payer sandbox.
CLAIM_BODY: dict[str, Any] = {
    "patient_data": {"patient_id": "PAT-1", "provider_id": "dr-smith", "member_id": "XYZ100000001"},
    "services": [
        {"code": "99213", "amount": "150.00", "allowed_amount": "100.00", "diagnosis_codes": ["E11.9"]},
        {
            "code": "80053",
            "amount": 300,
            "allowed_amount": "200.00",
            "diagnosis_codes": ["E11.9", "I10"],
            "modifiers": ["90"],
        },
    ],
    "service_date": "2026-11-20",
}

BASELINE_REPEATS = 3  # the baseline phase is short (well under a second): its median of three is steadier
WARMUP_ROUNDS = 4
BASELINE_INSERT = """
INSERT INTO claims (claim_id, patient_id, provider_id, member_id, service_date, claim_data, claim_total,
                    patient_responsibility, insurance_responsibility, status, created_date, updated_date,
                    payer_id, created_by)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'submitted', %s, %s, %s, %s)
"""


@dataclass
class Outcome:
    """What one load phase did: per-operation latencies (s), failures by kind, wall time."""

    label: str
    latencies: list[float] = field(default_factory=list)
    timeline: list[tuple[float, float, int]] = field(default_factory=list)  # (start offset s, latency s, index)
    failures: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    seconds: float = 0.0
    unfinished: int = 0

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def failed(self) -> int:
        return sum(self.failures.values()) + self.unfinished

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def pct_ms(self, q: float) -> float:
        return benchlib.percentile(sorted(self.latencies), q) * 1000


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="claims, and inserts per baseline run (1000)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients / connections (8)")
    parser.add_argument("--warmup", type=int, default=24, help="unmeasured claims per warm-up round (24)")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="time limit of each phase (120)")
    parser.add_argument("--target-ratio", type=float, default=0.3, help="create_claim/insert target (0.3)")
    parser.add_argument("--target-io-ratio", type=float, default=0.7, help="create_claim/same-I/O target (0.7)")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 100_000 or not 1 <= args.concurrency <= 64 or not 1 <= args.warmup <= 1000:
        parser.error("--requests must be 1-100000, --concurrency 1-64 and --warmup 1-1000")
    if not 1 <= args.max_seconds <= 3600:
        parser.error("--max-seconds must be 1-3600")
    return args


class Worker(Protocol):
    """One client with a connection of its own: `worker(i)` performs operation i (raises to fail)."""

    def __call__(self, index: int) -> None: ...

    def close(self) -> None: ...


def run_concurrently(
    label: str, count: int, workers: int, max_seconds: float, make_worker: Callable[[], Worker]
) -> Outcome:
    """Run operations 0..count-1 on `workers` threads, each with its own connection (made by `make_worker`).

    An operation raises to fail; its exception's type name is counted. No new operation starts after the deadline;
    the ones never started are reported as unfinished.
    """
    outcome = Outcome(label)
    lock = threading.Lock()
    next_index = iter(range(count))
    deadline = time.monotonic() + max_seconds
    done = [0]
    stop = threading.Event()  # set when the phase ends early (an interrupt): clients start nothing new
    t0 = [time.perf_counter()]
    started = threading.Barrier(workers + 1, action=lambda: t0.__setitem__(0, time.perf_counter()))

    def thread_main() -> None:
        try:
            operate = make_worker()
        except Exception as exc:  # noqa: BLE001 - reported as a failure of the phase below
            kind = f"connect: {type(exc).__name__}"
            with lock:
                outcome.failures[kind] = outcome.failures.get(kind, 0) + 1
            started.abort()
            return
        try:
            started.wait(timeout=30)
            work(operate)
        except threading.BrokenBarrierError:
            return
        finally:
            operate.close()

    def work(operate: Worker) -> None:
        while time.monotonic() < deadline and not stop.is_set():
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            begin = time.perf_counter()
            try:
                operate(index)
            except Exception as exc:  # noqa: BLE001 - every failure is counted by kind and reported
                with lock:
                    kind = str(exc) if isinstance(exc, BenchError) else type(exc).__name__
                    outcome.failures[kind] = outcome.failures.get(kind, 0) + 1
                    done[0] += 1
                continue
            elapsed = time.perf_counter() - begin
            with lock:
                outcome.latencies.append(elapsed)
                outcome.timeline.append((begin - t0[0], elapsed, index))
                done[0] += 1

    threads = [threading.Thread(target=thread_main, name=f"{label}-{i}", daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    try:
        try:
            started.wait(timeout=60)
        except threading.BrokenBarrierError:
            raise BenchError(f"{label}: a client could not connect ({outcome.failures})") from None
        for t in threads:
            t.join(timeout=max(1.0, deadline - time.monotonic() + 30))
    finally:
        stop.set()
        started.abort()
        for t in threads:
            t.join(timeout=5)
    outcome.seconds = time.perf_counter() - t0[0]
    outcome.unfinished = count - done[0]
    return outcome


class ClaimClient:
    """One keep-alive HTTP connection to billing; posts the test body under a fresh Idempotency-Key each time."""

    def __init__(
        self,
        url: str,
        token: str,
        key_prefix: str,
        outcome_retries: list[int],
        fresh: bool = False,
        path: str = "/create_claim",
    ) -> None:
        self.path = path  # io_app's /claim for the same-I/O baseline
        self.fresh = fresh  # a new connection per request (the warm-up: it spreads requests over every worker)
        self.host = url.removeprefix("http://")
        self.token = token
        self.key_prefix = key_prefix
        self.conn = http.client.HTTPConnection(self.host, timeout=30)
        self.body = json.dumps(CLAIM_BODY).encode()
        self.retries = outcome_retries

    def post(self, key: str) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Request-ID": key,  # so a slow request can be found in the services' logs
        }
        for attempt in range(2):
            try:
                self.conn.request("POST", self.path, body=self.body, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                # The server closed the keep-alive connection: reconnect and resend. Safe because the request
                # carries an Idempotency-Key — a claim already written is returned, not written twice.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, timeout=30)
                if attempt == 1:
                    raise
                self.retries.append(1)
        if response.status != 200:
            raise BenchError(f"HTTP {response.status}: {_error_code(raw)}")
        claim: dict[str, Any] = json.loads(raw)
        if not str(claim.get("claim_id", "")).startswith("CLM-") or claim.get("status") != "submitted":
            raise BenchError("HTTP 200 without a submitted claim")
        return claim

    def __call__(self, index: int) -> None:
        self.post(f"{self.key_prefix}-{index}")
        if self.fresh:
            self.conn.close()

    def close(self) -> None:
        self.conn.close()


def _error_code(raw: bytes) -> str:
    try:
        return str(json.loads(raw)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return raw[:80].decode(errors="replace")


class Inserter:
    """One psycopg2 connection inserting one copy of the sample claim row per call, each in its own transaction."""

    def __init__(self, dsn: str, run_id: str, sample: dict[str, Any]) -> None:
        import psycopg2
        from psycopg2.extras import Json

        self.conn = psycopg2.connect(dsn, connect_timeout=5, application_name="bench-baseline")
        self.run_id = run_id
        self.sample = sample
        self.payload = Json(sample["claim_data"])

    def __call__(self, index: int) -> None:
        s = self.sample
        now = datetime.now(UTC)
        with self.conn.cursor() as cur:
            cur.execute(
                BASELINE_INSERT,
                (
                    f"BENCH-{self.run_id}-{index:08d}",
                    s["patient_id"],
                    s["provider_id"],
                    s["member_id"],
                    s["service_date"],
                    self.payload,
                    s["claim_total"],
                    s["patient_responsibility"],
                    s["insurance_responsibility"],
                    now,
                    now,
                    s["payer_id"],
                    "bench-baseline",
                ),
            )
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def warm_up(
    args: argparse.Namespace, billing_log: Path, http_worker: Callable[[str, bool], Callable[[], Worker]]
) -> None:
    """Unmeasured claims until the services answer at their steady pace.

    Why more than a request or two: each gunicorn worker does costly first-use work on its first claim (billing
    imports the ICD-10-CM code set, ~2 s of CPU, while holding the import lock of its threads), and a worker that
    the warm-up missed would do it inside the measured phase. So the warm-up uses a new connection per request
    (the kernel hands new connections to whichever worker accepts first, so both get some), and repeats while
    its slowest request took over a second, at most WARMUP_ROUNDS times.
    """
    for round_no in range(1, WARMUP_ROUNDS + 1):
        warm = run_concurrently(
            "warm-up", args.warmup, args.concurrency, args.max_seconds, http_worker(f"warm{round_no}", True)
        )
        if warm.failed:
            raise BenchError(f"warm-up claims failed: {warm.failures}\n{benchlib.tail(billing_log)}")
        slowest = max(warm.latencies)
        print(f"  warm-up {round_no}: {args.warmup} claims, slowest {slowest * 1000:.0f} ms (not measured)", flush=True)
        if slowest < 1.0 and round_no > 1:
            return
    print(f"  warm-up: still a request over 1 s after {WARMUP_ROUNDS} rounds; measuring anyway", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    benchlib.require_python_module("psycopg2", "pip install -e . (from the repository root)")
    run_id = secrets.token_hex(4)
    print("bench_claims: POST /create_claim vs bare INSERT + COMMIT into claims, same database, same concurrency")
    with contextlib.ExitStack() as stack:
        workdir = stack.enter_context(benchlib.workspace("bench-claims-"))
        backing = stack.enter_context(benchlib.backing_servers(workdir))
        dsn = stack.enter_context(benchlib.bench_database(backing.postgres_server_url))
        procs = benchlib.Processes(workdir)
        stack.callback(procs.stop_all)

        sandbox = procs.start_service("payer-sandbox", {})
        procs.wait_healthy(sandbox)
        verify_env = {"POSTGRES_URL": dsn, "REDIS_URL": backing.redis_url, "PAYER_SANDBOX_URL": sandbox.url}
        verify = procs.start_service("insurance-verify", verify_env)
        service_token = benchlib.issue_token(dsn, f"bench-service-{run_id}", "service")
        billing_env = {
            "POSTGRES_URL": dsn,
            "REDIS_URL": backing.redis_url,
            "INSURANCE_VERIFY_URL": verify.url,
            "INTELLUXE_SERVICE_TOKEN": service_token,
        }
        billing = procs.start_service("billing", billing_env)
        benchlib.execute(dsn, "CREATE TABLE IF NOT EXISTS bench_io_log (key_id text, at timestamptz DEFAULT now())")
        same_io = procs.start_gunicorn("io", "io_app:app", benchlib.BENCH_DIR, billing_env)
        procs.wait_healthy(verify)
        procs.wait_healthy(billing)
        procs.wait_healthy(same_io)
        billing_name = f"bench-billing-{run_id}"
        billing_token = benchlib.issue_token(dsn, billing_name, "billing")

        print(f"  gunicorn (each of payer-sandbox, insurance-verify, billing): {benchlib.gunicorn_settings()}")
        print(
            f"  PostgreSQL {benchlib.describe_dsn(dsn)}, Redis {benchlib.describe_redis(backing.redis_url)}"
            f" ({backing.origin}); {args.requests} claims per phase, {args.concurrency} concurrent clients"
        )
        retries: list[int] = []

        def http_worker(phase: str, fresh: bool = False) -> Callable[[], Worker]:
            # Keys unique per run and phase: every request makes a new claim, none is an idempotent replay.
            return lambda: ClaimClient(billing.url, billing_token, f"bench-{run_id}-{phase}", retries, fresh)

        warm_up(args, billing.log_path, http_worker)
        sample = _sample_claim(dsn, billing_name)

        print(f"  baseline: {BASELINE_REPEATS} x {args.requests} INSERT INTO claims + COMMIT", flush=True)
        bases = [
            run_concurrently(
                "insert",
                args.requests,
                args.concurrency,
                args.max_seconds,
                partial(Inserter, dsn, f"{run_id}-{i}", sample),
            )
            for i in range(BASELINE_REPEATS)
        ]
        print(f"  same-I/O: {args.requests} x POST /claim (io_app.py)", flush=True)
        io_run = run_concurrently(
            "same-I/O",
            args.requests,
            args.concurrency,
            args.max_seconds,
            lambda: ClaimClient(same_io.url, billing_token, f"bench-{run_id}-io", [], path="/claim"),
        )
        print(f"  create_claim: {args.requests} x POST /create_claim", flush=True)
        retries.clear()
        count_sql = "SELECT count(*) FROM claims WHERE created_by = %s"
        before = int(benchlib.scalar(dsn, count_sql, (billing_name,)))
        claims = run_concurrently(
            "create_claim", args.requests, args.concurrency, args.max_seconds, http_worker("measure")
        )
        claims.retries = len(retries)
        written = int(benchlib.scalar(dsn, count_sql, (billing_name,))) - before
        inserted = int(benchlib.scalar(dsn, count_sql, ("bench-baseline",)))

    return report(args, bases, io_run, claims, sample, written, inserted)


def _sample_claim(dsn: str, created_by: str) -> dict[str, Any]:
    """A claim row billing wrote in the warm-up: the baseline inserts copies of it (same columns, same JSON)."""
    import psycopg2
    import psycopg2.extras

    conn = psycopg2.connect(dsn, connect_timeout=5)
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(
                "SELECT *, length(claim_data::text) AS json_chars FROM claims WHERE created_by = %s LIMIT 1",
                (created_by,),
            )
            row = cur.fetchone()
    finally:
        conn.close()
    if row is None:
        raise BenchError("the warm-up wrote no claim to copy for the baseline")
    return dict(row)


def report(
    args: argparse.Namespace,
    bases: list[Outcome],
    same_io: Outcome,
    claims: Outcome,
    sample: dict[str, Any],
    written: int,
    inserted: int,
) -> int:
    base = sorted(bases, key=lambda o: o.rate)[len(bases) // 2]  # the median run of the baseline
    print()
    print(f"{'':30}{'ok':>7}{'failed':>8}{'seconds':>9}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    rows = [(f"INSERT+COMMIT run {i}", o) for i, o in enumerate(bases, start=1)]
    for label, o in [*rows, ("same-I/O POST /claim", same_io), ("POST /create_claim", claims)]:
        top = max(o.latencies, default=float("nan")) * 1000
        print(
            f"{label:30}{o.ok:>7}{o.failed:>8}{o.seconds:>9.2f}{o.rate:>9.1f}{o.pct_ms(50):>9.2f}{o.pct_ms(99):>9.2f}"
            f"{top:>9.1f}"
        )
    ratio = claims.rate / base.rate if base.rate else 0.0
    print()
    print(f"baseline INSERT+COMMIT: {base.rate:8.1f} rows/s    (median of {len(bases)} runs of {args.requests})")
    print(
        f"POST /create_claim:     {claims.rate:8.1f} claims/s  p50 {claims.pct_ms(50):.1f} ms  "
        f"p99 {claims.pct_ms(99):.1f} ms  ({args.concurrency} concurrent clients)"
    )
    io_ratio = claims.rate / same_io.rate if same_io.rate else 0.0
    print(f"same-I/O POST /claim:   {same_io.rate:8.1f} per s     p99 {same_io.pct_ms(99):.1f} ms")
    print(
        f"ratio create_claim/same-I/O: {io_ratio:.3f}x   target >= {args.target_io_ratio:.2f}x   "
        f"{benchlib.verdict(io_ratio >= args.target_io_ratio)}"
    )
    print(
        f"ratio create_claim/insert: {ratio:.3f}x   target >= {args.target_ratio:.2f}x   "
        f"{benchlib.verdict(ratio >= args.target_ratio)}"
    )
    slowest = sorted(claims.timeline, key=lambda x: -x[1])[:3]
    print(
        f"claims written by billing in the measured phase: {written}; baseline rows: {inserted}; claim_data JSON "
        f"per row: {sample['json_chars']} characters (both); keep-alive reconnects: {claims.retries}; slowest "
        "claims: " + ", ".join(f"{lat * 1000:.0f} ms (at +{start:.1f} s)" for start, lat, _ in slowest)
    )
    problems = []
    for o in [*bases, same_io, claims]:
        if o.failed:
            kinds = dict(o.failures)
            if o.unfinished:
                kinds[f"not started within --max-seconds {args.max_seconds:.0f}"] = o.unfinished
            problems.append(f"{o.label}: {o.failed} of {args.requests} failed {kinds}")
    if written != claims.ok:
        problems.append(f"billing answered {claims.ok} claims but {written} rows are in the claims table")
    if inserted != sum(o.ok for o in bases):
        problems.append(f"the baseline committed {sum(o.ok for o in bases)} inserts but {inserted} rows are in claims")
    if problems:
        raise BenchError("; ".join(problems) + " -- the figures above are not a valid measurement")
    return 0


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
