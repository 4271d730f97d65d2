"""The same-I/O baseline of bench_verify: the least I/O a /verify cache hit has to do, and nothing else.

Why it exists: hello-world (hello_app.py) does no I/O at all, so /verify against it measures mostly what an
authenticated, cached and durably audited request must cost anyway. This app, under the very same gunicorn command
and settings, does that I/O per request: look the bearer token up in PostgreSQL (and compare its SHA-256), one
Redis GET, one INSERT + COMMIT (durable: synchronous_commit as the server has it). What /verify adds on top —
validation, config, the hash chain, the answer's model — is what the ratio against this app shows.

POSTGRES_URL and REDIS_URL are the bench's; the table `bench_io_log` is created by bench_verify before the load.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading

import psycopg2.pool
import redis
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

app = Flask("io")
_pool = psycopg2.pool.ThreadedConnectionPool(1, 6, os.environ["POSTGRES_URL"])
_slots = threading.BoundedSemaphore(6)  # wait for a free connection, as core.db does (the pool would raise)
_cache = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.post("/io")
def io() -> ResponseReturnValue:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    parts = token.split("_")
    key_id = parts[1] if len(parts) >= 3 else ""
    body = request.get_json(silent=True)
    with _slots:
        return _io(token, key_id, body)


def _io(token: str, key_id: str, body: object) -> ResponseReturnValue:
    conn = _pool.getconn()
    try:
        with conn, conn.cursor() as cur:  # commits on leaving the block
            cur.execute("SELECT token_hash FROM api_tokens WHERE key_id = %s", (key_id,))
            row = cur.fetchone()
            if row is None or not hmac.compare_digest(row[0], hashlib.sha256(token.encode()).hexdigest()):
                return jsonify({"error": "unauthorized"}), 401
            cached = _cache.get(f"bench-io:{key_id}")
            cur.execute("INSERT INTO bench_io_log (key_id) VALUES (%s)", (key_id,))
    finally:
        _pool.putconn(conn)
    return jsonify({"fields": len(body) if isinstance(body, dict) else 0, "cached": cached is not None})


@app.get("/health")
def health() -> ResponseReturnValue:
    return jsonify({"status": "healthy"})
