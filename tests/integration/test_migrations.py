"""Migrations on a real server: once each, recorded with checksums, twice is a no-op, changed files refused."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import psycopg2
import pytest

from core.db import MIGRATIONS_DIR, Database, MigrationError, load_migrations, migrate

ALL = [m.filename for m in load_migrations(MIGRATIONS_DIR)]

BUSINESS_TABLES = {
    "claims",
    "security_alerts",
    "insurance_eligibility",
    "user_writing_samples",
    "user_preferences",
    "model_adapters",
}


def _tables(db: Database) -> set[str]:
    rows = db.fetchall("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r["tablename"] for r in rows}


def test_migrating_twice_applies_once(fresh_database: str) -> None:
    db = Database(fresh_database)
    first = migrate(db)
    assert first.applied == ALL
    assert ALL[:3] == ["01-core-schema.sql", "02-business-schema.sql", "03-eligibility-and-claims.sql"]
    second = migrate(db)
    assert second.applied == []
    assert second.already == first.applied
    assert BUSINESS_TABLES | {"audit_log", "api_tokens", "schema_migrations"} <= _tables(db)
    rows = db.fetchall("SELECT version, checksum FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in rows] == [name[:2] for name in ALL]
    assert all(len(r["checksum"]) == 64 for r in rows)
    db.close()


def test_a_changed_applied_file_is_refused(fresh_database: str, tmp_path: Path) -> None:
    for path in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path / path.name)
    db = Database(fresh_database)
    migrate(db, tmp_path)
    edited = tmp_path / "02-business-schema.sql"
    edited.write_text(edited.read_text() + "\n-- an innocent edit\n")
    with pytest.raises(MigrationError, match="02-business-schema.sql was changed after it was applied"):
        migrate(db, tmp_path)
    db.close()


def test_a_failing_migration_leaves_nothing_half_applied(fresh_database: str, tmp_path: Path) -> None:
    (tmp_path / "01-good.sql").write_text("CREATE TABLE good (id int);")
    (tmp_path / "02-bad.sql").write_text("CREATE TABLE half (id int); SELECT no_such_function();")
    db = Database(fresh_database)
    with pytest.raises(MigrationError, match="02-bad.sql failed: function no_such_function"):
        migrate(db, tmp_path)
    assert "good" in _tables(db)
    assert "half" not in _tables(db)
    assert [r["version"] for r in db.fetchall("SELECT version FROM schema_migrations")] == ["01"]
    db.close()


def test_concurrent_migrators_take_turns(fresh_database: str) -> None:
    errors: list[BaseException] = []
    reports = []

    def run() -> None:
        db = Database(fresh_database)
        try:
            reports.append(migrate(db))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(r.applied) for r in reports) == [0, 0, len(ALL)]


def test_schema_constraints_hold(db: Database) -> None:
    db.execute(
        "INSERT INTO model_adapters (adapter_id, user_id, base_model_id, adapter_type, is_active) "
        "VALUES ('ad-1', 'dr-test-1', 'smollm2', 'lora', true), ('ad-2', 'dr-test-1', 'smollm2', 'lora', false)"
    )
    with pytest.raises(psycopg2.errors.UniqueViolation):
        with db.transaction() as cur:
            cur.execute("UPDATE model_adapters SET is_active = true WHERE adapter_id = 'ad-2'")
    db.execute("DELETE FROM model_adapters WHERE user_id = 'dr-test-1'")
    pk = db.fetchall(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = 'security_alerts'::regclass AND i.indisprimary"
    )
    assert {r["attname"] for r in pk} == {"alert_id", "created_at"}


def test_the_same_files_run_as_initdb_scripts(fresh_database: str) -> None:
    """The postgres container runs postgres/init/*.sql with psql before any `intelluxe migrate`: both orders work."""
    conn = psycopg2.connect(fresh_database)
    conn.autocommit = True
    with conn.cursor() as cur:
        for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
            cur.execute(path.read_text())
    conn.close()
    db = Database(fresh_database)
    assert migrate(db).applied == ALL
    db.close()


def test_migrations_run_on_embedded_postgresql_18(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Always on the embedded server too, whatever POSTGRES_URL points at (PostgreSQL 15 here)."""
    from core import embedded

    home = tmp_path_factory.mktemp("pg18")
    url = embedded.start_postgres(home)
    try:
        db = Database(url)
        version = db.fetchone("SHOW server_version_num")["server_version_num"]
        assert int(version) >= 180000
        assert migrate(db).applied == ALL
        assert migrate(db).applied == []
        db.close()
    finally:
        embedded.stop_postgres(home)
