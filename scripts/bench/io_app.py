"""The same-I/O baselines of bench_verify and bench_claims: the least I/O the request has to do, and nothing else.

Why it exists: hello-world (hello_app.py) does no I/O at all, so /verify against it measures mostly what an
authenticated, cached and durably audited request must cost anyway. This app, under the very same gunicorn command
and settings, does that I/O per request: look the bearer token up in PostgreSQL (and compare its SHA-256), one
Redis GET, one INSERT + COMMIT (durable: synchronous_commit as the server has it). What /verify adds on top —
validation, config, the hash chain, the answer's model — is what the ratio against this app shows.

POST /claim (bench_claims) does the same plus what /create_claim cannot skip: the eligibility call to
insurance-verify over HTTP (INSURANCE_VERIFY_URL, with INTELLUXE_SERVICE_TOKEN), before its INSERT + COMMIT.

POSTGRES_URL and REDIS_URL are the bench's; the table `bench_io_log` is created by the bench before the load.
"""

from __future__ import annotations

import hmac
import os
import threading
from collections.abc import Callable
from typing import Any

import psycopg2.pool
import redis
import requests
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from core.auth import hash_token

app = Flask("io")
_pool = psycopg2.pool.ThreadedConnectionPool(1, 6, os.environ["POSTGRES_URL"])
_slots = threading.BoundedSemaphore(6)  # wait for a free connection, as core.db does (the pool would raise)
_eligibility = requests.Session()
_VERIFY_BODY = {"member_id": "XYZ100000001", "provider_id": "dr-smith", "service_codes": ["99213"]}
_cache = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.post("/io")
def io() -> ResponseReturnValue:
    return _same_io(ask_eligibility=False)


@app.post("/claim")
def claim() -> ResponseReturnValue:
    return _same_io(ask_eligibility=True)


def _same_io(*, ask_eligibility: bool) -> ResponseReturnValue:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    parts = token.split("_")
    key_id = parts[1] if len(parts) >= 3 else ""
    body = request.get_json(silent=True)
    row = _run(lambda cur: cur.execute("SELECT token_hash FROM api_tokens WHERE key_id = %s", (key_id,)), fetch=True)
    if row is None or not hmac.compare_digest(row[0], hash_token(token)):
        return jsonify({"error": "unauthorized"}), 401
    cached = _cache.get(f"bench-io:{key_id}")
    if ask_eligibility:  # outside any transaction, as billing asks
        reply = _eligibility.post(
            f"{os.environ['INSURANCE_VERIFY_URL']}/verify",
            json=_VERIFY_BODY,
            headers={"Authorization": f"Bearer {os.environ['INTELLUXE_SERVICE_TOKEN']}"},
            timeout=30,
        )
        if reply.status_code != 200:
            return jsonify({"error": f"insurance-verify answered {reply.status_code}"}), 502
    _run(lambda cur: cur.execute("INSERT INTO bench_io_log (key_id) VALUES (%s)", (key_id,)))
    answer = {"fields": len(body) if isinstance(body, dict) else 0, "cached": cached is not None}
    # What bench_claims' client checks of a claim.
    return jsonify({**answer, "claim_id": "CLM-same-io", "status": "submitted"} if ask_eligibility else answer)


def _run(statement: Callable[[Any], object], *, fetch: bool = False) -> Any:
    """One statement in its own transaction, committed (durably) before the connection goes back."""
    with _slots:
        conn = _pool.getconn()
        try:
            with conn, conn.cursor() as cur:
                statement(cur)
                return cur.fetchone() if fetch else None
        finally:
            _pool.putconn(conn)


@app.get("/health")
def health() -> ResponseReturnValue:
    return jsonify({"status": "healthy"})
