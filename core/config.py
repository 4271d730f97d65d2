"""Settings from the environment (12-factor), with embedded defaults.

Every process — a service under gunicorn, the `intelluxe` CLI, a test — reads its settings here and nowhere else,
so one variable means one thing across the suite. A `.conf` file's `env=` sets these in containers; the local
backend passes the same names to host processes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = ".intelluxe"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def intelluxe_home(environ: dict[str, str] | None = None) -> Path:
    """Where embedded servers keep their data and the local backend its pids and logs.

    Made absolute once so that child processes started in other folders (a service's app/) agree on it.
    """
    env = os.environ if environ is None else environ
    return Path(env.get("INTELLUXE_HOME") or DEFAULT_HOME).expanduser().resolve()


@dataclass(frozen=True)
class Settings:
    """The settings a process runs with. `postgres_url`/`redis_url` None means "use the embedded server"."""

    home: Path
    postgres_url: str | None
    redis_url: str | None
    service_token: str | None
    insurance_verify_url: str | None
    master_key: str | None
    log_level: str
    db_pool_min: int
    db_pool_max: int
    token_cache_seconds: int
    cache_prefix: str

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            home=intelluxe_home(env),
            postgres_url=env.get("POSTGRES_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            service_token=env.get("INTELLUXE_SERVICE_TOKEN") or None,
            insurance_verify_url=env.get("INSURANCE_VERIFY_URL") or None,
            master_key=env.get("INTELLUXE_MASTER_KEY") or None,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            db_pool_min=_positive_int(env, "DB_POOL_MIN", 1),
            # A gthread worker serves GUNICORN_THREADS requests at once, each holding one connection at a time.
            db_pool_max=_positive_int(env, "DB_POOL_MAX", 6),
            token_cache_seconds=_whole(env, "INTELLUXE_TOKEN_CACHE_SECONDS", 10),
            # Several Intelluxe installs (or test runs) can share one Redis under different prefixes.
            cache_prefix=env.get("INTELLUXE_CACHE_PREFIX") or "intelluxe:",
        )

    def resolved_postgres_url(self) -> str:
        """POSTGRES_URL, else the running embedded server's URL; never starts a server (the CLI does that)."""
        if self.postgres_url:
            return self.postgres_url
        from core import embedded

        url = embedded.postgres_url(self.home)
        if url is None:
            raise ConfigError(
                "POSTGRES_URL is not set and no embedded PostgreSQL is running under "
                f"{self.home} (start one with `intelluxe up`)"
            )
        return url

    def resolved_redis_url(self) -> str:
        """REDIS_URL, else the embedded server's socket URL (whether or not it answers: the cache degrades)."""
        if self.redis_url:
            return self.redis_url
        from core import embedded

        return embedded.redis_url(self.home)


def _whole(env: dict[str, str] | os._Environ[str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number of seconds (0 or more), got {raw!r}")
    return int(raw)


def _positive_int(env: dict[str, str] | os._Environ[str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value
