"""What generated tests need from the suite besides agentcare-mcp: a database for the audit rows every tool call
writes (the runtime withholds an answer whose row cannot be written, so the tests need a real one).

`audit_database()` makes a fresh database, migrates it (the audit chain's tables and functions) and drops it after:
on POSTGRES_URL's server when it is set (as in CI), else on an embedded PostgreSQL started under a temporary home
and stopped again. The server's own databases are never touched.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import psycopg2.extensions

from core.db import Database, migrate


def _admin(server_url: str, sql: str, params: tuple[str, ...] = ()) -> None:
    conn = psycopg2.connect(server_url, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
    finally:
        conn.close()


@contextmanager
def _server() -> Iterator[str]:
    url = os.environ.get("POSTGRES_URL")
    if url:
        yield url
        return
    from core import embedded

    with tempfile.TemporaryDirectory(prefix="intelluxe-codegen-") as home:
        yield embedded.start_postgres(Path(home))
        embedded.stop_postgres(Path(home))


@contextmanager
def audit_database() -> Iterator[Database]:
    """A migrated database of this run's own, as a core.db.Database; dropped afterwards."""
    with _server() as server_url:
        name = f"ilx_codegen_{secrets.token_hex(6)}"
        _admin(server_url, f'CREATE DATABASE "{name}"')
        database = Database(psycopg2.extensions.make_dsn(server_url, dbname=name), maxconn=4)
        try:
            migrate(database)
            yield database
        finally:
            database.close()
            _admin(
                server_url,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            _admin(server_url, f'DROP DATABASE IF EXISTS "{name}"')
