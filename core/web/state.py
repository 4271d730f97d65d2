"""What a service's app shares between requests, attached once by the `init_*` functions and read through typed
accessors (`get_db()`, `get_payers()`, …) inside a request.

All of it lives in one typed object, `app.extensions["intelluxe"]`; nothing else reads that key. A piece a
service did not attach is a programming error, reported as such (RuntimeError → 500), never a silent None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from flask import Flask, current_app

from core import audit
from core.auth import VerifiedTokens
from core.cache import Cache
from core.clinic import Clinic, load_clinic
from core.config import Settings
from core.db import Database, DatabaseUnavailable
from core.payers import PayerConfig, load_payers

_KEY = "intelluxe"
T = TypeVar("T")


@dataclass
class HealthDependency:
    """A dependency /health checks. A `required` one that fails makes the service unhealthy (503); an
    optional one (a cache) makes it degraded (200)."""

    name: str
    check: Callable[[], tuple[str, str | None]]
    required: bool = True


@dataclass
class ServiceState:
    service: str
    settings: Settings
    db: Database | None = None
    cache: Cache | None = None
    payers: dict[str, PayerConfig] | None = None
    clinic: Clinic | None = None
    dependencies: list[HealthDependency] = field(default_factory=list)
    tokens: VerifiedTokens = field(default_factory=lambda: VerifiedTokens(0))
    _audit_writer: audit.AuditWriter | None = None

    def audit_writer(self) -> audit.AuditWriter:
        if self._audit_writer is None:
            self._audit_writer = audit.AuditWriter(self.require("db", self.db))
        return self._audit_writer

    def require(self, what: str, value: T | None) -> T:
        if value is None:
            raise RuntimeError(f"service {self.service} was created without {what} (call core.web.init_{what})")
        return value


def attach_state(app: Flask, service: str, settings: Settings) -> ServiceState:
    st = ServiceState(service, settings, tokens=VerifiedTokens(settings.token_cache_seconds))
    app.extensions[_KEY] = st
    return st


def state_of(app: Flask) -> ServiceState:
    return app.extensions[_KEY]


# --------------------------------------------------------------------------------------------------- init_*


def init_db(app: Flask, db: Database | None = None) -> Database:
    """PostgreSQL for tokens, the audit log and the service's own tables; /health requires it."""
    st = state_of(app)
    settings = st.settings
    st.db = db or Database(settings.resolved_postgres_url(), minconn=settings.db_pool_min, maxconn=settings.db_pool_max)
    st.dependencies.append(HealthDependency("postgres", _postgres_check(st.db), required=True))
    return st.db


def init_cache(app: Flask, cache: Cache | None = None, *, required: bool = False) -> Cache:
    """Redis as a cache; unless `required`, /health reports it degraded (200) rather than down when it fails."""
    st = state_of(app)
    st.cache = cache or Cache(st.settings.resolved_redis_url(), prefix=st.settings.cache_prefix)
    st.dependencies.append(HealthDependency("redis", st.cache.health, required=required))
    return st.cache


def init_payers(app: Flask, payers: dict[str, PayerConfig] | None = None) -> dict[str, PayerConfig]:
    """The configured payers (config/payers/*.yml or INTELLUXE_PAYERS_DIR), read once at start."""
    st = state_of(app)
    st.payers = payers if payers is not None else load_payers(st.settings.payers_dir)
    return st.payers


def init_clinic(app: Flask, clinic: Clinic | None = None) -> Clinic:
    """The clinic's identity (config/clinic.yml or INTELLUXE_CLINIC_FILE), read once at start."""
    st = state_of(app)
    st.clinic = clinic or load_clinic(st.settings.clinic_file)
    return st.clinic


def _postgres_check(db: Database) -> Callable[[], tuple[str, str | None]]:
    def check() -> tuple[str, str | None]:
        try:
            db.ping()
        except DatabaseUnavailable as exc:
            return "down", f"postgres unavailable: {exc}"
        return "ok", None

    return check


# --------------------------------------------------------------------------------------------------- accessors


def state() -> ServiceState:
    return state_of(current_app)


def get_settings() -> Settings:
    return state().settings


def get_db() -> Database:
    st = state()
    return st.require("db", st.db)


def get_cache() -> Cache:
    st = state()
    return st.require("cache", st.cache)


def get_payers() -> dict[str, PayerConfig]:
    st = state()
    return st.require("payers", st.payers)


def get_clinic() -> Clinic:
    st = state()
    return st.require("clinic", st.clinic)
