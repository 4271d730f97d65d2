#!/usr/bin/env python3
"""Benchmark: an MCP tool call (in process and over streamable HTTP) against calling the REST endpoint directly.

What is compared, in one run, on one machine: `anthem_bcbs_check_eligibility` through agentcare-mcp — which
validates the arguments, calls insurance-verify's POST /verify with the caller's token, and appends its own
hash-chained audit row — against the same POST /verify called directly. /verify answers from the Redis cache after
the warm-up, so the payer is out of the picture and the figure is what the MCP layer adds: a second HTTP hop, the
MCP framing and session, validation and one audit row. `cigna_prior_authorization_required` (no downstream call,
still audited) shows the MCP layer's own floor.

Calls are sequential (one client), `--calls` of each, alternated in `--rounds` so a passing disturbance lands on
every path. Targets: over HTTP, p50 ≤ 3× the direct REST call's p50; in process, ≤ 2×. Prints PASS or BELOW
TARGET and exits 0 either way (1 only when something failed to run).

    python scripts/bench/bench_mcp.py [--calls 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import benchlib
from benchlib import BenchError

VERIFY_BODY = {"member_id": "XYZ100000001", "provider_id": "dr-smith", "service_codes": ["99213"]}
PRIOR_AUTH = {"procedure_codes": ["70553", "99213"]}
TARGET_HTTP = 3.0
TARGET_IN_PROCESS = 2.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100, help="calls per path per round")
    parser.add_argument("--rounds", type=int, default=3)
    return parser.parse_args(argv)


async def timed(call: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    """Milliseconds of each of `n` sequential calls."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def rest_call(url: str, token: str) -> Callable[[], Awaitable[None]]:
    async def call() -> None:
        status, _, body = await asyncio.to_thread(
            benchlib.request, url, "POST", "/verify", VERIFY_BODY, {"Authorization": f"Bearer {token}"}
        )
        if status != 200:
            raise BenchError(f"POST /verify answered HTTP {status}: {body[:200]!r}")

    return call


def tool_call(client: Any, name: str, arguments: dict[str, Any]) -> Callable[[], Awaitable[None]]:
    async def call() -> None:
        result = await client.call_tool(name, arguments)
        if result.is_error:
            raise BenchError(f"{name} failed: {result.content[0].text}")

    return call


async def measure(
    verify_url: str, mcp_url: str, token: str, env: dict[str, str], args: argparse.Namespace
) -> dict[str, list[float]]:
    import httpx2
    import mcp
    from mcp.client.streamable_http import streamable_http_client

    from agentcare_mcp import McpSettings, create_server
    from agentcare_mcp.tool_base import Caller
    from core.auth import Role
    from core.db import Database

    settings = McpSettings.from_env(env)
    db = Database(env["POSTGRES_URL"], minconn=1, maxconn=4)
    caller = Caller(name="bench-clinician", role=Role.CLINICIAN, token=token)
    server, runtime, _ = create_server(settings, db=db, stdio_caller=caller)
    results: dict[str, list[float]] = {}
    try:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
            mcp.Client(streamable_http_client(mcp_url, http_client=http)) as remote,
            mcp.Client(server) as local,
        ):
            paths = {
                "REST POST /verify (direct)": rest_call(verify_url, token),
                "MCP eligibility, in process": tool_call(local, "anthem_bcbs_check_eligibility", VERIFY_BODY),
                "MCP eligibility, HTTP": tool_call(remote, "anthem_bcbs_check_eligibility", VERIFY_BODY),
                "MCP prior auth (no hop), in process": tool_call(
                    local, "cigna_prior_authorization_required", PRIOR_AUTH
                ),
                "MCP prior auth (no hop), HTTP": tool_call(remote, "cigna_prior_authorization_required", PRIOR_AUTH),
            }
            for call in paths.values():  # warm-up: connections, sessions, the cache entry
                await timed(call, 5)
            for label in paths:
                results[label] = []
            for round_no in range(1, args.rounds + 1):
                print(f"  round {round_no}/{args.rounds}", flush=True)
                for label, call in paths.items():
                    results[label] += await timed(call, args.calls)
    finally:
        runtime.suite.close()
        db.close()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for name in ("httpx", "httpx2"):  # the MCP client logs every request at INFO
        logging.getLogger(name).setLevel(logging.WARNING)
    benchlib.require_python_module("mcp", "pip install -e . (from the repository root)")
    print("bench_mcp: an MCP tool call in process and over HTTP vs the REST endpoint it wraps, same run")
    with contextlib.ExitStack() as stack:
        workdir = stack.enter_context(benchlib.workspace("bench-mcp-"))
        backing = stack.enter_context(benchlib.backing_servers(workdir))
        dsn = stack.enter_context(benchlib.bench_database(backing.postgres_server_url))
        procs = benchlib.Processes(workdir)
        stack.callback(procs.stop_all)
        sandbox = procs.start_service("payer-sandbox", {})
        procs.wait_healthy(sandbox)
        base = {"POSTGRES_URL": dsn, "REDIS_URL": backing.redis_url, "PAYER_SANDBOX_URL": sandbox.url}
        verify = procs.start_service("insurance-verify", base)
        procs.wait_healthy(verify)
        port = benchlib.free_port()
        mcp_env = {**base, "INSURANCE_VERIFY_URL": verify.url, "MCP_TOOLS_DIR": str(workdir / "no-tools")}
        agent = procs.start(
            "agentcare-mcp",
            [sys.executable, "-m", "agentcare_mcp"],
            benchlib.ROOT,
            procs.child_env(port, mcp_env),
            f"http://{benchlib.LOOPBACK}:{port}",
        )
        procs.wait_healthy(agent)
        token = benchlib.issue_token(dsn, f"bench-clinician-{int(time.time())}", "clinician")
        env = {**procs.child_env(port, mcp_env)}
        results = asyncio.run(measure(verify.url, f"{agent.url}/mcp", token, env, args))

    print(f"\n{'path':<40} {'calls':>6} {'p50 ms':>8} {'p90 ms':>8} {'mean ms':>8}")
    p50: dict[str, float] = {}
    for label, times in results.items():
        ordered = sorted(times)
        p50[label] = benchlib.percentile(ordered, 50)
        print(
            f"{label:<40} {len(times):>6} {p50[label]:>8.2f} {benchlib.percentile(ordered, 90):>8.2f} "
            f"{statistics.fmean(times):>8.2f}"
        )
    rest = p50["REST POST /verify (direct)"]
    http_ratio = p50["MCP eligibility, HTTP"] / rest
    local_ratio = p50["MCP eligibility, in process"] / rest
    print(
        f"\nMCP over HTTP / REST direct (p50): {http_ratio:.2f}x (target <= {TARGET_HTTP:.0f}x) "
        f"{benchlib.verdict(http_ratio <= TARGET_HTTP)}"
    )
    print(
        f"MCP in process / REST direct (p50): {local_ratio:.2f}x (target <= {TARGET_IN_PROCESS:.0f}x) "
        f"{benchlib.verdict(local_ratio <= TARGET_IN_PROCESS)}"
    )
    print(json.dumps({"p50_ms": p50, "http_ratio": round(http_ratio, 3), "in_process_ratio": round(local_ratio, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
