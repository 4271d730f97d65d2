#!/usr/bin/env python3
"""Benchmark: slow clients against a service, as its own latency with none in the same run.

A slow client opens a connection, sends a request line and headers announcing a 100 kB body, then trickles the
body a byte a second (a bad network, or an attack: slowloris). While N of them hang on, this probes the service
as a clinic app would — GET /health and a real POST /x12/270 (parse a 270, answer a 271) — and compares the
probes' p99 with the same probes when nobody is slow. Both worker models run in the same run, on the same
service (the payer sandbox, which needs no database, so the figure is the server's and not PostgreSQL's):
gthread (2 workers x 4 threads: a slow client holds a thread for as long as it trickles) and gevent (the default:
a slow client is a greenlet).

Target: with --slow clients (64) every probe is answered, and the probes' p99 stays within 1.5x of the p99
without them. Prints PASS or BELOW TARGET per worker and exits 0 either way (1 only when something failed to run).

    python scripts/bench/bench_slow_clients.py [--slow 64] [--seconds 15]
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date, datetime

import benchlib
from benchlib import BenchError, percentile, verdict

TARGET_RATIO = 1.5


def _270() -> bytes:
    from core.x12 import EligibilityRequest, build_270

    request = EligibilityRequest(
        payer_id="SANDBOX",
        payer_name="PAYER SANDBOX",
        provider_npi="1234567893",
        provider_name="SMALL CLINIC",
        member_id="XYZ100000001",
        member_first_name="JANE",
        member_last_name="DOE",
        member_birth_date=date(1980, 1, 1),
        service_date=date(2026, 1, 15),
        service_type_codes=("30",),
        procedure_codes=(),
        trace_number="BENCH0001",
        sender_id="CLINIC01",
        receiver_id="SANDBOX",
    )
    return build_270(request, control_number=1, now=datetime(2026, 1, 15, 9, 0)).encode()


def probe(port: int, body: bytes) -> tuple[float | None, float | None]:
    """Seconds for GET /health and for POST /x12/270 (None when it failed or took over 5 s)."""
    requests = (
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"POST /x12/270 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/edi-x12\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body,
    )
    out: list[float | None] = []
    for raw in requests:
        started = time.perf_counter()
        try:
            with socket.create_connection((benchlib.LOOPBACK, port), timeout=5) as conn:
                conn.sendall(raw)
                answer = b""
                while chunk := conn.recv(65536):
                    answer += chunk
            out.append(time.perf_counter() - started if answer.startswith(b"HTTP/1.1 200 ") else None)
        except OSError:
            out.append(None)
    return out[0], out[1]


def measure(port: int, slow: int, seconds: float, body: bytes) -> tuple[list[float], int]:
    """Probe latencies (both kinds) and failures while `slow` clients trickle."""
    stop = threading.Event()

    def trickle() -> None:
        try:
            with socket.create_connection((benchlib.LOOPBACK, port), timeout=60) as conn:
                conn.sendall(b"POST /x12/270 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
                while not stop.wait(1.0):
                    conn.sendall(b"I")
        except OSError:
            pass

    threads = [threading.Thread(target=trickle, daemon=True) for _ in range(slow)]
    for thread in threads:
        thread.start()
    time.sleep(2.0 if slow else 0.0)
    latencies, failed = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for value in probe(port, body):
            if value is None:
                failed += 1
            else:
                latencies.append(value)
        time.sleep(0.1)
    stop.set()
    return sorted(latencies), failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slow", type=int, default=64, help="slow clients at once (64)")
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds of probing per measurement (15)")
    args = parser.parse_args(argv)
    body = _270()
    print(f"bench_slow_clients: {args.slow} slow clients vs none, probes GET /health + POST /x12/270")
    with benchlib.workspace("bench-slow-") as workdir:
        procs = benchlib.Processes(workdir)
        try:
            for worker in ("gthread", "gevent"):
                service = procs.start_service("payer-sandbox", {"GUNICORN_WORKER": worker, "TLS_CERT_DIR": ""})
                procs.wait_healthy(service)
                port = int(service.url.rsplit(":", 1)[1])
                calm, calm_failed = measure(port, 0, args.seconds, body)
                busy, busy_failed = measure(port, args.slow, args.seconds, body)
                if not calm or calm_failed:
                    raise BenchError(f"{worker}: probes failed without slow clients ({calm_failed})")
                base, under = percentile(calm, 99) * 1000, (percentile(busy, 99) * 1000 if busy else float("inf"))
                ok = busy_failed == 0 and under <= TARGET_RATIO * base
                print(
                    f"  {worker:<8} none: p99 {base:6.1f} ms ({len(calm)} probes)   {args.slow} slow: p99 "
                    f"{under:6.1f} ms, {len(busy)} answered, {busy_failed} failed   ratio {under / base:5.2f}x   "
                    f"target <= {TARGET_RATIO}x, none failed: {verdict(ok)}"
                )
                procs.stop_all()
        finally:
            procs.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
