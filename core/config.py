"""Settings from the environment (12-factor), with embedded defaults.

Every process — a service, the `intelluxe` CLI, a test — reads its settings through `Settings.from_env()` (a
service through its own subclass, which adds the variables only it reads), so one variable means one thing across
the suite and a bad value stops the process with a `ConfigError` that names the variable. A setting is a pydantic
field whose alias is the variable's name; an empty variable counts as unset.

Two kinds of variables are read elsewhere, on purpose:
- names that config files choose (a payer's credential variable, `{PAYER_SANDBOX_URL}` in its URL): read through
  `Settings.variable(name)`, from the same snapshot of the environment;
- PROMETHEUS_MULTIPROC_DIR, which prometheus_client reads itself (core.gunicorn_conf sets it).

A `.conf` file's `env=` sets these in containers; the local backend passes the same names to host processes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_HOME = ".intelluxe"
CHECKOUT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def project_root(environ: Mapping[str, str] | None = None) -> Path:
    """The folder holding config/, postgres/ and the runner: INTELLUXE_ROOT (an installed package, the service
    image), else the checkout this `core` package lives in. The one definition: `Settings.root` reads the same
    variable with the same default; code that runs before any settings exist (the migrations' folder) calls this."""
    env = os.environ if environ is None else environ
    return Path(env.get("INTELLUXE_ROOT") or CHECKOUT).expanduser().resolve()


# What a pydantic error type means, said of a variable: "DB_POOL_MAX must be at least 1, got '0'".
_EXPECTED = {
    "int_parsing": lambda ctx: "a whole number",
    "int_from_float": lambda ctx: "a whole number",
    "float_parsing": lambda ctx: "a number",
    "bool_parsing": lambda ctx: "true or false",
    "greater_than_equal": lambda ctx: f"at least {ctx['ge']:g}",
    "greater_than": lambda ctx: f"more than {ctx['gt']:g}",
    "less_than_equal": lambda ctx: f"at most {ctx['le']:g}",
    "literal_error": lambda ctx: f"one of {ctx['expected']}",
}


class Settings(BaseModel):
    """The settings every process runs with. `postgres_url`/`redis_url` None means "use the embedded server"."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    home: Path = Field(default=Path(DEFAULT_HOME), alias="INTELLUXE_HOME", validate_default=True)
    root: Path = Field(default=CHECKOUT, alias="INTELLUXE_ROOT", validate_default=True)
    postgres_url: str | None = Field(default=None, alias="POSTGRES_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    service_token: str | None = Field(default=None, alias="INTELLUXE_SERVICE_TOKEN", repr=False)
    master_key: str | None = Field(default=None, alias="INTELLUXE_MASTER_KEY", repr=False)
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    db_pool_min: int = Field(default=1, ge=1, alias="DB_POOL_MIN")
    # A gthread worker serves GUNICORN_THREADS requests at once, each holding one connection at a time.
    db_pool_max: int = Field(default=6, ge=1, alias="DB_POOL_MAX")
    token_cache_seconds: int = Field(default=10, ge=0, alias="INTELLUXE_TOKEN_CACHE_SECONDS")
    # Several Intelluxe installs (or test runs) can share one Redis under different prefixes.
    cache_prefix: str = Field(default="intelluxe:", alias="INTELLUXE_CACHE_PREFIX")
    clinic_file: Path = Field(default=None, alias="INTELLUXE_CLINIC_FILE")  # type: ignore[assignment]
    payers_dir: Path = Field(default=None, alias="INTELLUXE_PAYERS_DIR")  # type: ignore[assignment]
    # The stack `intelluxe up | down | status` runs (a test or a site may run a variant of the committed one).
    stack_file: Path = Field(default=None, alias="INTELLUXE_STACK_FILE")  # type: ignore[assignment]
    # The HTTP server: gunicorn's bind (core.gunicorn_conf) and the container health command's port.
    host: str = Field(default="0.0.0.0", alias="HOST")  # noqa: S104 - a container port; .conf files publish it
    port: int = Field(default=8000, ge=0, le=65535, alias="PORT")
    web_concurrency: int = Field(default=2, ge=1, alias="WEB_CONCURRENCY")
    gunicorn_threads: int = Field(default=4, ge=1, alias="GUNICORN_THREADS")  # for GUNICORN_WORKER=gthread
    # gevent: each connection a greenlet, so clients that send slowly (or never finish) hold no thread; 8 of them
    # took a 2 x 4-thread gthread service down (scripts/bench/bench_slow_clients.py).
    gunicorn_worker: Literal["gevent", "gthread"] = Field(default="gevent", alias="GUNICORN_WORKER")
    gunicorn_timeout: int = Field(default=30, ge=1, alias="GUNICORN_TIMEOUT")
    # The largest request body a service reads (an 835 file of a few thousand claims fits); larger ones get 413
    # from the Content-Length alone, before the body is read.
    max_request_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, alias="MAX_REQUEST_BYTES")
    # The clinic CA's certificates (core.tls): set, and holding cert.pem + key.pem, a service serves HTTPS.
    tls_cert_dir: Path | None = Field(default=None, alias="TLS_CERT_DIR")
    # Where doctors' clients reach the audio-receiver (written into their config by `intelluxe enroll-doctor`).
    audio_url: str = Field(default="wss://localhost:8443/dictation", alias="INTELLUXE_AUDIO_URL")
    # The whole environment as read, for variables that config files name (never printed: it holds secrets).
    environ: Mapping[str, str] = Field(default_factory=dict, repr=False, exclude=True)

    # Files under the project root that a variable may point elsewhere: field → path parts under the root.
    _PROJECT_FILES: ClassVar[dict[str, tuple[str, ...]]] = {
        "clinic_file": ("config", "clinic.yml"),
        "payers_dir": ("config", "payers"),
        "stack_file": ("config", "stack.yml"),
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read the variables this class declares (empty ones count as unset); ConfigError names a bad one."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {
            field.alias: env[field.alias]
            for field in cls.model_fields.values()
            if field.alias and env.get(field.alias, "") != ""
        }
        for field in cls.model_fields.values():
            if field.alias and not field.repr and field.alias not in values and env.get(field.alias + "_FILE"):
                values[field.alias] = _read_secret_file(field.alias + "_FILE", env[field.alias + "_FILE"])
        try:
            return cls.model_validate({**values, "environ": env})
        except ValidationError as exc:
            raise ConfigError(_describe(exc, env)) from None

    def variable(self, name: str) -> str | None:
        """A variable a config file names (a payer's credential, a URL placeholder); None when unset or empty."""
        return self.environ.get(name) or None

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

    @field_validator("home", "root", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("log_level", mode="after")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _project_files(self) -> Self:
        for name, parts in {**Settings._PROJECT_FILES, **type(self)._PROJECT_FILES}.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.root.joinpath(*parts))  # frozen: set once, while validating
        return self


def _read_secret_file(variable: str, path: str) -> str:
    """A secret given as a file (NAME_FILE, the convention of Docker and Kubernetes secrets): containers get the
    service token and the master key mounted read-only, so they never show in `docker inspect` or the environment."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{variable}: cannot read {path}: {exc.strerror}") from None
    if not text:
        raise ConfigError(f"{variable}: {path} is empty")
    return text


def _describe(exc: ValidationError, env: Mapping[str, str]) -> str:
    problems = []
    for err in exc.errors(include_url=False):
        name = str(err["loc"][0]) if err["loc"] else "settings"
        expected = _EXPECTED.get(err["type"])
        if expected is not None and name in env:
            problems.append(f"{name} must be {expected(err.get('ctx') or {})}, got {env[name]!r}")
        else:
            problems.append(f"{name}: {err['msg']}")
    return "; ".join(problems)
