"""The orchestration layer behind `intelluxe up | down | status`.

The stack's order lives in `config/stack.yml`; how one service starts lives in its `.conf` and the runner. This
module only sequences them: database servers first, migrations, then each service through the runner, waiting for
its health check before the next one starts (a later service may call an earlier one).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from core import embedded, healthcheck
from core.config import Settings
from core.db import SERVICE_ROLE, Database, as_role, migrate
from core.keys import master_key_file, master_key_text

Output = Callable[[str], None]
# Services that speak only TLS on their port, in containers too (the clinic CA signs their certificates): the
# receiver's websocket, and the console, whose session cookie is Secure.
TLS_SERVICES = frozenset({"audio-receiver", "console"})
# The database containers of the docker backend, shown by the scheme their clients use.
DATABASE_SCHEMES = {"postgres": "postgresql", "redis": "redis"}
# Where clients talk to a service, when that is not its root (the status table shows it).
ENDPOINT_PATHS = {"agentcare-mcp": "/mcp"}
SERVICE_TOKEN_NAME = "intelluxe-services"  # noqa: S105 - a token name, not a secret


class StackError(Exception):
    """The stack could not be brought to the asked state; the message says which part and why."""


def runner_root(settings: Settings) -> Path:
    """The project root, which must hold the runner (a checkout, or INTELLUXE_ROOT for an installed package)."""
    root = settings.root
    if not (root / "universal-service-runner.sh").exists():
        raise StackError(f"{root} has no universal-service-runner.sh; run from a checkout or set INTELLUXE_ROOT")
    return root


@dataclass(frozen=True)
class StackEntry:
    name: str
    conf: Path
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stack:
    infrastructure: tuple[StackEntry, ...]
    services: tuple[StackEntry, ...]

    @classmethod
    def load(cls, root: Path, path: Path | None = None) -> Stack:
        """config/stack.yml (or `path`); each entry's conf is taken relative to the project root."""
        path = path or root / "config" / "stack.yml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise StackError(f"{path}: {exc}") from exc
        seen: set[str] = set()

        def entries(section: str) -> tuple[StackEntry, ...]:
            out = []
            for i, item in enumerate(data.get(section) or []):
                where = f"{path}: {section}[{i}]"
                if not isinstance(item, dict) or not item.get("name") or not item.get("conf"):
                    raise StackError(f"{where} needs 'name' and 'conf'")
                needs = tuple(item.get("needs") or ())
                missing = [n for n in needs if n not in seen]
                if missing:
                    raise StackError(f"{where} ({item['name']}) needs {missing}, which must be listed before it")
                conf = root / item["conf"]
                if not conf.is_file():
                    raise StackError(f"{where} ({item['name']}): {conf} does not exist")
                seen.add(item["name"])
                out.append(StackEntry(item["name"], conf, needs))
            return tuple(out)

        return cls(infrastructure=entries("infrastructure"), services=entries("services"))


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    backend: str
    state: str
    health: str
    ports: str
    log: str

    @property
    def ok(self) -> bool:
        return self.state == "running" and self.health in ("healthy", "none")

    @property
    def url(self) -> str:
        first = self.ports.split(",")[0]
        if first in ("", "-"):
            return "-"
        host_port = first.split("/")[0].rsplit(":", 1)[0].split(":")[-1]
        if self.name in DATABASE_SCHEMES:
            return f"{DATABASE_SCHEMES[self.name]}://127.0.0.1:{host_port}"
        if self.backend == "local" or self.name in TLS_SERVICES:
            return f"https://localhost:{host_port}"  # host processes all serve HTTPS (core.tls)
        return f"http://127.0.0.1:{host_port}"

    @property
    def endpoint(self) -> str:
        """What a client connects to: the URL and the service's path (the MCP server's /mcp)."""
        return self.url if self.url == "-" else self.url + ENDPOINT_PATHS.get(self.name, "")


class Runner:
    """universal-service-runner.sh, called with an environment that points services at our databases."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.script = root / "universal-service-runner.sh"
        self.env = env

    def _run(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["bash", str(self.script), *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        if check and result.returncode != 0:
            raise StackError(result.stderr.strip() or f"runner {' '.join(args)} failed ({result.returncode})")
        return result

    def start(self, entry: StackEntry, backend: str, dry_run: bool = False) -> str:
        args = ["--backend", backend, *(["--dry-run"] if dry_run else []), entry.name, str(entry.conf)]
        return self._run(*args, check=True).stdout.strip()

    def stop(self, name: str) -> str:
        return self._run("stop", name, check=True).stdout.strip()

    def status(self, name: str) -> ServiceStatus:
        result = self._run("status", name)
        lines = [line for line in result.stdout.splitlines()[1:] if line.strip()]
        if not lines:
            raise StackError(result.stderr.strip() or f"runner status {name} printed nothing")
        fields = lines[0].split("\t")
        if len(fields) != 6:
            raise StackError(f"runner status {name}: unexpected line {lines[0]!r}")
        return ServiceStatus(*fields)

    def logs(self, name: str, lines: int = 20) -> str:
        result = self._run("logs", "-n", str(lines), name)
        return result.stdout if result.returncode == 0 else result.stderr


def runner_env(settings: Settings, postgres_url: str | None, redis_url: str | None) -> dict[str, str]:
    """Our environment, plus the database URLs and home, with this interpreter's bin folder first on PATH so
    the services' `gunicorn` and `python` are the ones this package is installed in."""
    env = dict(os.environ)
    env["INTELLUXE_HOME"] = str(settings.home)
    if postgres_url:
        env["POSTGRES_URL"] = postgres_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    # The audio-receiver's certificates (a .conf names the container's folder; host processes use this one).
    env.setdefault("TLS_CERT_DIR", str(settings.home / "certs"))
    # Secrets as files, as in the containers: a .conf names the container's path, which host processes do not have.
    env.setdefault("INTELLUXE_SERVICE_TOKEN_FILE", str(service_token_file(settings)))
    env.setdefault("INTELLUXE_MASTER_KEY_FILE", str(master_key_file(settings)))
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


@dataclass
class UpResult:
    services: list[ServiceStatus] = field(default_factory=list)
    postgres_url: str | None = None
    redis_url: str | None = None
    embedded: bool = False


def _ensure_databases(settings: Settings, out: Output) -> tuple[str, str]:
    if settings.postgres_url:
        postgres_url = settings.postgres_url
        out("postgres   using POSTGRES_URL")
    elif embedded.postgres_url(settings.home):
        out(f"postgres   embedded server running ({settings.home / 'pgdata'})")
        postgres_url = embedded.start_postgres(settings.home)
    else:
        out(f"postgres   starting embedded server in {settings.home / 'pgdata'} …")
        postgres_url = embedded.start_postgres(settings.home)
    if settings.redis_url:
        redis_url = settings.redis_url
        out("redis      using REDIS_URL")
    else:
        if embedded.status(settings.home).redis_running:
            out(f"redis      embedded server running ({settings.home / 'redis'})")
        else:
            out(f"redis      starting embedded server in {settings.home / 'redis'} …")
        redis_url = embedded.start_redis(settings.home)
    return postgres_url, redis_url


def wait_healthy(runner: Runner, name: str, timeout: float, out: Output) -> ServiceStatus:
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    status = runner.status(name)
    while not status.ok and time.monotonic() < deadline:
        if status.state != "running":
            break
        time.sleep(0.5)
        status = runner.status(name)
    out(f"{name:<18} {'healthy' if status.ok else status.health or status.state} ({time.monotonic() - started:.1f} s)")
    return status


def up(
    settings: Settings, *, backend: str = "local", timeout: float = 60.0, dry_run: bool = False, out: Output = print
) -> UpResult:
    """Bring the stack up; a second call finds everything healthy and changes nothing."""
    root = runner_root(settings)
    stack = Stack.load(root, settings.stack_file)
    result = UpResult()
    if backend == "docker":
        runner = Runner(root, runner_env(settings, None, None))
        if not dry_run:
            for entry in stack.infrastructure:
                result.services.append(_start(runner, entry, backend, timeout, out))
            _prepare_docker(settings, stack, root, result, out)
        entries = list(stack.services) if not dry_run else [*stack.infrastructure, *stack.services]
    else:
        runner = _local_runner(settings, stack, root, result, dry_run=dry_run, out=out)
        entries = list(stack.services)
    for entry in entries:
        if dry_run:
            out(runner.start(entry, backend, dry_run=True))
            continue
        status = _start(runner, entry, backend, timeout, out)
        result.services.append(status)
        if backend == "local" and settings.variable(_url_variable(entry.name)) is None:
            # Later services find this one at its host port (a .conf's env names the container network's host).
            runner.env[_url_variable(entry.name)] = status.url
    return result


def _url_variable(service: str) -> str:
    return service.upper().replace("-", "_") + "_URL"


def _prepare_docker(settings: Settings, stack: Stack, root: Path, result: UpResult, out: Output) -> None:
    """Between the database containers and the services: migrations, the services' login, the mounted secrets."""
    from core import stack_docker

    postgres = next((e for e in stack.infrastructure if e.name == "postgres"), None)
    if postgres is None:
        raise StackError("the docker backend needs a 'postgres' entry under infrastructure in the stack file")
    try:
        owner = stack_docker.owner_database(postgres.conf, settings.home, settings.environ)
        stack_docker.prepare_database(settings, owner, out)
        token = ensure_service_token(settings, owner.url())
        cert_dir = settings.home / "certs"
        ensure_certificates(root, cert_dir, out)
        stack_docker.write_container_secrets(settings, cert_dir, token)
    except stack_docker.DockerStackError as exc:
        raise StackError(str(exc)) from None
    result.postgres_url = owner.shown()


def _local_runner(
    settings: Settings, stack: Stack, root: Path, result: UpResult, *, dry_run: bool, out: Output
) -> Runner:
    """For host processes: the databases (embedded unless URLs are given) migrated, the service token, and the
    receiver's master key and certificates."""
    superuser = False
    if dry_run:
        postgres_url, redis_url = settings.postgres_url, settings.redis_url
    else:
        postgres_url, redis_url = _ensure_databases(settings, out)
        db = Database(postgres_url, minconn=1, maxconn=1)
        try:
            report = migrate(db)
            superuser = _is_superuser(db)
        finally:
            db.close()
        out(f"migrations applied {len(report.applied)}, already applied {len(report.already)}")
    result.postgres_url, result.redis_url = postgres_url, redis_url
    result.embedded = not settings.postgres_url
    services_url = postgres_url
    if result.embedded and postgres_url:
        services_url = as_role(postgres_url)  # the embedded server trusts local roles
        out(f"postgres   services connect as {SERVICE_ROLE} (no superuser rights)")
    elif superuser:
        out(
            "postgres   WARNING: POSTGRES_URL logs the services in as a superuser, who can rewrite the audit log; "
            f"give them {SERVICE_ROLE} (postgres/init/07-service-role.sql) or another member of intelluxe_app"
        )
    runner = Runner(root, runner_env(settings, services_url, redis_url))
    if not dry_run and not settings.service_token:
        ensure_service_token(settings, postgres_url)
    if not dry_run:
        ensure_certificates(root, Path(runner.env["TLS_CERT_DIR"]), out)
    if not dry_run and any(e.name == "audio-receiver" for e in stack.services):
        master_key_text(settings, create=True)  # seals doctors' keys; the receiver reads it and never makes one
    return runner


def _is_superuser(db: Database) -> bool:
    row = db.fetchone("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    return bool(row and row["rolsuper"])


def _start(runner: Runner, entry: StackEntry, backend: str, timeout: float, out: Output) -> ServiceStatus:
    """Start one service unless it already runs healthy; StackError with its log when it does not get healthy."""
    current = runner.status(entry.name)
    if current.ok:
        out(f"{entry.name:<18} already running and healthy")
        return current
    out(f"{entry.name:<18} starting ({backend}) …")
    runner.start(entry, backend)
    status = wait_healthy(runner, entry.name, timeout, out)
    if not status.ok:
        raise StackError(
            f"{entry.name} did not become healthy within {timeout:.0f} s "
            f"(state {status.state}, health {status.health}); last lines of its log:\n" + runner.logs(entry.name, 30)
        )
    return status


def service_token_file(settings: Settings) -> Path:
    return settings.home / "run" / "service-token"


def ensure_service_token(settings: Settings, postgres_url: str) -> str:
    """The token services use to call each other, kept in $INTELLUXE_HOME/run/service-token (mode 0600);
    reused while it verifies, else the old one is revoked and a new one issued."""
    from core import auth

    path = service_token_file(settings)
    db = Database(postgres_url, minconn=1, maxconn=1)
    try:
        if path.exists():
            token = path.read_text().strip()
            try:
                auth.verify_token(db, token)
                return token
            except auth.AuthError:
                pass
        auth.revoke_token(db, SERVICE_TOKEN_NAME)
        token = auth.issue_token(db, SERVICE_TOKEN_NAME, auth.Role.SERVICE)
    finally:
        db.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


def ensure_certificates(root: Path, cert_dir: Path, out: Output) -> None:
    """The clinic CA and the services' TLS certificate (localhost, 127.0.0.1), made in `cert_dir` on first use:
    every host-process service serves HTTPS with it (core.tls), the receiver its websocket."""
    if not (cert_dir / "cert.pem").is_file() or not (cert_dir / "key.pem").is_file():
        result = subprocess.run(
            ["bash", str(root / "scripts" / "gen-certs.sh"), str(cert_dir)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise StackError(f"could not make the services' TLS certificate: {result.stderr.strip()}")
        out(f"made the clinic CA and the services' certificate in {cert_dir}")


def down(settings: Settings, *, out: Output = print) -> None:
    """Stop every service of the stack that runs, newest first, then the embedded servers."""
    root = runner_root(settings)
    stack = Stack.load(root, settings.stack_file)
    runner = Runner(root, runner_env(settings, None, None))
    for entry in reversed([*stack.infrastructure, *stack.services]):
        if _runner_knows(settings, entry.name):
            out(runner.stop(entry.name))
    if embedded.stop_redis(settings.home):
        out("redis: embedded server stopped")
    if embedded.stop_postgres(settings.home):
        out("postgres: embedded server stopped")


def _runner_knows(settings: Settings, name: str) -> bool:
    """Whether the runner started NAME from this home (it keeps the conf's path in its run folder)."""
    return (settings.home / "run" / f"{name}.conf-path").exists()


def status(settings: Settings) -> tuple[list[ServiceStatus], embedded.EmbeddedStatus]:
    """Each service as the runner sees it, with a healthy one's own word for itself: "degraded" when /health says
    an optional dependency (the cache) is down, although its health command passes."""
    root = runner_root(settings)
    stack = Stack.load(root, settings.stack_file)
    runner = Runner(root, runner_env(settings, None, None))
    checks = healthcheck.HealthcheckSettings.from_env(settings.environ)
    found = []
    # The database containers when the runner started them (the docker backend); embedded servers are listed apart.
    infrastructure = [e for e in stack.infrastructure if _runner_knows(settings, e.name)]
    for entry in [*infrastructure, *stack.services]:
        service = runner.status(entry.name)
        if service.health == "healthy" and service.url.startswith("http"):
            word = healthcheck.reported_status(service.url, checks)
            service = replace(service, health=word) if word == "degraded" else service
        found.append(service)
    return found, embedded.status(settings.home)
