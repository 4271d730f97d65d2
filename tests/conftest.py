"""Fixtures shared by the unit and integration tests.

Integration tests get PostgreSQL and Redis from POSTGRES_URL / REDIS_URL when set, else from embedded servers
started under a temporary INTELLUXE_HOME. Every test database is created fresh for the session (or the test) and
dropped afterwards, so the server's own databases are never touched. Redis keys carry a per-test prefix.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def test_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("intelluxe-home")


@pytest.fixture(scope="session")
def pg_server_url(test_home: Path) -> Iterator[str]:
    """A URL of the server tests create their databases on."""
    url = os.environ.get("POSTGRES_URL")
    if url:
        yield url
        return
    from core import embedded

    yield embedded.start_postgres(test_home)
    embedded.stop_postgres(test_home)


def _admin_connect(server_url: str) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(server_url, connect_timeout=5)
    conn.autocommit = True
    return conn


def create_database(server_url: str) -> str:
    """Create an empty database on the server; return a DSN for it."""
    name = f"ilx_test_{secrets.token_hex(6)}"
    conn = _admin_connect(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return psycopg2.extensions.make_dsn(server_url, dbname=name)


def drop_database(server_url: str, dsn: str) -> None:
    name = psycopg2.extensions.parse_dsn(dsn)["dbname"]
    conn = _admin_connect(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        conn.close()


@pytest.fixture
def fresh_database(pg_server_url: str) -> Iterator[str]:
    """An empty, unmigrated database for this test only."""
    dsn = create_database(pg_server_url)
    yield dsn
    drop_database(pg_server_url, dsn)


@pytest.fixture(scope="session")
def migrated_url(pg_server_url: str) -> Iterator[str]:
    """One migrated database shared by the session's tests (each test keeps to rows it made)."""
    from core.db import Database, migrate

    dsn = create_database(pg_server_url)
    db = Database(dsn, maxconn=2)
    migrate(db)
    db.close()
    yield dsn
    drop_database(pg_server_url, dsn)


@pytest.fixture(scope="session")
def service_url(migrated_url: str) -> str:
    """The migrated database as the services log in to it: the least-privilege role intelluxe_service (a member of
    intelluxe_app), as `intelluxe up` runs them, so every service test also proves the grants suffice."""
    from core.db import as_role

    return as_role(migrated_url)


@pytest.fixture
def db(migrated_url: str) -> Iterator[object]:
    from core.db import Database

    database = Database(migrated_url, maxconn=8)
    yield database
    database.close()


@pytest.fixture
def fresh_db(fresh_database: str) -> Iterator[object]:
    """A migrated database of this test's own (for tests that need an empty audit chain)."""
    from core.db import Database, migrate

    database = Database(fresh_database, maxconn=8)
    migrate(database)
    yield database
    database.close()


@pytest.fixture(scope="session")
def redis_url(test_home: Path) -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from core import embedded

    yield embedded.start_redis(test_home)
    embedded.stop_redis(test_home)


@pytest.fixture
def cache_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    prefix = f"ilx-test-{secrets.token_hex(4)}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


@pytest.fixture
def build_app() -> Iterator[Callable[..., Any]]:
    """build_app(create_app, settings): a service's app built by its own factory for this test; its database
    and cache pools are closed afterwards, so connections do not pile up across tests."""
    from core.web.state import state_of

    made: list[Any] = []

    def build(create_app: Callable[[Any], Any], settings: Any) -> Any:
        app = create_app(settings)
        made.append(app)
        return app

    yield build
    for app in made:
        st = state_of(app)
        if st.db is not None:
            st.db.close()
        if st.cache is not None:
            st.cache.close()


@pytest.fixture
def stoppable_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A Redis server of this test's own, which it may stop (never the machine's). Yields its INTELLUXE_HOME."""
    from core import embedded

    home = tmp_path_factory.mktemp("redis-home")
    embedded.start_redis(home)
    yield home
    embedded.stop_redis(home)


class ServedApp:
    """A WSGI app served over real HTTP on a free loopback port, in a thread (werkzeug's threaded server)."""

    def __init__(self, app: object) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def payer_sandbox() -> Iterator[ServedApp]:
    """The payer sandbox answering 270s over HTTP, as the default clearinghouse of every payer."""
    from payer_sandbox import SandboxSettings, create_app

    served = ServedApp(create_app(SandboxSettings.from_env({})))
    yield served
    served.close()


@pytest.fixture
def dead_url() -> str:
    """An http URL on which nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def served_app() -> Iterator[Callable[[object], ServedApp]]:
    """Serve apps over HTTP for this test; each is shut down afterwards."""
    started: list[ServedApp] = []

    def serve(app: object) -> ServedApp:
        served = ServedApp(app)
        started.append(served)
        return served

    yield serve
    for served in started:
        served.close()


@pytest.fixture
def pyx12_errors() -> Callable[[str], list[str]]:
    """pyx12's findings on an X12 document (an empty list when it accepts it)."""
    from core.x12.validation import pyx12_validate

    return lambda text: pyx12_validate(text).problems


@pytest.fixture
def intelluxe() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the `intelluxe` CLI of this checkout: intelluxe(home, *args, root=None, **env)."""

    def run(home: Path, *args: str, root: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "INTELLUXE_HOME": str(home), **env}
        if root is not None:
            full_env["INTELLUXE_ROOT"] = str(root)
        return subprocess.run(
            [sys.executable, "-m", "core.cli", *args], env=full_env, capture_output=True, text=True, timeout=300
        )

    return run


STACK_PORTS = {
    "payer-sandbox": 8010,
    "insurance-verify": 8003,
    "billing": 8004,
    "compliance": 8005,
    "console": 8007,
    "audio-receiver": 8443,
    "agentcare-mcp": 8006,
}


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
def stack_ports() -> dict[str, int]:
    """The stack's published ports; the test is skipped when something else already listens on one."""
    busy = [p for p in STACK_PORTS.values() if not port_free(p)]
    if busy:
        pytest.skip(f"ports {busy} are in use by something else")
    return dict(STACK_PORTS)
