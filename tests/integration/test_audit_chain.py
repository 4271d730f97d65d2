"""The audit log on real PostgreSQL: chained appends, verification, tampering found, changes refused."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import psycopg2
import pytest

from core import audit
from core.db import Database


def _event(n: int = 0, **overrides: object) -> audit.AuditEvent:
    fields: dict[str, object] = {
        "service": "billing",
        "user_id": f"user-{n % 3}",
        "action": "read",
        "resource_type": "claim",
        "resource_id": f"CLM-{n}",
        "outcome": "success",
        "http_status": 200,
        "client_ip": "127.0.0.1",
        "details": {"bytes": n, "route": "/claims/<claim_id>"},
    }
    fields.update(overrides)
    return audit.AuditEvent(**fields)  # type: ignore[arg-type]


def _tamper(db: Database, sql: str, params: tuple[object, ...] = ()) -> None:
    """Change the log the way only a superuser can: with triggers switched off for the session."""
    with db.transaction() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(sql, params or None)


def test_appends_chain_and_verify(fresh_db: Database) -> None:
    records = [audit.append(fresh_db, _event(i)) for i in range(5)]
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    result = audit.verify(fresh_db)
    assert result.ok
    assert result.rows_checked == 5
    assert result.head_seq == 5
    assert result.head_hash == records[-1].row_hash
    rows = fresh_db.fetchall("SELECT prev_hash, row_hash FROM audit_log ORDER BY seq")
    assert rows[0]["prev_hash"] == audit.GENESIS
    assert all(rows[i]["prev_hash"] == rows[i - 1]["row_hash"] for i in range(1, 5))


def test_an_empty_log_verifies(fresh_db: Database) -> None:
    result = audit.verify(fresh_db)
    assert result.ok and result.rows_checked == 0 and result.head_hash == audit.GENESIS


def test_an_altered_row_is_named(fresh_db: Database) -> None:
    for i in range(5):
        audit.append(fresh_db, _event(i))
    _tamper(fresh_db, "UPDATE audit_log SET outcome = 'denied' WHERE seq = 3")
    result = audit.verify(fresh_db)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.rows_checked == 2
    assert "altered" in (result.reason or "")


def test_altered_details_are_found_too(fresh_db: Database) -> None:
    for i in range(3):
        audit.append(fresh_db, _event(i))
    _tamper(fresh_db, "UPDATE audit_log SET details = details || '{\"bytes\": 999}'::jsonb WHERE seq = 2")
    assert audit.verify(fresh_db).first_bad_seq == 2


def test_a_deleted_row_is_named(fresh_db: Database) -> None:
    for i in range(5):
        audit.append(fresh_db, _event(i))
    _tamper(fresh_db, "DELETE FROM audit_log WHERE seq = 4")
    result = audit.verify(fresh_db)
    assert not result.ok
    assert result.first_bad_seq == 5
    assert "rows missing" in (result.reason or "")


def test_a_rehashed_row_still_breaks_the_next_link(fresh_db: Database) -> None:
    """Recomputing the altered row's own hash does not help: the next row's prev_hash no longer matches."""
    for i in range(4):
        audit.append(fresh_db, _event(i))
    new_hash = fresh_db.fetchone(
        "SELECT audit_row_hash(prev_hash, seq, audit_id, created_at, service, user_id, actor_role, 'delete', "
        "resource_type, resource_id, outcome, http_status, client_ip, request_id, details) AS h "
        "FROM audit_log WHERE seq = 2"
    )["h"]
    _tamper(fresh_db, "UPDATE audit_log SET action = 'delete', row_hash = %s WHERE seq = 2", (new_hash,))
    result = audit.verify(fresh_db)
    assert result.first_bad_seq == 3
    assert result.reason == "prev_hash does not match the previous row's hash"


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET outcome = 'denied'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
)
def test_changes_are_refused_by_triggers(fresh_db: Database, statement: str) -> None:
    audit.append(fresh_db, _event())
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="audit_log is append-only"):
        fresh_db.execute(statement)
    assert audit.verify(fresh_db).rows_checked == 1


def test_the_app_role_may_insert_and_read_but_not_change(fresh_db: Database) -> None:
    audit.append(fresh_db, _event())
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        with fresh_db.transaction() as cur:
            cur.execute("SET LOCAL ROLE intelluxe_app")
            cur.execute("SELECT count(*) FROM audit_log")
            cur.execute("UPDATE audit_log SET outcome = 'denied'")
    with fresh_db.transaction() as cur:
        cur.execute("SET LOCAL ROLE intelluxe_app")
        cur.execute(
            "SELECT has_table_privilege('audit_log', 'UPDATE') AS u, has_table_privilege('audit_log', "
            "'DELETE') AS d, has_table_privilege('audit_log', 'INSERT') AS i"
        )
        assert cur.fetchone() == {"u": False, "d": False, "i": True}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET outcome = 'denied'",
        "DELETE FROM audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "SET session_replication_role = replica",
        "SET ROLE postgres",
    ],
)
def test_the_services_login_role_cannot_rewrite_history(fresh_db: Database, statement: str) -> None:
    """What a compromised service could try, logged in as the services are (intelluxe_service, not a superuser)."""
    from core.db import as_role

    audit.append(fresh_db, _event())
    service = Database(as_role(fresh_db.url), minconn=1, maxconn=1)
    try:
        with pytest.raises((psycopg2.errors.InsufficientPrivilege, psycopg2.errors.ObjectNotInPrerequisiteState)):
            with service.transaction() as cur:
                cur.execute(statement)
        row = service.fetchone("SELECT current_user AS who, rolsuper FROM pg_roles WHERE rolname = current_user")
        assert row == {"who": "intelluxe_service", "rolsuper": False}
        audit.append(service, _event(1))  # what it may do: append
    finally:
        service.close()
    assert audit.verify(fresh_db).rows_checked == 2


def test_concurrent_appends_never_fork(fresh_db: Database) -> None:
    errors: list[BaseException] = []

    def writer(base: int) -> None:
        try:
            for i in range(25):
                audit.append(fresh_db, _event(base + i))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k * 100,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = audit.verify(fresh_db)
    assert result.ok and result.rows_checked == 100


def test_an_append_rolls_back_with_its_transaction(fresh_db: Database) -> None:
    with pytest.raises(RuntimeError):
        with fresh_db.transaction() as cur:
            audit.append_in(cur, _event())
            raise RuntimeError("business write failed")
    assert audit.verify(fresh_db).rows_checked == 0


def test_cli_verify_exits_non_zero_naming_the_first_bad_row(fresh_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        audit.append(fresh_db, _event(i))
    env = {**os.environ, "POSTGRES_URL": fresh_db.url, "INTELLUXE_HOME": str(tmp_path)}
    ok = subprocess.run([sys.executable, "-m", "core.cli", "audit", "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "audit chain intact: 3 rows" in ok.stdout
    _tamper(fresh_db, "UPDATE audit_log SET user_id = 'mallory' WHERE seq = 2")
    bad = subprocess.run([sys.executable, "-m", "core.cli", "audit", "verify"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "audit chain BROKEN at seq 2" in bad.stdout


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("audit_id", "'00000000-0000-0000-0000-000000000001'::uuid"),
        ("created_at", "created_at + interval '1 us'"),
        ("service", "'compliance'"),
        ("user_id", "'someone-else'"),
        ("actor_role", "NULL"),
        ("action", "'delete'"),
        ("resource_type", "'patient'"),
        ("resource_id", "'CLM-999'"),
        ("outcome", "'denied'"),
        ("http_status", "403"),
        ("client_ip", "'10.9.9.9'"),
        ("request_id", "'other'"),
        ("details", "details || '{\"bytes\": 999}'::jsonb"),
    ],
)
def test_every_field_is_covered_by_the_hash(fresh_db: Database, column: str, value: str) -> None:
    for i in range(3):
        audit.append(fresh_db, _event(i, actor_role="billing", request_id=f"r{i}"))
    _tamper(fresh_db, f"UPDATE audit_log SET {column} = {value} WHERE seq = 2")  # noqa: S608 - test-owned literals
    result = audit.verify(fresh_db)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_null_and_empty_are_different_to_the_hash(fresh_db: Database) -> None:
    audit.append(fresh_db, _event(0, actor_role=None))
    _tamper(fresh_db, "UPDATE audit_log SET actor_role = '' WHERE seq = 1")
    assert audit.verify(fresh_db).first_bad_seq == 1


def test_the_hash_does_not_depend_on_the_sessions_time_zone(fresh_db: Database) -> None:
    audit.append(fresh_db, _event(0))
    hashes = set()
    for zone in ("UTC", "America/Chicago", "Asia/Kolkata"):
        with fresh_db.transaction() as cur:
            cur.execute("SET LOCAL TIME ZONE %s", (zone,))
            cur.execute(
                "SELECT audit_row_hash(prev_hash, seq, audit_id, created_at, service, user_id, actor_role, action, "
                "resource_type, resource_id, outcome, http_status, client_ip, request_id, details) = row_hash AS ok, "
                "audit_row_hash(prev_hash, seq, audit_id, created_at, service, user_id, actor_role, action, "
                "resource_type, resource_id, outcome, http_status, client_ip, request_id, details) AS h "
                "FROM audit_log WHERE seq = 1"
            )
            row = cur.fetchone()
            assert row["ok"] is True
            hashes.add(row["h"])
    assert len(hashes) == 1


def test_group_commit_from_many_threads_keeps_one_chain(fresh_db: Database) -> None:
    writer = audit.AuditWriter(fresh_db, max_batch=8)
    records: list[audit.AuditRecord] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(base: int) -> None:
        try:
            for i in range(20):
                record = writer.append(_event(base + i))
                with lock:
                    records.append(record)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k * 100,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.seq for r in records) == list(range(1, 161))
    result = audit.verify(fresh_db)
    assert result.ok and result.rows_checked == 160
    # Every caller got the record of its own row: its seq's row carries its resource id.
    by_seq = {r["seq"]: r["audit_id"] for r in fresh_db.fetchall("SELECT seq, audit_id FROM audit_log")}
    assert all(str(by_seq[r.seq]) == r.audit_id for r in records)


def test_group_commit_reports_a_failure_to_every_waiter() -> None:
    from core.db import DatabaseUnavailable

    writer = audit.AuditWriter(Database("postgresql://nobody@127.0.0.1:1/none", connect_timeout=1))
    with pytest.raises(DatabaseUnavailable):
        writer.append(_event())
    assert writer._writing is False  # leadership was released: the next caller is not stuck


def _verify_cli(db: Database, home) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "POSTGRES_URL": db.url, "INTELLUXE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "core.cli", "audit", "verify"], env=env, capture_output=True, text=True
    )


def test_deleting_the_newest_row_is_named_by_the_next_verify(fresh_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The proof ops run: verify passes (and signs the head), a superuser deletes the last row, verify fails."""
    for i in range(4):
        audit.append(fresh_db, _event(i))
    first = _verify_cli(fresh_db, tmp_path)
    assert first.returncode == 0 and "head signed as a checkpoint" in first.stdout, first.stdout + first.stderr
    _tamper(fresh_db, "DELETE FROM audit_log WHERE seq = 4")
    assert audit.verify(fresh_db).ok  # the chain alone cannot tell
    second = _verify_cli(fresh_db, tmp_path)
    assert second.returncode == 1
    assert "audit chain TAMPERED: row 4, the head signed at" in second.stdout
    assert "rows were deleted from the end of the chain (it now ends at seq 3)" in second.stdout


def test_a_row_changed_and_rechained_with_the_databases_own_hash_is_named(fresh_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for i in range(4):
        audit.append(fresh_db, _event(i))
    assert _verify_cli(fresh_db, tmp_path).returncode == 0
    audit.append(fresh_db, _event(4))  # rows after a checkpoint are normal
    with fresh_db.transaction() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("UPDATE audit_log SET user_id = 'mallory' WHERE seq = 2")
        for seq in range(2, 6):
            cur.execute(
                "UPDATE audit_log a SET prev_hash = (SELECT b.row_hash FROM audit_log b WHERE b.seq = a.seq - 1) "
                "WHERE a.seq = %s",
                (seq,),
            )
            cur.execute(
                "UPDATE audit_log SET row_hash = audit_row_hash(prev_hash, seq, audit_id, created_at, service, "
                "user_id, actor_role, action, resource_type, resource_id, outcome, http_status, client_ip, "
                "request_id, details) WHERE seq = %s",
                (seq,),
            )
    assert audit.verify(fresh_db).ok  # re-chained: the chain alone verifies
    result = _verify_cli(fresh_db, tmp_path)
    assert result.returncode == 1
    assert "row 4 is not the row signed at" in result.stdout and "rewritten" in result.stdout


def test_an_edited_checkpoint_file_is_named(fresh_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    audit.append(fresh_db, _event(1))
    assert _verify_cli(fresh_db, tmp_path).returncode == 0
    (checkpoints,) = (tmp_path / "audit-checkpoints").iterdir()
    checkpoints.write_text(checkpoints.read_text().replace('"seq": 1', '"seq": 7'))
    result = _verify_cli(fresh_db, tmp_path)
    assert result.returncode == 1 and "is not signed with this install's audit key" in result.stdout
    assert oct((tmp_path / "audit.key").stat().st_mode & 0o777) == "0o600"
