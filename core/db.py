"""PostgreSQL access: a thread-safe pool, a transaction helper and the schema migrations.

Why a pool and not one connection (as the seed had): gunicorn threads serve requests concurrently, and a psycopg2
connection must not be shared by two threads mid-transaction. Why the dead-connection handling: PostgreSQL restarts,
idle-session timeouts and `pg_terminate_backend` close connections under us; a request must get a fresh one instead
of an error that repeats until the process restarts.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import psycopg2.pool

from core.config import project_root

log = logging.getLogger(__name__)

T = TypeVar("T")

# The checkout's postgres/init; an installed package (the service image) points INTELLUXE_ROOT at its copy.
MIGRATIONS_DIR = project_root() / "postgres" / "init"
# The services' login role (postgres/init/07-service-role.sql): intelluxe_app's grants, nothing more.
SERVICE_ROLE = "intelluxe_service"
_MIGRATION_NAME = re.compile(r"^(\d{2,})-[a-z0-9][a-z0-9-]*\.sql$")
# Any constant works; it only has to be the same in every process that migrates.
_MIGRATION_LOCK_KEY = 0x1A7E11C5

# A connection that raised one of these may be dead; the pool must not hand it out again.
_CONNECTION_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


class DatabaseUnavailable(Exception):
    """PostgreSQL cannot be reached; HTTP handlers turn this into 503."""


class MigrationError(Exception):
    """A migration file is malformed, changed after it was applied, or failed to apply."""


class Database:
    """A pool of connections to one database, safe to share between threads."""

    def __init__(self, url: str, *, minconn: int = 1, maxconn: int = 10, connect_timeout: int = 5) -> None:
        self.url = url
        self._minconn = minconn
        self._maxconn = maxconn
        self._connect_timeout = connect_timeout
        self._pool: psycopg2.pool.ThreadedConnectionPool | None = None
        self._lock = threading.Lock()
        # Bounds concurrent checkouts: ThreadedConnectionPool raises instead of waiting when it runs out.
        self._slots = threading.BoundedSemaphore(maxconn)

    def _get_pool(self) -> psycopg2.pool.ThreadedConnectionPool:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    try:
                        pool = psycopg2.pool.ThreadedConnectionPool(
                            self._minconn,
                            self._maxconn,
                            self.url,
                            connect_timeout=self._connect_timeout,
                            application_name="intelluxe",
                        )
                    except psycopg2.OperationalError as exc:
                        raise DatabaseUnavailable(_describe(exc)) from exc
                    # psycopg2 closes every returned connection beyond `minconn`, so under load it would open a
                    # new connection for most requests. Opening `minconn` at start but keeping up to `maxconn`
                    # idle ones makes returned connections stay for the next request.
                    pool.minconn = self._maxconn
                    self._pool = pool
        return self._pool

    @contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        """Lend a connection for the block; it goes back rolled back (or discarded if it died)."""
        if not self._slots.acquire(timeout=30):
            raise DatabaseUnavailable("no database connection became free within 30 s")
        try:
            pool = self._get_pool()
            try:
                conn = pool.getconn()
            except psycopg2.OperationalError as exc:
                raise DatabaseUnavailable(_describe(exc)) from exc
            if conn.closed:
                pool.putconn(conn, close=True)
                try:
                    conn = pool.getconn()
                except psycopg2.OperationalError as exc:
                    raise DatabaseUnavailable(_describe(exc)) from exc
            broken = False
            try:
                yield conn
            except _CONNECTION_ERRORS:
                broken = True
                raise
            finally:
                if not broken and not conn.closed:
                    try:
                        conn.rollback()
                    except _CONNECTION_ERRORS:
                        broken = True
                pool.putconn(conn, close=broken or bool(conn.closed))
        finally:
            self._slots.release()

    @contextmanager
    def transaction(self) -> Iterator[psycopg2.extensions.cursor]:
        """One transaction: committed when the block ends, rolled back if it raises. Rows come as dicts."""
        with self.connection() as conn:
            with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                yield cur
            conn.commit()

    def run(self, work: Callable[[psycopg2.extensions.cursor], T], *, retries: int = 1) -> T:
        """Run `work` in a transaction, again on a fresh connection if the old one turned out dead.

        Safe to retry because a connection that died before COMMIT returned rolled its transaction back; `work`
        must not have side effects outside the database.
        """
        attempt = 0
        while True:
            try:
                with self.transaction() as cur:
                    return work(cur)
            except _CONNECTION_ERRORS as exc:
                attempt += 1
                if attempt > retries:
                    raise DatabaseUnavailable(_describe(exc)) from exc
                log.warning("database connection lost (%s); retrying on a new one", type(exc).__name__)

    def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        def work(cur: psycopg2.extensions.cursor) -> list[dict[str, Any]]:
            cur.execute(sql, params)
            return [dict(row) for row in cur.fetchall()]

        return self.run(work)

    def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> dict[str, Any] | None:
        rows = self.fetchall(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> int:
        """Run one statement in its own transaction; returns the row count."""

        def work(cur: psycopg2.extensions.cursor) -> int:
            cur.execute(sql, params)
            return cur.rowcount

        return self.run(work)

    def ping(self) -> None:
        """Raise DatabaseUnavailable unless a round trip succeeds now."""
        self.fetchone("SELECT 1 AS ok")

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None


def set_service_password(db: Database, password: str) -> None:
    """Let the services' role log in over the network with `password` (a server with password authentication,
    such as the postgres container, where the role has none until this runs). Idempotent: `intelluxe up --backend
    docker` runs it after the migrations on every start, so the password in secrets.env is always the one that works."""
    if len(password) < 16:
        raise ValueError("the services' database password must have at least 16 characters")
    db.execute(f"ALTER ROLE {SERVICE_ROLE} WITH LOGIN PASSWORD %s", (password,))


def as_role(url: str, role: str = SERVICE_ROLE) -> str:
    """`url` (a URL or a key=value DSN) logging in as `role`, without a password (for trust- or peer-authenticated
    servers such as the embedded one): same server, database and options, as a key=value DSN."""
    return psycopg2.extensions.make_dsn(without_password(url), user=role)


def without_password(url: str) -> str:
    """`url` (a URL or a key=value DSN) as a key=value DSN without its password: safe to print or hash."""
    params = {k: v for k, v in psycopg2.extensions.parse_dsn(url).items() if k != "password"}
    return psycopg2.extensions.make_dsn(**params)


def _describe(exc: BaseException) -> str:
    """The first line of a driver error: enough to act on, without query text or parameters."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --------------------------------------------------------------------------------------------------- migrations


@dataclass(frozen=True)
class Migration:
    version: str
    filename: str
    sql: str
    checksum: str


@dataclass(frozen=True)
class MigrationReport:
    applied: list[str]
    already: list[str]


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every `NN-name.sql` in order of NN; any other .sql file is an error rather than silently skipped."""
    if not directory.is_dir():
        raise MigrationError(f"migrations folder {directory} does not exist (set INTELLUXE_ROOT to the checkout)")
    found: dict[str, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files are named NN-lowercase-name.sql")
        version = match.group(1)
        if version in found:
            raise MigrationError(f"{path}: version {version} is also used by {found[version].filename}")
        sql = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(sql.encode("utf-8")).hexdigest()
        found[version] = Migration(version, path.name, sql, checksum)
    return [found[v] for v in sorted(found, key=int)]


_CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     TEXT PRIMARY KEY,
    filename    TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def migrate(db: Database, directory: Path = MIGRATIONS_DIR) -> MigrationReport:
    """Apply each migration not yet recorded, once, in order; refuse files changed since they were applied.

    A session advisory lock makes concurrent migrators (two services starting at once) take turns. Each file runs
    in its own transaction together with its record, so a failure leaves no half-applied file behind.
    """
    migrations = load_migrations(directory)
    applied: list[str] = []
    already: list[str] = []
    with db.connection() as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK_KEY,))
            try:
                cur.execute(_CREATE_MIGRATIONS_TABLE)
                conn.commit()
                cur.execute("SELECT version, filename, checksum FROM schema_migrations")
                recorded = {row[0]: (row[1], row[2]) for row in cur.fetchall()}
                conn.commit()
                for migration in migrations:
                    if migration.version in recorded:
                        filename, checksum = recorded[migration.version]
                        if checksum != migration.checksum:
                            raise MigrationError(
                                f"{migration.filename} was changed after it was applied as {filename} "
                                f"(recorded sha256 {checksum[:12]}…, file now {migration.checksum[:12]}…); "
                                "add a new migration instead of editing an applied one"
                            )
                        already.append(migration.filename)
                        continue
                    try:
                        cur.execute(migration.sql)
                        cur.execute(
                            "INSERT INTO schema_migrations (version, filename, checksum) VALUES (%s, %s, %s)",
                            (migration.version, migration.filename, migration.checksum),
                        )
                        conn.commit()
                    except psycopg2.Error as exc:
                        conn.rollback()
                        raise MigrationError(f"{migration.filename} failed: {_describe(exc)}") from exc
                    log.info("applied migration %s", migration.filename)
                    applied.append(migration.filename)
            finally:
                if not conn.closed:
                    conn.rollback()
                    cur.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK_KEY,))
                    conn.commit()
    return MigrationReport(applied=applied, already=already)
