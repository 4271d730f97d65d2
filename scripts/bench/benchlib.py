"""Shared plumbing of the benchmarks in scripts/bench: servers, a throwaway database, gunicorn processes, reports.

Why a module of its own: both benchmarks must set things up the same way — a fresh migrated database dropped at the
end, the services under the exact gunicorn command of their `.conf` files (`gunicorn -c python:core.gunicorn_conf
module:app`, cwd = the app folder), loopback-only binds, and every process stopped again on success, error or
Ctrl-C. A difference in setup between the two would be a difference in what they measure.

Nothing here is imported by the services or the tests; it is only the benchmarks' harness.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import math
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services" / "user"
BENCH_DIR = Path(__file__).resolve().parent
LOOPBACK = "127.0.0.1"

if str(ROOT) not in sys.path:  # `core` from this checkout even when the project is not pip-installed
    sys.path.insert(0, str(ROOT))


class BenchError(Exception):
    """The benchmark could not run (a missing tool, a service that did not start, failed requests)."""


# --------------------------------------------------------------------------------------------------- entry point


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_main(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Run `main(argv)`; turn BenchError into exit 1 with its message and Ctrl-C/SIGTERM into 130, after cleanup.

    SIGTERM and SIGHUP raise KeyboardInterrupt so that every `finally` (process groups, the database) runs.
    """
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)
    try:
        return int(main(argv))
    except BenchError as exc:
        print(f"\nBENCH FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; services stopped and bench database dropped", file=sys.stderr)
        return 130


def require_python_module(module: str, install_hint: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise BenchError(f"Python module {module!r} is missing for {sys.executable}; install it with: {install_hint}")


def require_program(program: str, install_hint: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise BenchError(f"{program} is not on PATH; install it with: {install_hint}")
    return path


# --------------------------------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class Backing:
    """Where PostgreSQL and Redis are: the server URL databases are created on, and the Redis URL."""

    postgres_server_url: str
    redis_url: str
    origin: str  # "environment" or "embedded"


@contextlib.contextmanager
def backing_servers(workdir: Path) -> Iterator[Backing]:
    """POSTGRES_URL / REDIS_URL when set; otherwise embedded servers under a temporary INTELLUXE_HOME, stopped after.

    Each variable is honoured on its own, as the tests do: only the missing one is started embedded.
    """
    from core import embedded

    home = workdir / "intelluxe-home"
    pg_url = os.environ.get("POSTGRES_URL") or None
    redis_url = os.environ.get("REDIS_URL") or None
    started_pg = started_redis = False
    try:
        if pg_url is None:
            print("POSTGRES_URL not set: starting an embedded PostgreSQL (first start runs initdb, ~10 s)", flush=True)
            pg_url = embedded.start_postgres(home)
            started_pg = True
        if redis_url is None:
            print("REDIS_URL not set: starting an embedded Redis", flush=True)
            redis_url = embedded.start_redis(home)
            started_redis = True
        origin = "embedded" if started_pg or started_redis else "environment"
        yield Backing(pg_url, redis_url, origin)
    finally:
        if started_redis:
            with contextlib.suppress(Exception):
                embedded.stop_redis(home)
        if started_pg:
            with contextlib.suppress(Exception):
                embedded.stop_postgres(home)


def describe_dsn(dsn: str) -> str:
    """host:port/dbname of a DSN or URL, never its password."""
    import psycopg2.extensions

    try:
        parts = psycopg2.extensions.parse_dsn(dsn)
    except Exception:  # noqa: BLE001 - only for display
        return "(unparseable DSN)"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', '5432')}/{parts.get('dbname', '?')}"


def describe_redis(url: str) -> str:
    if url.startswith("unix://"):
        return url
    head, _, tail = url.rpartition("@")
    return f"redis://{tail}" if head else url


@contextlib.contextmanager
def bench_database(server_url: str) -> Iterator[str]:
    """A fresh database `bench_<random>` on the server, migrated with core.db.migrate; dropped afterwards."""
    import psycopg2
    import psycopg2.extensions

    from core.db import Database, migrate

    name = f"bench_{secrets.token_hex(6)}"
    try:
        admin = psycopg2.connect(server_url, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        raise BenchError(f"cannot connect to PostgreSQL at {describe_dsn(server_url)}: {exc}") from None
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        dsn = psycopg2.extensions.make_dsn(server_url, dbname=name)
        try:
            db = Database(dsn, maxconn=2)
            try:
                migrate(db)
            finally:
                db.close()
            yield dsn
        finally:
            with admin.cursor() as cur:
                cur.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()",
                    (name,),
                )
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        admin.close()


# --------------------------------------------------------------------------------------------------- processes


def free_port() -> int:
    """A TCP port free on the loopback now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def gunicorn_argv(app: str) -> list[str]:
    """The services' command (`gunicorn -c python:core.gunicorn_conf billing:create_app()`) with this interpreter's
    gunicorn; the service packages come from the project's install (pip install -e .)."""
    require_python_module("gunicorn", "pip install -e . (from the repository root)")
    require_python_module("billing", "pip install -e . (from the repository root): the services are its packages")
    script = Path(sys.executable).parent / "gunicorn"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]
    return [*head, "-c", "python:core.gunicorn_conf", app]


def gunicorn_settings() -> str:
    """The gunicorn settings every service runs with here (core.gunicorn_conf reads them from the environment)."""
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    worker = os.environ.get("GUNICORN_WORKER", "gevent")
    if worker == "gthread":
        threads = os.environ.get("GUNICORN_THREADS", "4")
        return f"gthread, {workers} workers x {threads} threads (WEB_CONCURRENCY / GUNICORN_THREADS)"
    return f"{worker}, {workers} workers (WEB_CONCURRENCY / GUNICORN_WORKER)"


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path


class Processes:
    """Child processes started in process groups of their own; `stop_all` ends each group (TERM, then KILL).

    Own sessions keep a terminal's Ctrl-C away from the children, so they are stopped in order by us, never left
    half-killed; `stop_all` runs from a `finally`, so errors and interrupts stop them too.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[Service] = []

    def start_gunicorn(self, name: str, app: str, cwd: Path, env: dict[str, str]) -> Service:
        port = free_port()
        metrics_dir = self.workdir / f"metrics-{name}"
        metrics_dir.mkdir(exist_ok=True)
        # gunicorn (25.1+) opens a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl, else ~/.gunicorn/gunicorn.ctl,
        # unlinking whatever is there: one folder per service keeps ours from replacing (and, when stopped,
        # deleting) the socket of any other gunicorn on this machine.
        runtime_dir = self.workdir / f"run-{name}"
        runtime_dir.mkdir(mode=0o700, exist_ok=True)
        child_env = self.child_env(
            port, {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "XDG_RUNTIME_DIR": str(runtime_dir), **env}
        )
        return self.start(name, gunicorn_argv(app), cwd, child_env, f"http://{LOOPBACK}:{port}")

    def start_service(self, name: str, env: dict[str, str]) -> Service:
        """A Flask service as its .conf runs it: `gunicorn … <package>:create_app()` in its app folder."""
        return self.start_gunicorn(name, f"{name.replace('-', '_')}:create_app()", SERVICES / name / "app", env)

    def child_env(self, port: int, env: dict[str, str]) -> dict[str, str]:
        """A service's environment: ours (without a metrics folder of our own), this checkout's `core` first on
        PYTHONPATH, a loopback bind on `port`, the workspace's INTELLUXE_HOME; then `env` on top."""
        child = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        python_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        child.update(
            HOST=LOOPBACK, PORT=str(port), PYTHONPATH=python_path, INTELLUXE_HOME=str(self.workdir / "intelluxe-home")
        )
        child.update(env)
        return child

    def start(self, name: str, argv: list[str], cwd: Path, env: dict[str, str], url: str) -> Service:
        """Start `argv` in a process group of its own with exactly `env`, output to <workdir>/<name>.log."""
        log_path = self.workdir / f"{name}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(  # noqa: S603 - a fixed argv of this interpreter, no shell
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service = Service(name, url, process, log_path)
        self.started.append(service)
        return service

    def wait_healthy(self, service: Service, timeout: float = 30.0, context: ssl.SSLContext | None = None) -> None:
        """Poll GET /health until 200 (over TLS with `context` for an https URL); fail with the log's tail if the
        process dies or the time runs out."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if service.process.poll() is not None:
                raise BenchError(f"{service.name} exited with {service.process.returncode}:\n{tail(service.log_path)}")
            try:
                status, _, body = request(service.url, "GET", "/health", timeout=2.0, context=context)
            except OSError as exc:
                last = type(exc).__name__
            else:
                if status == 200:
                    return
                last = f"HTTP {status} {body[:200]!r}"
            time.sleep(0.2)
        raise BenchError(f"{service.name} not healthy within {timeout:.0f} s ({last}):\n{tail(service.log_path)}")

    def stop_all(self, timeout: float = 15.0) -> None:
        for service in reversed(self.started):
            stop_group(service.process, timeout)
        self.started.clear()


def stop_group(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """TERM the process group the child leads (gunicorn's master and workers), KILL it if still alive later."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


@contextlib.contextmanager
def workspace(prefix: str) -> Iterator[Path]:
    """A temporary folder for logs, metrics and the embedded servers' home; removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def issue_token(dsn: str, name: str, role: str) -> str:
    """A token issued straight into the bench database (as `intelluxe token issue` would)."""
    from core import auth
    from core.db import Database

    db = Database(dsn, maxconn=1)
    try:
        return auth.issue_token(db, name, role)
    finally:
        db.close()


def execute(dsn: str, sql: str, params: Sequence[Any] = ()) -> None:
    """Run one statement and commit it."""
    import psycopg2

    conn = psycopg2.connect(dsn, connect_timeout=5)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
    finally:
        conn.close()


def scalar(dsn: str, sql: str, params: Sequence[Any] = ()) -> Any:
    import psycopg2

    conn = psycopg2.connect(dsn, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
        conn.rollback()
        return None if row is None else row[0]
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------------- HTTP


def request(
    base_url: str,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    context: ssl.SSLContext | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh loopback connection: (status, headers, body). An https URL is verified with
    `context` (the clinic CA, for the audio-receiver)."""
    conn: http.client.HTTPConnection
    if base_url.startswith("https://"):
        conn = http.client.HTTPSConnection(base_url.removeprefix("https://"), timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(base_url.removeprefix("http://"), timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body).encode()
        sent = dict(headers or {})
        if payload is not None:
            sent.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------------- report


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0-100); NaN when empty."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(q / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "BELOW TARGET"
