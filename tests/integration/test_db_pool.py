"""The connection pool: a connection killed by the server is replaced, not fatal; checkouts wait for a free one."""

from __future__ import annotations

import threading
import time

import pytest

from core.db import Database, DatabaseUnavailable


def _backend_pids(db: Database) -> set[int]:
    return {r["pid"] for r in db.fetchall("SELECT pg_backend_pid() AS pid")}


def test_pool_recovers_after_the_server_terminates_its_connections(migrated_url: str) -> None:
    db = Database(migrated_url, minconn=1, maxconn=2)
    before = _backend_pids(db)
    killer = Database(migrated_url, minconn=1, maxconn=1)
    killed = killer.fetchall("SELECT pg_terminate_backend(%s) AS done", (next(iter(before)),))
    assert killed[0]["done"] is True
    time.sleep(0.1)
    row = db.fetchone("SELECT 41 + 1 AS answer")  # first use of the dead connection: retried on a new one
    assert row == {"answer": 42}
    after = _backend_pids(db)
    assert after and after.isdisjoint(before)
    db.close()
    killer.close()


def test_a_dead_connection_inside_a_transaction_is_discarded(migrated_url: str) -> None:
    db = Database(migrated_url, minconn=1, maxconn=1)
    killer = Database(migrated_url, minconn=1, maxconn=1)
    with pytest.raises(Exception):  # noqa: B017 - the driver's error type depends on timing
        with db.transaction() as cur:
            cur.execute("SELECT pg_backend_pid() AS pid")
            pid = cur.fetchone()["pid"]
            killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
            time.sleep(0.1)
            cur.execute("SELECT 1")
    assert db.fetchone("SELECT 1 AS ok") == {"ok": 1}
    db.close()
    killer.close()


def test_more_threads_than_connections_wait_instead_of_failing(migrated_url: str) -> None:
    db = Database(migrated_url, minconn=1, maxconn=2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            db.fetchone("SELECT pg_sleep(0.05)")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.close()


def test_an_unreachable_server_is_database_unavailable() -> None:
    db = Database("postgresql://nobody@127.0.0.1:1/none", connect_timeout=1)
    with pytest.raises(DatabaseUnavailable):
        db.ping()


def test_transaction_rolls_back_on_error(db: Database) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS pool_rollback_probe (v int)")
    with pytest.raises(ZeroDivisionError):
        with db.transaction() as cur:
            cur.execute("INSERT INTO pool_rollback_probe VALUES (1)")
            raise ZeroDivisionError
    assert db.fetchone("SELECT count(*) AS n FROM pool_rollback_probe") == {"n": 0}
    db.execute("DROP TABLE pool_rollback_probe")
