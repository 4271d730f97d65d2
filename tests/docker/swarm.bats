#!/usr/bin/env bats
# `intelluxe export compose --swarm` deployed with `docker stack deploy` on a single-node Swarm: two replicas each of
# insurance-verify, billing and compliance, every replica healthy and reachable on the overlay network.

load test_helper

STACK="ilxswarm$$"
SWARM_FILE=""

setup_file() {
  require_docker || return 1
  INTELLUXE_BIN="$RUNNER_ROOT/.venv/bin/intelluxe"
  [ -x "$INTELLUXE_BIN" ] || INTELLUXE_BIN="$(command -v intelluxe)"
  export INTELLUXE_BIN
  if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null
    export SWARM_STARTED=1
  fi
}

teardown_file() {
  docker stack rm "$STACK" >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do
    [ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ] && break
    sleep 1
  done
  docker network rm "${STACK}_clinical-net" >/dev/null 2>&1 || true
  if [ -n "${SWARM_STARTED:-}" ]; then
    docker swarm leave --force >/dev/null 2>&1 || true
  fi
}

# The running, healthy containers of one stack service.
healthy_tasks() {
  docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_$1" --filter health=healthy
}

@test "two replicas of each stateless service answer on a swarm" {
  require_docker
  SWARM_FILE="$BATS_TEST_TMPDIR/stack.yml"
  run "$INTELLUXE_BIN" export compose --swarm --replicas 2 --services insurance-verify,billing,compliance \
    --out "$SWARM_FILE"
  assert_success
  POSTGRES_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
  INTELLUXE_SERVICE_DB_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
  export POSTGRES_PASSWORD INTELLUXE_SERVICE_DB_PASSWORD
  export INTELLUXE_POSTGRES_IMAGE=intelluxe-postgres:15 INTELLUXE_REDIS_IMAGE=intelluxe-redis:7
  # The files the file names as secrets (`intelluxe up --backend docker` writes them; here only their presence
  # matters: this test calls no service with the token).
  mkdir -p "$INTELLUXE_HOME/container-secrets"
  printf 'ilx_not_issued_here\n' >"$INTELLUXE_HOME/container-secrets/service-token"
  run docker stack deploy -c "$SWARM_FILE" "$STACK"
  assert_success

  # Tasks start in any order: the services restart until PostgreSQL answers. Wait for 2 healthy replicas each.
  local service deadline=$((SECONDS + 420)) ready
  while :; do
    ready=1
    for service in insurance-verify billing compliance; do
      [ "$(healthy_tasks "$service" | wc -l)" -eq 2 ] || ready=0
    done
    [ "$ready" -eq 1 ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      docker service ls --filter "label=com.docker.stack.namespace=$STACK" >&3
      docker service ps --no-trunc "${STACK}_billing" >&3 || true
      fail "the replicas did not all become healthy within 420 s"
    fi
    sleep 5
  done

  # Each replica answers its own health check (which needs PostgreSQL over the overlay network) and is reachable from
  # another service by DNS round robin: tasks.<service> names both replicas' addresses.
  local container
  for service in insurance-verify billing compliance; do
    for container in $(healthy_tasks "$service"); do
      run docker exec "$container" python -m core.healthcheck
      assert_success
    done
  done
  container="$(healthy_tasks billing | head -n 1)"
  run docker exec "$container" python -c '
import socket, urllib.request
addresses = sorted({info[4][0] for info in socket.getaddrinfo("tasks.insurance-verify", 8000)})
codes = [urllib.request.urlopen(f"http://{a}:8000/health", timeout=5).status for a in addresses]
print(len(addresses), codes)'
  assert_success
  assert_output "2 [200, 200]"
  # No secret is written into the deployed file.
  run grep -c "$POSTGRES_PASSWORD" "$SWARM_FILE"
  assert_output "0"
}
