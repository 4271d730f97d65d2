"""A service `.conf` read as universal-service-runner.sh reads it (libexec/usr-conf): lowercase `key="value"` lines,
`#` comments and blank lines; the multi-valued keys (port, volumes, env, tmpfs) hold space-separated items; unknown
keys, repeats and malformed lines are errors naming file and line. `${NAME}` and `${NAME:-default}` stay as written:
each exporter decides what they become (Compose interpolates them itself; Kubernetes takes secrets from a Secret).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

KEYS = (
    "image",
    "port",
    "volumes",
    "env",
    "restart",
    "network",
    "health_cmd",
    "memory_limit",
    "working_dir",
    "command",
    "tmpfs",
)
_LINE = re.compile(r'^\s*([a-z_]+)="([^"]*)"\s*$')
_SKIP = re.compile(r"^\s*(#.*)?$")
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_PORT = re.compile(r"^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:/(tcp|udp|sctp))?$")


class ConfError(ValueError):
    """A `.conf` the runner would refuse; the message names the file and line."""


@dataclass(frozen=True)
class Port:
    host_ip: str | None
    published: int
    target: int
    protocol: str = "tcp"


# Where the .conf files mount the secrets `intelluxe up --backend docker` writes (core.stack_docker).
CONTAINER_SECRETS = "${INTELLUXE_HOME}/container-secrets/"


@dataclass(frozen=True)
class Volume:
    source: str  # an absolute host path, or a volume name
    target: str
    read_only: bool = False

    @property
    def is_bind(self) -> bool:
        return self.source.startswith("/")

    @property
    def container_secret(self) -> str | None:
        """For a mount of the files `intelluxe up` writes for containers (the service token, the master key, the
        receiver's certificate folder): the name under $INTELLUXE_HOME/container-secrets; else None."""
        return self.source.removeprefix(CONTAINER_SECRETS) if self.source.startswith(CONTAINER_SECRETS) else None


@dataclass(frozen=True)
class ServiceConf:
    name: str
    path: Path
    image: str
    ports: tuple[Port, ...] = ()
    volumes: tuple[Volume, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    restart: str | None = None
    network: str | None = None
    health_cmd: str | None = None
    memory_limit: str | None = None
    working_dir: str | None = None
    command: tuple[str, ...] = ()
    tmpfs: tuple[str, ...] = ()


def read_conf(name: str, path: Path) -> ServiceConf:
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.rstrip("\r")
        if _SKIP.match(line):
            continue
        m = _LINE.match(line)
        if m is None:
            raise ConfError(f'{path}:{n}: expected key="value"')
        key, value = m.groups()
        if key not in KEYS:
            raise ConfError(f"{path}:{n}: unknown key {key!r} (known: {' '.join(KEYS)})")
        if key in values:
            raise ConfError(f"{path}:{n}: key {key!r} repeats line {lines[key]}")
        values[key], lines[key] = value, n
    if "image" not in values:
        raise ConfError(f"{path}: missing required key 'image'")
    return ServiceConf(
        name=name,
        path=path,
        image=values["image"],
        ports=tuple(_port(path, item) for item in values.get("port", "").split()),
        volumes=tuple(_volume(path, item) for item in values.get("volumes", "").split()),
        env=dict(_env(path, item) for item in values.get("env", "").split()),
        restart=values.get("restart") or None,
        network=values.get("network") or None,
        health_cmd=values.get("health_cmd") or None,
        memory_limit=values.get("memory_limit") or None,
        working_dir=values.get("working_dir") or None,
        command=tuple(shlex.split(values["command"])) if values.get("command") else (),
        tmpfs=tuple(values.get("tmpfs", "").split()),
    )


def _port(path: Path, item: str) -> Port:
    m = _PORT.match(item)
    if m is None:
        raise ConfError(f"{path}: port {item!r} is not [ip:]HOST:CONTAINER[/proto]")
    return Port(m.group(1), int(m.group(2)), int(m.group(3)), m.group(4) or "tcp")


def _volume(path: Path, item: str) -> Volume:
    parts = item.split(":")
    if len(parts) not in (2, 3) or not parts[1].startswith("/"):
        raise ConfError(f"{path}: volume {item!r} is not HOST:/CONTAINER[:ro|rw]")
    host = parts[0]
    if host.startswith("."):
        host = str((path.parent / host).resolve())
    return Volume(host, parts[1], read_only=len(parts) == 3 and parts[2].startswith("ro"))


def _env(path: Path, item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
        raise ConfError(f"{path}: env item {item!r} is not NAME=VALUE")
    return name, value
