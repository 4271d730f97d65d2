"""Audit-log benchmark: chained appends against plain INSERTs, and chain verification speed.

Why these baselines: an audit append is an INSERT plus what makes it tamper-evident (the advisory lock that keeps
the chain from forking, reading the head, hashing). Plain single-row INSERT+COMMITs of the same columns into an
unchained table, on the same database, with the same number of concurrent writers, in the same run, show what the
chain costs on this machine (target: appends >= 0.5x plain inserts). Both append paths are measured: one
transaction per row, and the group commit (`AuditWriter`) the services use for request audits. Verification is
reported as rows/s over a freshly written chain (target >= 100,000 rows/s).

Usage: python scripts/bench/bench_audit.py [--appends N] [--writers K] [--verify-rows M]
PostgreSQL from POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); a database of its own is created
and dropped.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg2
import psycopg2.extensions

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core import audit  # noqa: E402
from core.db import Database, migrate  # noqa: E402

PLAIN_TABLE = """
CREATE TABLE audit_plain (
    seq BIGSERIAL PRIMARY KEY, audit_id UUID NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL, service TEXT NOT NULL,
    user_id TEXT NOT NULL, actor_role TEXT, action TEXT NOT NULL, resource_type TEXT NOT NULL, resource_id TEXT,
    outcome TEXT NOT NULL, http_status INTEGER, client_ip TEXT, request_id TEXT, details JSONB NOT NULL,
    prev_hash TEXT NOT NULL, row_hash TEXT NOT NULL
)
"""


def _event(i: int) -> audit.AuditEvent:
    return audit.AuditEvent(
        service="billing",
        user_id=f"user-{i % 17}",
        actor_role="billing",
        action="read",
        resource_type="claim",
        resource_id=f"CLM-{i}",
        outcome="success",
        http_status=200,
        client_ip="127.0.0.1",
        request_id=f"req-{i}",
        details={"method": "GET", "route": "/claims/<claim_id>"},
    )


def _plain_insert(db: Database, i: int) -> None:
    db.execute(
        """
        INSERT INTO audit_plain (audit_id, created_at, service, user_id, actor_role, action, resource_type,
                                 resource_id, outcome, http_status, client_ip, request_id, details, prev_hash, row_hash)
        VALUES (gen_random_uuid(), now(), 'billing', %s, 'billing', 'read', 'claim', %s, 'success', 200, '127.0.0.1',
                %s, '{"method": "GET", "route": "/claims/<claim_id>"}', %s, %s)
        """,
        (f"user-{i % 17}", f"CLM-{i}", f"req-{i}", "0" * 64, secrets.token_hex(32)),
    )


def _rate(work: Callable[[int], None], total: int, writers: int) -> float:
    """Operations per second with `writers` threads sharing `total` operations."""
    per = total // writers

    def run(offset: int) -> None:
        for i in range(offset, offset + per):
            work(i)

    threads = [threading.Thread(target=run, args=(k * per,)) for k in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return per * writers / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appends", type=int, default=4000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--verify-rows", type=int, default=200_000)
    args = parser.parse_args()

    server = os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"bench_audit_{secrets.token_hex(4)}"
    admin = psycopg2.connect(server)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = psycopg2.extensions.make_dsn(server, dbname=name)
    db = Database(url, maxconn=args.writers + 2)
    try:
        migrate(db)
        db.execute(PLAIN_TABLE)
        # Warm both paths (connections, plans) before timing.
        for i in range(50):
            audit.append(db, _event(i))
            _plain_insert(db, i)
        writer = audit.AuditWriter(db)
        plain = _rate(lambda i: _plain_insert(db, i), args.appends, args.writers)
        single = _rate(lambda i: audit.append(db, _event(i)), args.appends, args.writers)
        grouped = _rate(lambda i: writer.append(_event(i)), args.appends, args.writers)
        ratio = grouped / plain
        print(f"writers: {args.writers}, operations: {args.appends} in all; every caller returns after its commit")
        print(f"plain INSERT+COMMIT (unchained table):          {plain:10.0f} rows/s")
        print(f"audit append, one transaction each:             {single:10.0f} rows/s  ({single / plain:.2f}x)")
        print(f"audit append, group commit (what services use): {grouped:10.0f} rows/s  ({ratio:.2f}x)")
        print(
            f"ratio group-commit append/plain: {ratio:.2f}x  (target >= 0.50x: "
            f"{'PASS' if ratio >= 0.5 else 'BELOW TARGET'})"
        )

        with db.transaction() as cur:
            cur.execute(
                """
                SELECT count(*) FROM generate_series(1, %s) i, LATERAL audit_append(
                    gen_random_uuid(), now() + i * interval '1 ms', 'billing', 'user-' || (i %% 17), 'billing',
                    'read', 'claim', 'CLM-' || i, 'success', 200, '127.0.0.1', 'req-' || i,
                    '{"method": "GET", "route": "/claims/<claim_id>"}'::jsonb)
                """,
                (args.verify_rows,),
            )
        started = time.perf_counter()
        result = audit.verify(db)
        elapsed = time.perf_counter() - started
        if not result.ok:
            print(f"verify found a broken chain at seq {result.first_bad_seq}: {result.reason}", file=sys.stderr)
            return 1
        rate = result.rows_checked / elapsed
        print(
            f"verify: {result.rows_checked} rows in {elapsed:.2f} s = {rate:,.0f} rows/s "
            f"(target >= 100,000: {'PASS' if rate >= 100_000 else 'BELOW TARGET'})"
        )
        return 0
    finally:
        db.close()
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
