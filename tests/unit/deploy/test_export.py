"""`intelluxe export`: the stack's `.conf` files read as the runner reads them, and written as Compose (one server,
or a Swarm) and Kubernetes manifests — validated by docker-compose / `docker stack config` where installed, and by
kubernetes-validate's schemas (offline) always."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from core.deploy.compose import compose_document, stack_confs
from core.deploy.conf import ConfError, read_conf
from core.deploy.k8s import manifests

ROOT = Path(__file__).resolve().parents[3]


def test_every_conf_reads_as_the_runner_reads_it() -> None:
    confs, needs = stack_confs(ROOT)
    assert [c.name for c in confs][:2] == ["postgres", "redis"] and needs["billing"] == ("postgres", "insurance-verify")
    for conf in confs:
        runner = subprocess.run(
            [str(ROOT / "universal-service-runner.sh"), "conf", str(conf.path)], capture_output=True, text=True
        )
        assert runner.returncode == 0, runner.stderr
        said = dict(line.split("\t", 1) for line in runner.stdout.splitlines())
        assert said["image"] == conf.image
        assert said.get("memory_limit") == conf.memory_limit
        assert said.get("env", "").split() == [f"{k}={v}" for k, v in conf.env.items()]
        assert said.get("command", "").split() == list(conf.command)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('image="x"\nflavour="y"\n', "unknown key 'flavour'"),
        ('image="x"\nimage="y"\n', "key 'image' repeats line 1"),
        ("image=x\n", 'expected key="value"'),
        ('image="x"\nport="80"\n', "port '80' is not"),
        ('port="1:2"\n', "missing required key 'image'"),
    ],
)
def test_a_conf_the_runner_refuses_is_refused_by_line(tmp_path: Path, text: str, message: str) -> None:
    conf = tmp_path / "x.conf"
    conf.write_text(text)
    with pytest.raises(ConfError, match=message):
        read_conf("x", conf)


def test_compose_for_one_server(tmp_path: Path) -> None:
    doc = compose_document(ROOT, home=tmp_path)
    services = doc["services"]
    assert list(services)[:3] == ["postgres", "redis", "payer-sandbox"] and "agentcare-mcp" in services
    billing = services["billing"]
    assert billing["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "insurance-verify": {"condition": "service_healthy"},
    }
    assert billing["healthcheck"]["test"] == ["CMD-SHELL", "python -m core.healthcheck"]
    assert billing["deploy"]["resources"]["limits"]["memory"] == "1g" and billing["restart"] == "unless-stopped"
    assert "volumes" not in billing  # ./app is a development mount: the code is in the image
    # The service token is a Compose secret (a read-only file; a Swarm secret object), never an environment value.
    assert billing["secrets"] == ["intelluxe-service-token"]
    assert billing["environment"]["INTELLUXE_SERVICE_TOKEN_FILE"] == "/run/secrets/intelluxe-service-token"
    assert doc["secrets"] == {
        "intelluxe-service-token": {"file": f"{tmp_path}/container-secrets/service-token"},
        "intelluxe-master-key": {"file": f"{tmp_path}/container-secrets/master-key"},
    }
    receiver = services["audio-receiver"]
    assert receiver["secrets"] == ["intelluxe-master-key"]
    tls = {"type": "bind", "source": f"{tmp_path}/container-secrets/tls", "target": "/etc/intelluxe/tls"}
    assert {**tls, "read_only": True} in receiver["volumes"]
    assert services["postgres"]["ports"] == ["127.0.0.1:5432:5432/tcp"]
    assert services["postgres"]["volumes"][0] == {
        "type": "volume",
        "source": "postgres-data",
        "target": "/var/lib/postgresql/data",
    }
    assert set(doc["volumes"]) == {"postgres-data", "redis-data"}
    text = json.dumps(doc)
    assert "${POSTGRES_PASSWORD}" in text and "secure_password" not in text
    # The services log in as the least-privilege role, never as the owner of the audit log.
    assert billing["environment"]["POSTGRES_URL"].startswith("postgresql://intelluxe_service:${INTELLUXE_SERVICE_DB_")


def test_compose_for_a_swarm_with_replicas() -> None:
    doc = compose_document(ROOT, swarm=True, replicas=2)
    services = doc["services"]
    assert "ports" not in services["postgres"] and "ports" not in services["redis"]
    for name in ("insurance-verify", "billing", "compliance", "agentcare-mcp"):
        assert services[name]["deploy"]["replicas"] == 2 and services[name]["deploy"]["endpoint_mode"] == "dnsrr"
        assert "ports" not in services[name]
    receiver = services["audio-receiver"]
    assert receiver["deploy"]["replicas"] == 1 and receiver["deploy"]["endpoint_mode"] == "dnsrr"
    assert receiver["ports"] == [{"target": 8443, "published": 8443, "protocol": "tcp", "mode": "host"}]
    assert doc["networks"]["clinical-net"] == {"driver": "overlay", "attachable": True}
    assert services["billing"]["depends_on"] == ["postgres", "insurance-verify"]


def test_compose_for_some_services_brings_what_they_need() -> None:
    doc = compose_document(ROOT, only={"billing"})
    assert list(doc["services"]) == ["postgres", "redis", "payer-sandbox", "insurance-verify", "billing"]
    with pytest.raises(ValueError, match="no such service in config/stack.yml: biling"):
        compose_document(ROOT, only={"biling"})


@pytest.mark.parametrize("swarm", [False, True])
def test_the_engines_accept_the_compose_files(tmp_path: Path, swarm: bool) -> None:
    file = tmp_path / "compose.yml"
    file.write_text(yaml.safe_dump(compose_document(ROOT, swarm=swarm, replicas=2), sort_keys=False))
    env = {**os.environ, "POSTGRES_PASSWORD": "not-a-real-one"}
    if swarm:
        if shutil.which("docker") is None:
            pytest.skip("no docker CLI to run `docker stack config` (apt-get install docker.io)")
        run = subprocess.run(["docker", "stack", "config", "-c", str(file)], capture_output=True, text=True, env=env)
    else:
        if shutil.which("docker-compose") is None:
            pytest.skip("no docker-compose (apt-get install docker-compose)")
        run = subprocess.run(
            ["docker-compose", "-f", str(file), "config", "-q"], capture_output=True, text=True, env=env
        )
    assert run.returncode == 0, run.stderr


def test_kubernetes_manifests_validate_and_carry_no_secret() -> None:
    docs = manifests(ROOT, replicas=2, environ={"INTELLUXE_POSTGRES_IMAGE": "registry.clinic/postgres:15"})
    for doc in docs:
        kubernetes_validate.validate(doc, "1.31.0", strict=True)
    kinds = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert ("PodDisruptionBudget", "billing") in kinds and ("PodDisruptionBudget", "audio-receiver") not in kinds
    assert ("NetworkPolicy", "databases-from-services-only") in kinds
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    billing = deployments["billing"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in billing["env"]}
    assert env["INTELLUXE_SERVICE_DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "intelluxe-secrets",
        "key": "INTELLUXE_SERVICE_DB_PASSWORD",
    }
    assert (
        env["POSTGRES_URL"]["value"]
        == "postgresql://intelluxe_service:$(INTELLUXE_SERVICE_DB_PASSWORD)@postgres:5432/intelluxe"
    )
    names = [e["name"] for e in billing["env"]]
    assert names.index("INTELLUXE_SERVICE_DB_PASSWORD") < names.index("POSTGRES_URL")  # $(NAME): earlier ones only
    assert {
        "name": "files",
        "mountPath": "/run/secrets/intelluxe-service-token",
        "subPath": "service-token",
        "readOnly": True,
    } in billing["volumeMounts"]
    assert billing["resources"]["limits"]["memory"] == "1Gi"
    assert billing["readinessProbe"]["exec"]["command"] == ["sh", "-c", "python -m core.healthcheck"]
    postgres = deployments["postgres"]["spec"]["template"]["spec"]["containers"][0]
    assert postgres["image"] == "registry.clinic/postgres:15"
    assert deployments["redis"]["spec"]["template"]["spec"]["containers"][0]["image"] == "redis:7-alpine"
    schema = next(d for d in docs if d["kind"] == "ConfigMap")
    assert "01-core-schema.sql" in schema["data"] and "CREATE" in schema["data"]["01-core-schema.sql"]
    assert "ALTER ROLE intelluxe_service" in schema["data"]["50-service-login.sh"]


def test_kubernetes_with_a_managed_database() -> None:
    docs = manifests(ROOT, external_databases=True)
    names = {d["metadata"]["name"] for d in docs}
    assert not names & {"postgres", "redis", "postgres-schema", "databases-from-services-only"}


def test_the_validator_refuses_what_kubernetes_would() -> None:
    deployment = next(d for d in manifests(ROOT) if d["kind"] == "Deployment")
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.31.0", strict=True)


def test_the_cli_writes_validated_manifests_and_says_what_is_missing_without_the_validator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.cli import main

    monkeypatch.setenv("INTELLUXE_HOME", str(tmp_path / "home"))
    out = tmp_path / "intelluxe.yaml"
    assert main(["export", "k8s", "--out", str(out)]) == 0
    docs = [d for d in yaml.safe_load_all(out.read_text(encoding="utf-8")) if d]
    assert {"Deployment", "Service", "NetworkPolicy"} <= {d["kind"] for d in docs}
    # The validator is the `deploy` extra (kept out of the service image): without it, a clear refusal, no file.
    monkeypatch.setitem(sys.modules, "kubernetes_validate", None)
    missing = tmp_path / "not-written.yaml"
    assert main(["export", "k8s", "--out", str(missing)]) == 1
    assert "pip install 'intelluxe[deploy]'" in capsys.readouterr().err
    assert not missing.exists()
