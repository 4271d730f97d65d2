#!/usr/bin/env bats
# The runner's docker backend against a real engine: PostgreSQL (the locally built image, first start runs
# postgres/init with a generated password), Redis, and compliance from its committed .conf on a user-defined network;
# health waits, the restart policy after a crash, idempotence, a changed conf, memory limits, stop/status/logs, and
# secrets that appear neither in output nor in an image. The containers live for the whole file (setup_file): a
# first start of PostgreSQL on vfs storage takes tens of seconds.

load test_helper

setup_file() {
  require_docker
  export TEST_ID="ilxt$$"
  export TEST_NET="$TEST_ID-net"
  export TEST_DATA="$BATS_FILE_TMPDIR/data"
  export PG="$TEST_ID-postgres" REDIS="$TEST_ID-redis" COMPLIANCE="$TEST_ID-compliance"
  export INTELLUXE_HOME="$BATS_FILE_TMPDIR/home"
  export INTELLUXE_POSTGRES_IMAGE=intelluxe-postgres:15 INTELLUXE_REDIS_IMAGE=intelluxe-redis:7
  export CONFS="$BATS_FILE_TMPDIR/confs"
  mkdir -p "$TEST_DATA" "$CONFS" "$INTELLUXE_HOME"
  export COMPLIANCE_PORT
  COMPLIANCE_PORT="$(free_port)"
  derive_conf postgres "$CONFS/postgres.conf" "$(free_port)"
  derive_conf redis "$CONFS/redis.conf" "$(free_port)"
  derive_conf compliance "$CONFS/compliance.conf" "$COMPLIANCE_PORT" "postgres=>$PG"
  # Outlive setup()'s sandbox: the runner's home and these confs belong to the file, not to one test.
  "$RUNNER" --backend docker --timeout 240 "$PG" "$CONFS/postgres.conf" >"$BATS_FILE_TMPDIR/postgres.out" 2>&1 ||
    { cat "$BATS_FILE_TMPDIR/postgres.out" >&2; return 1; }
}

teardown_file() {
  [ -n "${TEST_ID:-}" ] || return 0
  docker rm -f "$PG" "$REDIS" "$COMPLIANCE" "$TEST_ID-crash" >/dev/null 2>&1 || true
  docker network rm "$TEST_NET" >/dev/null 2>&1 || true
  rm -rf "$TEST_DATA"
}

setup() {
  require_docker
  SANDBOX="$(mktemp -d "${BATS_TMPDIR:-/tmp}/usr-test.XXXXXX")"
  mkdir -p "$SANDBOX/svc"
  unset INTELLUXE_DEBUG
}

teardown() {
  rm -rf "$SANDBOX"
}

password() {
  sed -n 's/^POSTGRES_PASSWORD=//p' "$INTELLUXE_HOME/secrets.env"
}

@test "postgres: the first start generates the password, runs postgres/init and turns healthy" {
  run cat "$BATS_FILE_TMPDIR/postgres.out"
  assert_line "universal-service-runner: $INTELLUXE_HOME/secrets.env: generated POSTGRES_PASSWORD (random, kept in this 0600 file)"
  assert_line "$PG: started in docker (container $PG)"
  [ "$(stat -c %a "$INTELLUXE_HOME/secrets.env")" = 600 ]
  [[ "$(password)" =~ ^[0-9a-f]{48}$ ]]
  run docker inspect -f '{{.State.Health.Status}} {{.Config.Image}} {{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}' "$PG"
  assert_output "healthy intelluxe-postgres:15 2147483648 unless-stopped"
  # Every file of postgres/init ran: the audit log, the claims, the service role (07) and 08's index.
  run docker exec "$PG" psql -U intelluxe -d intelluxe -tAc \
    "SELECT count(*) FROM pg_tables WHERE tablename IN ('audit_log', 'claims', 'insurance_eligibility')"
  assert_output "3"
  run docker exec "$PG" psql -U intelluxe -d intelluxe -tAc "SELECT rolname FROM pg_roles WHERE rolname = 'intelluxe_service'"
  assert_output "intelluxe_service"
  run docker logs "$PG"
  for sql in "$RUNNER_ROOT"/postgres/init/*.sql; do
    assert_output --partial "running /docker-entrypoint-initdb.d/${sql##*/}"
  done
  # The data sits in the bind-mounted folder: it outlives the container.
  [ -s "$TEST_DATA/postgres/PG_VERSION" ]
}

@test "postgres: the network needs the password (no trust over TCP), which the generated one is" {
  run docker exec -e PGPASSWORD=wrong "$PG" psql -h 127.0.0.1 -U intelluxe -d intelluxe -tAc 'SELECT 1'
  assert_failure
  assert_output --partial "password authentication failed"
  run docker exec -e PGPASSWORD="$(password)" "$PG" psql -h 127.0.0.1 -U intelluxe -d intelluxe -tAc 'SELECT 1'
  assert_success
  assert_output "1"
}

@test "compliance: starts from its committed .conf against the postgres container and answers /health" {
  run "$RUNNER" --backend docker "$COMPLIANCE" "$CONFS/compliance.conf"
  assert_success
  assert_output "$COMPLIANCE: started in docker (container $COMPLIANCE)"
  [ "$(http_status "http://127.0.0.1:$COMPLIANCE_PORT/health")" = 200 ]
  run curl -s "http://127.0.0.1:$COMPLIANCE_PORT/health"
  assert_output --partial '"postgres"'
  run docker inspect -f '{{.State.Health.Status}} {{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}} {{.Config.User}}' "$COMPLIANCE"
  assert_output "healthy 536870912 unless-stopped intelluxe"
  run docker exec "$COMPLIANCE" id -u
  assert_output "10001"
}

@test "redis: the locally built image answers other containers on the network, with append-only data in its volume" {
  run "$RUNNER" --backend docker "$REDIS" "$CONFS/redis.conf"
  assert_success
  assert_output "$REDIS: started in docker (container $REDIS)"
  run docker exec "$REDIS" redis-cli ping
  assert_output "PONG"
  # From the compliance container: another container on the network, by name.
  run docker exec "$COMPLIANCE" python -c "import redis; r = redis.Redis(host='$REDIS'); r.set('k', 'v'); print(r.get('k').decode())"
  assert_success
  assert_output "v"
  [ -d "$TEST_DATA/redis/appendonlydir" ]
}

@test "compliance: the same conf again changes nothing" {
  before="$(docker inspect -f '{{.Id}} {{.State.StartedAt}}' "$COMPLIANCE")"
  run "$RUNNER" --backend docker "$COMPLIANCE" "$CONFS/compliance.conf"
  assert_success
  assert_output "$COMPLIANCE: unchanged in docker (container $COMPLIANCE)"
  [ "$(docker inspect -f '{{.Id}} {{.State.StartedAt}}' "$COMPLIANCE")" = "$before" ]
}

@test "compliance: killing its main process brings the container back (restart policy) and healthy" {
  id="$(docker inspect -f '{{.Id}}' "$COMPLIANCE")"
  pid="$(docker inspect -f '{{.State.Pid}}' "$COMPLIANCE")"
  [ "$pid" -gt 0 ]
  kill -KILL "$pid"
  for _ in $(seq 1 120); do
    state="$(docker inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.Health.Status}}' "$COMPLIANCE")"
    [[ "$state" =~ ^[1-9][0-9]*\ running\ healthy$ ]] && break
    sleep 1
  done
  [[ "$state" =~ ^[1-9][0-9]*\ running\ healthy$ ]]
  [ "$(docker inspect -f '{{.Id}}' "$COMPLIANCE")" = "$id" ]
  [ "$(docker inspect -f '{{.State.Pid}}' "$COMPLIANCE")" != "$pid" ]
  [ "$(http_status "http://127.0.0.1:$COMPLIANCE_PORT/health")" = 200 ]
}

@test "compliance: a changed conf recreates the container with the new memory limit" {
  id="$(docker inspect -f '{{.Id}}' "$COMPLIANCE")"
  sed -i 's/^memory_limit=.*/memory_limit="384m"/' "$CONFS/compliance.conf"
  run "$RUNNER" --backend docker "$COMPLIANCE" "$CONFS/compliance.conf"
  assert_success
  assert_output "$COMPLIANCE: recreated (its argv changed) in docker (container $COMPLIANCE)"
  [ "$(docker inspect -f '{{.Id}}' "$COMPLIANCE")" != "$id" ]
  run docker inspect -f '{{.HostConfig.Memory}} {{.State.Health.Status}}' "$COMPLIANCE"
  assert_output "402653184 healthy"
}

@test "status, logs and stop act on the containers" {
  run "$RUNNER" status "$COMPLIANCE"
  assert_success
  assert_line --index 1 "$(printf '%s\tdocker\trunning\thealthy\t127.0.0.1:%s:8000\tdocker logs %s' "$COMPLIANCE" "$COMPLIANCE_PORT" "$COMPLIANCE")"
  run "$RUNNER" status
  assert_line --partial "$(printf '%s\tdocker\trunning\thealthy' "$PG")"
  run "$RUNNER" logs -n 200 "$COMPLIANCE"
  assert_success
  assert_output --partial "Listening at: http://0.0.0.0:8000"
  run "$RUNNER" stop "$COMPLIANCE"
  assert_success
  assert_output "$COMPLIANCE: stopped (docker)"
  run docker inspect "$COMPLIANCE"
  assert_failure
  run "$RUNNER" status "$COMPLIANCE"
  assert_failure
  assert_line --index 1 --regexp "^$COMPLIANCE"$'\t[a-z]+\tstopped\t'""
  run "$RUNNER" stop "$COMPLIANCE"
  assert_success
  assert_output "$COMPLIANCE: not running"
}

@test "a service that exits at once fails the start with a clear message and its last log lines" {
  # The words of `command` split on spaces, as in every .conf.
  conf="$(write_conf crash <<EOF2
image="intelluxe-service:latest"
network="$TEST_NET"
restart="no"
command="python -c print('boom:cannot-reach-its-database');exit(3)"
EOF2
)"
  run "$RUNNER" --backend docker --timeout 60 "$TEST_ID-crash" "$conf"
  assert_failure
  assert_line --index 0 "universal-service-runner: $TEST_ID-crash: it exited (state exited)"
  assert_line "last lines of 'docker logs $TEST_ID-crash':"
  assert_line "  boom:cannot-reach-its-database"
}

@test "secrets: the password is in no output, no image and no dry run" {
  secret="$(password)"
  [ -n "$secret" ]
  run "$RUNNER" --dry-run --backend docker "$PG" "$CONFS/postgres.conf"
  assert_output --partial 'POSTGRES_PASSWORD=\$\{POSTGRES_PASSWORD\}'
  refute_output --partial "$secret"
  for out in "$BATS_FILE_TMPDIR/postgres.out"; do
    run grep -c -F "$secret" "$out"
    assert_output "0"
  done
  for image in "${DOCKER_TEST_IMAGES[@]}"; do
    run bash -c "docker history --no-trunc '$image'; docker image inspect '$image'"
    assert_success
    refute_output --partial "$secret"
  done
  # The image's own history has no build argument either (the CA of --ca-cert stays in the build stage).
  run docker history --no-trunc intelluxe-service:latest
  refute_output --partial "BUILD_CA_PEM"
}
