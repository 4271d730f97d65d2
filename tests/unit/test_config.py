from pathlib import Path

import pytest

from core.config import ConfigError, Settings


def test_settings_read_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "INTELLUXE_HOME": str(tmp_path / "h"),
            "POSTGRES_URL": "postgresql://u@db/x",
            "REDIS_URL": "redis://cache:6379/2",
            "DB_POOL_MAX": "4",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.home == (tmp_path / "h").resolve()
    assert settings.postgres_url == "postgresql://u@db/x"
    assert settings.resolved_postgres_url() == "postgresql://u@db/x"
    assert settings.resolved_redis_url() == "redis://cache:6379/2"
    assert settings.db_pool_max == 4
    assert settings.log_level == "DEBUG"


def test_empty_variables_count_as_unset(tmp_path: Path) -> None:
    settings = Settings.from_env({"POSTGRES_URL": "", "INTELLUXE_HOME": str(tmp_path)})
    assert settings.postgres_url is None


def test_home_defaults_to_dot_intelluxe_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({}).home == tmp_path.resolve() / ".intelluxe"


def test_without_postgres_url_or_embedded_server_the_error_names_both(tmp_path: Path) -> None:
    settings = Settings.from_env({"INTELLUXE_HOME": str(tmp_path)})
    with pytest.raises(ConfigError, match=r"POSTGRES_URL is not set and no embedded PostgreSQL is running"):
        settings.resolved_postgres_url()


def test_without_redis_url_the_embedded_socket_is_used(tmp_path: Path) -> None:
    settings = Settings.from_env({"INTELLUXE_HOME": str(tmp_path)})
    assert settings.resolved_redis_url() == f"unix://{tmp_path.resolve()}/redis/redis.sock"


@pytest.mark.parametrize(("raw", "message"), [("many", "whole number"), ("0", "at least 1"), ("-3", "at least 1")])
def test_bad_pool_size_names_the_variable(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"DB_POOL_MAX must be .*{message}"):
        Settings.from_env({"DB_POOL_MAX": raw})
