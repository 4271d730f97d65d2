"""config/stack.yml and the `.conf` files as one Compose document, for `docker compose` on one server or
`docker stack deploy` on a Swarm (`swarm=True`).

How each `.conf` key carries over: image (its `${NAME:-default}` left for Compose to interpolate), command,
working_dir, tmpfs and env as written — `${POSTGRES_PASSWORD}` too, which Compose fills from the environment or
`--env-file $INTELLUXE_HOME/secrets.env`, so no secret is ever written into the file; health_cmd → healthcheck;
memory_limit → deploy.resources.limits.memory; restart → restart and deploy.restart_policy; network → a network of
the file (overlay on a Swarm); the stack's `needs` → depends_on with `condition: service_healthy`. Volumes: a
service's `./data` becomes a named volume (`<service>-data`: Docker keeps it, `down` does not remove it); its `./app`
mount is left out (a development convenience: the code is in the image); other host paths (the schema files, the
receiver's certificates) stay bind mounts of this checkout — on a multi-node Swarm those must exist on every node.

On a Swarm (`swarm=True`): PostgreSQL and Redis publish no port (the services reach them on the overlay network);
service ports are published in host mode (the ingress routing mesh may be missing, as on these machines); a service
given more than one replica publishes no port (two tasks on one node cannot share a host port); every service is
resolved by DNS round robin (`endpoint_mode: dnsrr`: a name gives the tasks' own addresses, so it needs no virtual
IP and no mesh), so every replica answers its peers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.deploy.conf import Port, ServiceConf, Volume, read_conf
from core.stack import Stack

# Services that keep no state of their own between requests: these may run as several replicas.
STATELESS = frozenset({"insurance-verify", "billing", "compliance", "console", "agentcare-mcp"})
_RESTART_POLICY = {"always": "any", "unless-stopped": "any", "on-failure": "on-failure", "no": "none"}


def stack_confs(root: Path) -> tuple[list[ServiceConf], dict[str, tuple[str, ...]]]:
    """Every entry of config/stack.yml (infrastructure first) read from its `.conf`, and each one's needs."""
    stack = Stack.load(root)
    entries = (*stack.infrastructure, *stack.services)
    return [read_conf(e.name, e.conf) for e in entries], {e.name: e.needs for e in entries}


def compose_document(
    root: Path, *, swarm: bool = False, replicas: int = 1, only: set[str] | None = None, home: Path | None = None
) -> dict[str, Any]:
    """The stack as a Compose document; with `only`, those services and what they need (the databases always).
    `home`: the $INTELLUXE_HOME whose container-secrets the file names (None: left for Compose to interpolate)."""
    if replicas < 1:
        raise ValueError("replicas must be at least 1")
    confs, needs = stack_confs(root)
    if only is not None:
        unknown = only - needs.keys()
        if unknown:
            raise ValueError(f"no such service in config/stack.yml: {', '.join(sorted(unknown))}")
        wanted = set(only) | {e.name for e in Stack.load(root).infrastructure}
        for conf in reversed(confs):  # stack.yml lists what a service needs before it
            if conf.name in wanted:
                wanted |= set(needs[conf.name])
        confs = [c for c in confs if c.name in wanted]
    infrastructure = {e.name for e in Stack.load(root).infrastructure}
    services: dict[str, Any] = {}
    volumes: dict[str, Any] = {}
    networks: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    home_text = str(home) if home is not None else "${INTELLUXE_HOME}"
    for conf in confs:
        count = replicas if conf.name in STATELESS else 1
        services[conf.name] = _service(
            conf,
            needs[conf.name],
            swarm=swarm,
            replicas=count,
            publish=not (swarm and conf.name in infrastructure),
            home_text=home_text,
        )
        for volume in conf.volumes:
            named = _named_volume(conf, volume)
            if named:
                volumes[named] = {}
            secret = _secret_name(volume)
            if secret:
                secrets[secret] = {"file": f"{home_text}/container-secrets/{volume.container_secret}"}
        if conf.network:
            networks[conf.network] = {"driver": "overlay", "attachable": True} if swarm else {}
    document: dict[str, Any] = {"services": services}
    if networks:
        document["networks"] = networks
    if volumes:
        document["volumes"] = volumes
    if secrets:
        document["secrets"] = secrets
    return document


def _service(
    conf: ServiceConf, needs: tuple[str, ...], *, swarm: bool, replicas: int, publish: bool, home_text: str
) -> dict[str, Any]:
    service: dict[str, Any] = {"image": conf.image}
    if conf.command:
        service["command"] = list(conf.command)
    if conf.working_dir:
        service["working_dir"] = conf.working_dir
    if conf.env:
        service["environment"] = dict(conf.env)
    ports = [_port(p, swarm) for p in conf.ports] if publish and replicas == 1 else []
    if ports:
        service["ports"] = ports
    mounts = [m for m in (_mount(conf, v, home_text) for v in conf.volumes) if m is not None]
    if mounts:
        service["volumes"] = mounts
    secrets = [name for name in (_secret_name(v) for v in conf.volumes) if name]
    if secrets:
        service["secrets"] = secrets
    if conf.tmpfs:
        service["tmpfs"] = list(conf.tmpfs)
    if conf.network:
        service["networks"] = [conf.network]
    if conf.health_cmd:
        service["healthcheck"] = {
            "test": ["CMD-SHELL", conf.health_cmd],
            "interval": "10s",
            "timeout": "5s",
            "retries": 5,
            "start_period": "60s",
        }
    if needs:
        # A Swarm starts tasks in any order and restarts them until their dependencies answer (it takes the list
        # form and ignores it); Compose waits for each dependency's health check.
        service["depends_on"] = list(needs) if swarm else {name: {"condition": "service_healthy"} for name in needs}
    if conf.restart:
        service["restart"] = conf.restart
    deploy: dict[str, Any] = {"replicas": replicas}
    if conf.memory_limit:
        deploy["resources"] = {"limits": {"memory": conf.memory_limit.upper() if swarm else conf.memory_limit}}
    if conf.restart:
        deploy["restart_policy"] = {"condition": _RESTART_POLICY.get(conf.restart, "any")}
    if swarm:
        # Names resolve to the tasks themselves: a virtual IP needs the routing mesh's IPVS/iptables rules, which an
        # engine without iptables (these machines) does not have ("no route to host").
        deploy["endpoint_mode"] = "dnsrr"
    service["deploy"] = deploy
    return service


def _port(port: Port, swarm: bool) -> dict[str, Any] | str:
    if swarm:
        return {"target": port.target, "published": port.published, "protocol": port.protocol, "mode": "host"}
    # The short form: the only one Compose v1 and v2 both read with a host address ("127.0.0.1:5432:5432").
    host = f"{port.host_ip}:" if port.host_ip else ""
    return f"{host}{port.published}:{port.target}/{port.protocol}"


def _named_volume(conf: ServiceConf, volume: Volume) -> str | None:
    return f"{conf.name}-data" if volume.is_bind and volume.source == str(conf.path.parent / "data") else None


def _secret_name(volume: Volume) -> str | None:
    """A file the runner mounts at /run/secrets/NAME (the service token, the master key) is the Compose secret
    NAME: a file bind-mounted read-only by Compose, a secret object Swarm hands only to the services that name it."""
    if volume.container_secret and volume.target.startswith("/run/secrets/"):
        return volume.target.removeprefix("/run/secrets/")
    return None


def _mount(conf: ServiceConf, volume: Volume, home_text: str) -> dict[str, Any] | None:
    if volume.is_bind and volume.source == str(conf.path.parent / "app"):
        return None  # the service's own code, mounted for development: the image has it
    if _secret_name(volume):
        return None
    named = _named_volume(conf, volume)
    source = named or volume.source
    if volume.container_secret:
        source = f"{home_text}/container-secrets/{volume.container_secret}"
    mount: dict[str, Any] = {
        "type": "volume" if named else "bind",
        "source": source,
        "target": volume.target,
    }
    if volume.read_only:
        mount["read_only"] = True
    return mount
