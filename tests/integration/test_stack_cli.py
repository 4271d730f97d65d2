"""`intelluxe up | status | down` with the local backend: the real stack, and a stack with a broken service."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def test_up_twice_then_down(tmp_path: Path, migrated_url: str, redis_url: str, intelluxe, stack_ports) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    env = {
        "POSTGRES_URL": migrated_url,
        "REDIS_URL": redis_url,
        "INTELLUXE_CACHE_PREFIX": f"ilx-{os.getpid()}-{id(home)}:",
    }
    try:
        first = intelluxe(home, "up", **env)
        assert first.returncode == 0, first.stdout + first.stderr
        for service, port in stack_ports.items():
            assert f"{service:<18} starting (local)" in first.stdout
            url = health_url(home, service, port)
            health = requests.get(url, timeout=5, verify=str(home / "certs" / "ca.pem"))
            assert health.status_code == 200
            assert health.json()["service"] == service
            assert url.removesuffix("/health") in first.stdout
        pids = {s: (home / "run" / f"{s}.pid").read_text() for s in stack_ports}
        with pytest.raises(requests.ConnectionError):  # no plain HTTP: patient data only crosses in TLS
            requests.get("http://127.0.0.1:8004/health", timeout=5)

        # The services find each other: billing → insurance-verify (service token) → payer sandbox (X12).
        issued = intelluxe(home, "token", "issue", "--name", f"stack-{os.getpid()}", "--role", "billing", **env)
        token = issued.stdout.strip()
        claim = requests.post(
            "https://localhost:8004/create_claim",  # HTTPS with the clinic CA (core.tls), like every service
            json={
                "patient_data": {"patient_id": "P-STACK", "provider_id": "dr-smith", "member_id": "XYZ100000001"},
                "services": [{"code": "99213", "amount": "150.00", "allowed_amount": "100.00"}],
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            verify=str(home / "certs" / "ca.pem"),
        )
        assert claim.status_code == 200, claim.text
        assert claim.json()["patient_responsibility"] == 25.0
        intelluxe(home, "token", "revoke", f"stack-{os.getpid()}", **env)

        second = intelluxe(home, "up", **env)
        assert second.returncode == 0, second.stderr
        assert "starting (local)" not in second.stdout
        assert second.stdout.count("already running and healthy") == len(stack_ports)
        assert pids == {s: (home / "run" / f"{s}.pid").read_text() for s in stack_ports}

        status = intelluxe(home, "status", **env)
        assert status.returncode == 0
        assert status.stdout.count("running   healthy") == len(stack_ports)
    finally:
        down = intelluxe(home, "down", **env)
    assert down.returncode == 0, down.stderr
    for service in stack_ports:
        assert f"{service}: stopped" in down.stdout
    for service, port in stack_ports.items():
        with pytest.raises(requests.ConnectionError):
            requests.get(health_url(home, service, port), timeout=5, verify=str(home / "certs" / "ca.pem"))
    after = intelluxe(home, "status", **env)
    assert after.returncode == 1
    assert after.stdout.count("stopped") == len(stack_ports)


def health_url(home: Path, service: str, port: int) -> str:
    """Every service answers over TLS with the certificate for localhost that `intelluxe up` made under home/certs
    (plain HTTP is refused)."""
    assert (home / "certs" / "ca.pem").is_file()
    return f"https://localhost:{port}/health"


def _broken_root(tmp_path: Path, command: str, health: str) -> Path:
    """A checkout-shaped folder whose stack has one service with the given command and health command."""
    root = tmp_path / "root"
    (root / "config").mkdir(parents=True)
    shutil.copy(ROOT / "universal-service-runner.sh", root)
    shutil.copytree(ROOT / "libexec", root / "libexec")
    shutil.copytree(ROOT / "postgres", root / "postgres")
    (root / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "gen-certs.sh", root / "scripts")
    svc = root / "services" / "flaky"
    (svc / "app").mkdir(parents=True)
    (svc / "app" / "serve.py").write_text(
        "import sys, time\nprint('flaky: cannot reach its database', file=sys.stderr, flush=True)\n"
        "time.sleep(60) if len(sys.argv) > 1 else sys.exit(3)\n"
    )
    (svc / "flaky.conf").write_text(
        f'image="img"\nport="18099:8000"\nvolumes="./app:/app"\nworking_dir="/app"\n'
        f'health_cmd="{health}"\ncommand="{command}"\n'
    )
    (root / "config" / "stack.yml").write_text("services:\n  - name: flaky\n    conf: services/flaky/flaky.conf\n")
    return root


def test_a_service_that_never_gets_healthy_fails_up_with_its_log(
    tmp_path: Path,
    migrated_url: str,
    redis_url: str,
    intelluxe,  # type: ignore[no-untyped-def]
) -> None:
    root = _broken_root(tmp_path, command="python3 /app/serve.py stay", health="false")
    home = tmp_path / "home"
    result = intelluxe(home, "up", "--timeout", "2", root=root, POSTGRES_URL=migrated_url, REDIS_URL=redis_url)
    intelluxe(home, "down", root=root, POSTGRES_URL=migrated_url)
    assert result.returncode == 1
    assert "intelluxe: flaky did not become healthy within 2 s (state running, health unhealthy)" in result.stderr
    assert "flaky: cannot reach its database" in result.stderr


def test_a_service_that_exits_at_once_fails_up_with_its_log(
    tmp_path: Path, migrated_url: str, redis_url: str, intelluxe
) -> None:  # type: ignore[no-untyped-def]
    root = _broken_root(tmp_path, command="python3 /app/serve.py", health="true")
    home = tmp_path / "home"
    result = intelluxe(home, "up", root=root, POSTGRES_URL=migrated_url, REDIS_URL=redis_url)
    assert result.returncode == 1
    assert "flaky exited at once" in result.stderr
    assert "flaky: cannot reach its database" in result.stderr


def test_docker_dry_run_lists_infrastructure_then_services(tmp_path: Path, intelluxe) -> None:  # type: ignore[no-untyped-def]
    result = intelluxe(tmp_path / "home", "up", "--backend", "docker", "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    names = [line.split("--name ")[1].split()[0] for line in lines]
    assert names == [
        "postgres",
        "redis",
        "payer-sandbox",
        "insurance-verify",
        "billing",
        "compliance",
        "console",
        "audio-receiver",
        "agentcare-mcp",
    ]
    assert all(line.startswith("docker run -d --name ") for line in lines)
    console = next(line for line in lines if "--name console " in line)
    # The console serves HTTPS in its container too (its session cookie is Secure).
    assert "container-secrets/tls:/etc/intelluxe/tls:ro" in console and "-e TLS_CERT_DIR=/etc/intelluxe/tls" in console
    receiver = lines[-2]
    # The seed's keys: the TLS port, certificates read-only, a tmpfs, the bundled model (no WHISPER_MODEL=large);
    # the certificates and the master key are files `up` writes for containers, mounted read-only.
    for part in (
        "-p 8443:8443",
        "container-secrets/tls:/etc/intelluxe/tls:ro",
        "container-secrets/master-key:/run/secrets/intelluxe-master-key:ro",
        "--tmpfs /tmp:size=512M",
        "-e TLS_CERT_DIR=/etc/intelluxe/tls",
        "python -m audio_receiver",
    ):
        assert part in receiver, part
    assert "WHISPER_MODEL" not in receiver


def test_a_command_that_has_to_start_the_embedded_postgres_says_so(migrated_url, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from core import embedded
    from core.cli.common import database
    from core.config import Settings

    started: list[Path] = []
    monkeypatch.setattr(embedded, "postgres_url", lambda home: None)  # stopped
    monkeypatch.setattr(embedded, "start_postgres", lambda home: started.append(home) or migrated_url)
    settings = Settings.from_env({"INTELLUXE_HOME": "/tmp/ilx-stopped"})
    with database(settings) as db:
        assert db.fetchone("SELECT 1 AS one") == {"one": 1}
    assert started == [Path("/tmp/ilx-stopped")]
    assert "the embedded server in /tmp/ilx-stopped/pgdata was stopped; starting it" in capsys.readouterr().err


def test_up_on_a_running_redis_does_not_say_it_starts_one(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core import embedded, stack
    from core.config import Settings

    said: list[str] = []
    monkeypatch.setattr(embedded, "status", lambda home: embedded.EmbeddedStatus(None, "redis://x", True))
    monkeypatch.setattr(embedded, "start_redis", lambda home: "redis://x")
    settings = Settings.from_env({"INTELLUXE_HOME": "/tmp/ilx-running", "POSTGRES_URL": "postgresql://unused"})
    assert stack._ensure_databases(settings, said.append) == ("postgresql://unused", "redis://x")
    assert said[1] == "redis      embedded server running (/tmp/ilx-running/redis)"


def test_up_on_the_embedded_server_runs_the_services_as_the_least_privilege_role(  # type: ignore[no-untyped-def]
    migrated_url, redis_url, tmp_path, monkeypatch
) -> None:
    from psycopg2.extensions import parse_dsn

    from core import stack
    from core.config import Settings

    monkeypatch.setattr(stack, "_ensure_databases", lambda settings, out: (migrated_url, redis_url))
    settings = Settings.from_env({"INTELLUXE_HOME": str(tmp_path), "INTELLUXE_ROOT": str(ROOT)})
    said: list[str] = []
    runner = stack._local_runner(settings, stack.Stack((), ()), ROOT, stack.UpResult(), dry_run=False, out=said.append)
    assert parse_dsn(runner.env["POSTGRES_URL"])["user"] == "intelluxe_service"
    assert "postgres   services connect as intelluxe_service (no superuser rights)" in said


def test_up_warns_when_postgres_url_makes_the_services_superusers(
    migrated_url, redis_url, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from core import stack
    from core.config import Settings

    monkeypatch.setattr(stack, "_ensure_databases", lambda settings, out: (migrated_url, redis_url))
    settings = Settings.from_env(
        {"INTELLUXE_HOME": str(tmp_path), "INTELLUXE_ROOT": str(ROOT), "POSTGRES_URL": migrated_url}
    )
    said: list[str] = []
    runner = stack._local_runner(settings, stack.Stack((), ()), ROOT, stack.UpResult(), dry_run=False, out=said.append)
    assert runner.env["POSTGRES_URL"] == migrated_url  # the operator's choice stands
    assert any("WARNING: POSTGRES_URL logs the services in as a superuser" in line for line in said)
