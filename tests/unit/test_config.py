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


@pytest.mark.parametrize(
    ("settings_class", "variable", "raw", "message"),
    [
        ("insurance_verify:VerifySettings", "ELIGIBILITY_STALE_MAX_AGE_SECONDS", "3 days", "a whole number"),
        ("insurance_verify:VerifySettings", "ELIGIBILITY_CACHE_TTL_SECONDS", "-1", "at least 0"),
        ("billing:BillingSettings", "ELIGIBILITY_TIMEOUT_SECONDS", "0", "more than 0"),
        ("audio_receiver:ReceiverSettings", "STORE_TRANSCRIPTS", "maybe", "true or false"),
        ("audio_receiver:ReceiverSettings", "MAX_SESSIONS", "0", "at least 1"),
        ("core.config:Settings", "PORT", "http", "a whole number"),
    ],
)
def test_a_bad_service_setting_stops_it_naming_the_variable(
    settings_class: str, variable: str, raw: str, message: str
) -> None:
    import importlib

    module, _, name = settings_class.partition(":")
    cls = getattr(importlib.import_module(module), name)
    with pytest.raises(ConfigError, match=f"^{variable} must be {message}, got '{raw}'$"):
        cls.from_env({variable: raw})


def test_files_under_the_root_follow_it_unless_named(tmp_path: Path) -> None:
    from compliance import ComplianceSettings

    settings = ComplianceSettings.from_env({"INTELLUXE_ROOT": str(tmp_path), "INTELLUXE_CLINIC_FILE": "/etc/c.yml"})
    assert settings.payers_dir == tmp_path.resolve() / "config" / "payers"
    assert settings.compliance_file == tmp_path.resolve() / "config" / "compliance.yml"
    assert settings.clinic_file == Path("/etc/c.yml")


def test_settings_never_print_secrets() -> None:
    settings = Settings.from_env({"INTELLUXE_SERVICE_TOKEN": "ilx_secret", "INTELLUXE_MASTER_KEY": "k3y", "X": "y"})
    assert settings.variable("X") == "y"
    assert "ilx_secret" not in repr(settings) and "k3y" not in repr(settings) and "'X'" not in repr(settings)


def test_a_secret_can_come_from_a_mounted_file_and_the_variable_wins(tmp_path: Path) -> None:
    token = tmp_path / "service-token"
    token.write_text("ilx_from_file\n")
    assert Settings.from_env({"INTELLUXE_SERVICE_TOKEN_FILE": str(token)}).service_token == "ilx_from_file"
    both = {"INTELLUXE_SERVICE_TOKEN": "ilx_env", "INTELLUXE_SERVICE_TOKEN_FILE": str(token)}
    assert Settings.from_env(both).service_token == "ilx_env"
    # Only secrets are read from files: a setting that is not one keeps its variable.
    (tmp_path / "level").write_text("DEBUG")
    assert Settings.from_env({"LOG_LEVEL_FILE": str(tmp_path / "level")}).log_level == "INFO"


@pytest.mark.parametrize(("content", "message"), [(None, "cannot read"), ("\n", "is empty")])
def test_an_unreadable_or_empty_secret_file_is_refused_by_name(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "master.key"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=f"^INTELLUXE_MASTER_KEY_FILE: .*{message}"):
        Settings.from_env({"INTELLUXE_MASTER_KEY_FILE": str(path)})
