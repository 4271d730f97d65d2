"""config/stack.yml and the `.conf` files as Kubernetes manifests: per service a Deployment and a Service, the
memory limit as `resources.limits` (and requests: a clinic's node should not be overcommitted), the health command
as readiness and liveness probes, secrets from one Secret (`intelluxe-secrets`, made by the operator from
`$INTELLUXE_HOME/secrets.env` — never written here), the schema files as a ConfigMap, data folders as
PersistentVolumeClaims, a NetworkPolicy that lets only the suite's services reach PostgreSQL and Redis, and a
PodDisruptionBudget for each service that runs as several replicas.

`${NAME}` in an env value becomes `$(NAME)` — Kubernetes expands it from the container's earlier variables — with
NAME itself taken from the Secret; `${NAME:-default}` elsewhere (an image name) is resolved now, from `environ` or
its default. The receiver's certificates come from a Secret `intelluxe-tls` (cert.pem, key.pem, ca.pem), the files
a .conf mounts at /run/secrets (the service token, the master key) from a Secret `intelluxe-files`.
Infrastructure can be left out (`external_databases`): a clinic group on a managed PostgreSQL and Redis puts
POSTGRES_URL and REDIS_URL in the Secret instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.deploy.compose import STATELESS, stack_confs
from core.deploy.conf import REFERENCE, ServiceConf, Volume
from core.stack import Stack

SECRET = "intelluxe-secrets"  # noqa: S105 - the name of a Secret object, not a secret
TLS_SECRET = "intelluxe-tls"  # noqa: S105 - the name of a Secret object
FILES_SECRET = "intelluxe-files"  # noqa: S105 - the service token and master key, mounted as files
PART_OF = "intelluxe"
_UNITS = {"k": "Ki", "m": "Mi", "g": "Gi"}


def manifests(
    root: Path,
    *,
    namespace: str = "intelluxe",
    replicas: int = 1,
    environ: Mapping[str, str] | None = None,
    external_databases: bool = False,
) -> list[dict[str, Any]]:
    if replicas < 1:
        raise ValueError("replicas must be at least 1")
    environ = environ or {}
    confs, _ = stack_confs(root)
    infrastructure = {e.name for e in Stack.load(root).infrastructure}
    out: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}]
    for conf in confs:
        if external_databases and conf.name in infrastructure:
            continue
        count = replicas if conf.name in STATELESS else 1
        role = "database" if conf.name in infrastructure else "service"
        if conf.name == "postgres":
            out.append(_schema_config_map(conf, namespace))
        out += _claims(conf, namespace)
        out.append(_deployment(conf, namespace, count, role, environ))
        if conf.ports:
            out.append(_service(conf, namespace))
        if count > 1:
            out.append(_disruption_budget(conf, namespace))
    if not external_databases:
        out.append(_database_policy(namespace, sorted(infrastructure)))
    return out


def _meta(name: str, namespace: str, **labels: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PART_OF, **labels},
    }


def _quantity(limit: str) -> str:
    m = re.fullmatch(r"(\d+)([kmg]?)b?", limit.lower())
    if m is None:
        raise ValueError(f"memory_limit {limit!r} is not a number with k, m or g")
    return m.group(1) + _UNITS.get(m.group(2), "")


def _resolved(value: str, environ: Mapping[str, str]) -> str:
    """An image name or command word with ${NAME:-default} filled now (Kubernetes does not interpolate them)."""
    return REFERENCE.sub(lambda m: environ.get(m.group(1)) or (m.group(2) or ""), value)


def _env(conf: ServiceConf) -> list[dict[str, Any]]:
    secrets = sorted({m.group(1) for v in conf.env.values() for m in REFERENCE.finditer(v)})
    env: list[dict[str, Any]] = [
        {"name": name, "valueFrom": {"secretKeyRef": {"name": SECRET, "key": name}}} for name in secrets
    ]
    for name, value in conf.env.items():
        if name in secrets:
            continue
        env.append({"name": name, "value": REFERENCE.sub(lambda m: f"$({m.group(1)})", value)})
    return env


def _claim_name(conf: ServiceConf) -> str:
    return f"{conf.name}-data"


def _is_data(conf: ServiceConf, volume: Volume) -> bool:
    return volume.is_bind and volume.source == str(conf.path.parent / "data")


def _claims(conf: ServiceConf, namespace: str) -> list[dict[str, Any]]:
    if not any(_is_data(conf, v) for v in conf.volumes):
        return []
    return [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": _meta(_claim_name(conf), namespace),
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
        }
    ]


def _schema_config_map(conf: ServiceConf, namespace: str) -> dict[str, Any]:
    files = {
        Path(v.target).name: Path(v.source).read_text(encoding="utf-8")
        for v in conf.volumes
        if v.is_bind and v.target.startswith("/docker-entrypoint-initdb.d/")
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta("postgres-schema", namespace),
        "data": dict(sorted(files.items())),
    }


def _mounts(conf: ServiceConf) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(volumeMounts, volumes) of a container: data → its claim, the schema files → the ConfigMap, certificates →
    the TLS Secret, tmpfs → memory-backed emptyDir; the `./app` development mount is left out (the image has it)."""
    mounts: list[dict[str, Any]] = []
    volumes: dict[str, dict[str, Any]] = {}
    for volume in conf.volumes:
        if volume.is_bind and volume.source == str(conf.path.parent / "app"):
            continue
        if _is_data(conf, volume):
            volumes["data"] = {"name": "data", "persistentVolumeClaim": {"claimName": _claim_name(conf)}}
            mounts.append({"name": "data", "mountPath": volume.target})
        elif volume.target.startswith("/docker-entrypoint-initdb.d/"):
            volumes["schema"] = {"name": "schema", "configMap": {"name": "postgres-schema"}}
            name = Path(volume.target).name
            mounts.append({"name": "schema", "mountPath": volume.target, "subPath": name, "readOnly": True})
        elif volume.container_secret and volume.target.startswith("/run/secrets/"):
            # One key of the Secret the operator makes from $INTELLUXE_HOME/container-secrets (see the file's header).
            volumes["files"] = {"name": "files", "secret": {"secretName": FILES_SECRET, "defaultMode": 0o440}}
            key = volume.container_secret
            mounts.append({"name": "files", "mountPath": volume.target, "subPath": key, "readOnly": True})
        elif volume.container_secret == "tls":  # noqa: S105 - the certificate folder's name
            volumes["tls"] = {"name": "tls", "secret": {"secretName": TLS_SECRET, "defaultMode": 0o440}}
            mounts.append({"name": "tls", "mountPath": volume.target, "readOnly": True})
        else:
            raise ValueError(f"{conf.path}: no Kubernetes volume for {volume.source}:{volume.target}")
    for n, item in enumerate(conf.tmpfs):
        path, _, options = item.partition(":")
        size = re.search(r"size=(\d+[kmgKMG]?)", options)
        empty: dict[str, Any] = {"medium": "Memory"}
        if size:
            empty["sizeLimit"] = _quantity(size.group(1))
        volumes[f"tmpfs-{n}"] = {"name": f"tmpfs-{n}", "emptyDir": empty}
        mounts.append({"name": f"tmpfs-{n}", "mountPath": path})
    return mounts, list(volumes.values())


def _deployment(
    conf: ServiceConf, namespace: str, replicas: int, role: str, environ: Mapping[str, str]
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": conf.name, "image": _resolved(conf.image, environ)}
    if conf.command:
        container["args"] = [_resolved(word, environ) for word in conf.command]
    if conf.working_dir:
        container["workingDir"] = conf.working_dir
    env = _env(conf)
    if env:
        container["env"] = env
    if conf.ports:
        container["ports"] = [{"containerPort": p.target, "protocol": p.protocol.upper()} for p in conf.ports]
    if conf.memory_limit:
        memory = _quantity(conf.memory_limit)
        container["resources"] = {"limits": {"memory": memory}, "requests": {"memory": memory, "cpu": "100m"}}
    if conf.health_cmd:
        probe = {"exec": {"command": ["sh", "-c", conf.health_cmd]}, "periodSeconds": 10, "timeoutSeconds": 5}
        container["readinessProbe"] = {**probe, "failureThreshold": 3}
        container["livenessProbe"] = {**probe, "failureThreshold": 6, "initialDelaySeconds": 60}
    mounts, volumes = _mounts(conf)
    if mounts:
        container["volumeMounts"] = mounts
    labels = {"app.kubernetes.io/name": conf.name, "app.kubernetes.io/part-of": PART_OF, "intelluxe/role": role}
    pod: dict[str, Any] = {"containers": [container]}
    if volumes:
        pod["volumes"] = volumes
    if role == "service":
        pod["securityContext"] = {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 10001}
        pod["automountServiceAccountToken"] = False
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app.kubernetes.io/name": conf.name}},
        "template": {"metadata": {"labels": labels}, "spec": pod},
    }
    if role == "database":
        spec["strategy"] = {"type": "Recreate"}  # one pod at a time on a ReadWriteOnce volume
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(conf.name, namespace, **{"intelluxe/role": role}),
        "spec": spec,
    }


def _service(conf: ServiceConf, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(conf.name, namespace),
        "spec": {
            "selector": {"app.kubernetes.io/name": conf.name},
            "ports": [
                {"name": f"port-{p.target}", "port": p.target, "targetPort": p.target, "protocol": p.protocol.upper()}
                for p in conf.ports
            ],
        },
    }


def _disruption_budget(conf: ServiceConf, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(conf.name, namespace),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": conf.name}}},
    }


def _database_policy(namespace: str, databases: list[str]) -> dict[str, Any]:
    """Only the suite's services (label intelluxe/role=service) reach PostgreSQL and Redis."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta("databases-from-services-only", namespace),
        "spec": {
            "podSelector": {"matchLabels": {"intelluxe/role": "database"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"intelluxe/role": "service"}}}]}],
        },
    }
