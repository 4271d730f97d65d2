from pathlib import Path

import pytest

from core.db import MIGRATIONS_DIR, MigrationError, load_migrations


def test_project_migrations_load_in_order() -> None:
    names = [m.filename for m in load_migrations(MIGRATIONS_DIR)]
    assert names[:2] == ["01-core-schema.sql", "02-business-schema.sql"]
    assert names == sorted(names, key=lambda n: int(n.split("-")[0]))


def test_order_is_numeric_not_lexical(tmp_path: Path) -> None:
    for name in ("10-later.sql", "9-earlier.sql"):
        (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NN-lowercase-name"):
        load_migrations(tmp_path)  # one digit is not NN
    (tmp_path / "9-earlier.sql").rename(tmp_path / "09-earlier.sql")
    assert [m.filename for m in load_migrations(tmp_path)] == ["09-earlier.sql", "10-later.sql"]


def test_a_badly_named_file_is_an_error_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "01-ok.sql").write_text("SELECT 1;")
    (tmp_path / "schema.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"schema\.sql: migration files are named"):
        load_migrations(tmp_path)


def test_two_files_with_one_version_are_refused(tmp_path: Path) -> None:
    (tmp_path / "03-a.sql").write_text("SELECT 1;")
    (tmp_path / "03-b.sql").write_text("SELECT 2;")
    with pytest.raises(MigrationError, match="version 03 is also used by 03-a.sql"):
        load_migrations(tmp_path)


def test_checksum_follows_content(tmp_path: Path) -> None:
    path = tmp_path / "01-a.sql"
    path.write_text("SELECT 1;")
    first = load_migrations(tmp_path)[0].checksum
    path.write_text("SELECT 2;")
    assert load_migrations(tmp_path)[0].checksum != first


def test_schema_fixes_the_seed_defects() -> None:
    sql = (MIGRATIONS_DIR / "02-business-schema.sql").read_text()
    assert "PRIMARY KEY (alert_id, created_at)" in sql
    assert "PRIMARY KEY (sample_id, created_at)" in sql
    assert "ON model_adapters(user_id) WHERE is_active" in sql
    for table in (
        "claims",
        "security_alerts",
        "insurance_eligibility",
        "user_writing_samples",
        "user_preferences",
        "model_adapters",
    ):
        assert f"CREATE TABLE IF NOT EXISTS {table} (" in sql


def test_a_missing_folder_is_an_error_not_an_empty_list(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="does not exist"):
        load_migrations(tmp_path / "nowhere")
