"""The master key: what encrypts secrets kept in the database (doctors' Fernet keys, stored transcripts).

INTELLUXE_MASTER_KEY holds one or more Fernet keys separated by commas; the first encrypts, all decrypt, so the
master key rotates by putting a new key first and re-encrypting at leisure. Without the variable, the CLI keeps a
key in `$INTELLUXE_HOME/master.key` (mode 0600, made on first use) and `intelluxe up` hands it to the services;
a service never makes one itself, so a missing key is an error there rather than data nobody can read later.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from core.config import ConfigError, Settings


def _parse(value: str, where: str) -> MultiFernet:
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        raise ConfigError(f"{where} holds no key")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError:
        raise ConfigError(f"{where} must be Fernet keys (32 url-safe base64 bytes), comma-separated") from None


def master_key_file(settings: Settings) -> Path:
    return settings.home / "master.key"


def secret_file(path: Path, make: Callable[[], str]) -> str:
    """The secret kept in `path`, made with `make` on first use and written with mode 0600 (a concurrent first use
    keeps the one written first)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(make() + "\n")
    return path.read_text().strip()


def master_key_text(settings: Settings, *, create: bool) -> str:
    """The master key(s) as text: the variable, else the file under INTELLUXE_HOME (made when `create`)."""
    if settings.master_key:
        return settings.master_key
    path = master_key_file(settings)
    if not create and not path.exists():
        raise ConfigError(f"INTELLUXE_MASTER_KEY is not set and {path} does not exist (run `intelluxe up` once)")
    return secret_file(path, lambda: Fernet.generate_key().decode())


def master_fernet(settings: Settings, *, create: bool = False) -> MultiFernet:
    where = "INTELLUXE_MASTER_KEY" if settings.master_key else str(master_key_file(settings))
    return _parse(master_key_text(settings, create=create), where)
