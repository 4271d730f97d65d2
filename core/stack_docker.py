"""What `intelluxe up --backend docker` does between the database containers and the service containers.

Once PostgreSQL's container is healthy: the migrations (an existing volume included: each file applies once), the
services' role given its password (INTELLUXE_SERVICE_DB_PASSWORD, so they never log in as the owner, who could
rewrite the audit log), the service token issued. Then the files the containers mount read-only — the token, the
master key, the receiver's certificate — written under `$INTELLUXE_HOME/container-secrets`: a 0700 folder whose
files the containers' user (uid 10001, docker/Dockerfile) can read. A secret passed as a file never shows in
`docker inspect`, in the environment of the process or in an image layer.

The host reaches the container's PostgreSQL through the port postgres.conf publishes on loopback, as ops commands
(`intelluxe token issue`, `intelluxe audit verify`) do with the URL `up` prints (password left out).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg2.extensions

from core.config import Settings

Output = Callable[[str], None]
# The service image's user (docker/Dockerfile: useradd --uid 10001).
CONTAINER_UID = 10001
SECRETS_DIR_NAME = "container-secrets"
SERVICE_DB_PASSWORD = "INTELLUXE_SERVICE_DB_PASSWORD"  # noqa: S105 - the name of a variable, not a secret


class DockerStackError(Exception):
    """The docker backend could not prepare the database or the secrets; the message says what and how to fix it."""


def secrets_env(home: Path) -> dict[str, str]:
    """`$INTELLUXE_HOME/secrets.env` as the runner reads it (NAME=VALUE lines, data, never a shell)."""
    path = home / "secrets.env"
    if not path.exists():
        return {}
    mode = path.stat().st_mode & 0o777
    if mode not in (0o600, 0o400):
        raise DockerStackError(f"{path} is mode {mode:o}; it holds secrets, so it must be 600 (chmod 600 '{path}')")
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        values.setdefault(name, value)  # the runner takes the first line of a name
    return values


def secret_value(home: Path, environ: Mapping[str, str], name: str) -> str:
    """NAME from the environment, else secrets.env (the runner's order)."""
    value = environ.get(name) or secrets_env(home).get(name)
    if not value:
        raise DockerStackError(
            f"{name} has no value: export it or add {name}=... to {home / 'secrets.env'} (mode 600); "
            "the runner generates it when the postgres container first starts"
        )
    return value


@dataclass(frozen=True)
class OwnerDatabase:
    """How the host reaches the postgres container as its owner (migrations, tokens, the audit verifier)."""

    host: str
    port: int
    user: str
    dbname: str
    password: str

    def url(self) -> str:
        return psycopg2.extensions.make_dsn(
            host=self.host, port=self.port, user=self.user, dbname=self.dbname, password=self.password
        )

    def shown(self) -> str:
        """The URL without its password, for the operator's eyes."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"


def owner_database(conf_path: Path, home: Path, environ: Mapping[str, str]) -> OwnerDatabase:
    """From postgres.conf: the loopback port it publishes for 5432 and its POSTGRES_USER / POSTGRES_DB; the
    password from the environment or secrets.env."""
    from core.deploy.conf import ConfError, read_conf

    try:
        conf = read_conf("postgres", conf_path)
    except ConfError as exc:
        raise DockerStackError(str(exc)) from None
    published = [p for p in conf.ports if p.target == 5432]
    if not published:
        raise DockerStackError(
            f"{conf_path} publishes no port for 5432: the host must reach PostgreSQL to migrate it "
            '(add port="127.0.0.1:5432:5432", loopback only)'
        )
    port = published[0]
    host = port.host_ip if port.host_ip and port.host_ip != "0.0.0.0" else "127.0.0.1"  # noqa: S104
    user = conf.env.get("POSTGRES_USER") or "postgres"
    return OwnerDatabase(
        host=host,
        port=port.published,
        user=user,
        dbname=conf.env.get("POSTGRES_DB") or user,
        password=secret_value(home, environ, "POSTGRES_PASSWORD"),
    )


def prepare_database(settings: Settings, owner: OwnerDatabase, out: Output) -> None:
    """The migrations and the services' role password."""
    from core.db import Database, MigrationError, migrate, set_service_password

    url = owner.url()
    try:
        db = Database(url, minconn=1, maxconn=1)
    except psycopg2.Error as exc:
        raise DockerStackError(f"cannot reach the postgres container at {owner.shown()}: {exc}") from None
    try:
        report = migrate(db)
        set_service_password(db, secret_value(settings.home, settings.environ, SERVICE_DB_PASSWORD))
    except MigrationError as exc:
        raise DockerStackError(str(exc)) from None
    finally:
        db.close()
    out(f"migrations applied {len(report.applied)}, already applied {len(report.already)} ({owner.shown()})")


def write_container_secrets(settings: Settings, cert_dir: Path, token: str) -> Path:
    """The files the confs mount read-only, refreshed on every `up` (a rotated token or key reaches them)."""
    from core.keys import master_key_text

    folder = settings.home / SECRETS_DIR_NAME
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    files = {
        "service-token": token + "\n",
        "master-key": master_key_text(settings, create=True) + "\n",
        # The receiver's certificate and key, and the CA the health check trusts: never the CA's own key.
        "tls/cert.pem": (cert_dir / "cert.pem").read_text(),
        "tls/key.pem": (cert_dir / "key.pem").read_text(),
        "tls/ca.pem": (cert_dir / "ca.pem").read_text(),
    }
    as_root = os.geteuid() == 0
    tls = folder / "tls"
    tls.mkdir(exist_ok=True)
    if as_root:
        os.chown(tls, CONTAINER_UID, CONTAINER_UID)
    tls.chmod(0o500 if as_root else 0o755)  # the receiver lists the folder it is given as its certificates
    for name, text in files.items():
        _write_readable_by_containers(folder / name, text, as_root)
    return folder


def _write_readable_by_containers(path: Path, text: str, as_root: bool) -> None:
    """Owned by the containers' user and mode 0400 when we are root; otherwise 0444, which only the 0700 folder
    keeps from the host's other users (a bind-mounted file keeps its host owner and mode in the container)."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
    elif path.read_text() != text:
        path.chmod(0o600)
        path.write_text(text)  # in place: a bind-mounted file is its inode, so a running container sees it too
    if as_root:
        os.chown(path, CONTAINER_UID, CONTAINER_UID)
    path.chmod(0o400 if as_root else 0o444)
