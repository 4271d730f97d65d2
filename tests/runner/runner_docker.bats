#!/usr/bin/env bats
# The docker backend against a stubbed docker: the exact `docker run` argv for every key, dry run, the argv hash
# that decides between leaving, starting and recreating a container, ${NAME} references and secrets.env, the
# default backend, and the real docker CLI's own flag parser. tests/docker/*.bats run the same against an engine.

load test_helper

@test "dry run prints the exact docker run argv for every key, shell-quoted, on one line" {
  conf="$(write_conf demo <<<"$FULL_CONF")"
  run "$RUNNER" --dry-run --backend docker insurance-verify "$conf"
  assert_success
  expected="docker run -d --name insurance-verify --restart unless-stopped --network clinical-net"
  expected+=" -p 8003:8000 -p 127.0.0.1:9090:90/udp"
  expected+=" -v $SANDBOX/svc/app:/app:rw -v /srv/data:/data:ro -v named-vol:/cache"
  expected+=" -e FLASK_ENV=production -e REDIS_URL=redis://redis:6379"
  expected+=" --health-cmd python\\ /app/health_check.py --health-interval 10s --health-timeout 10s --health-retries 3"
  expected+=" --health-start-period 60s"
  expected+=" --memory 1g -w /app --tmpfs /tmp:size=512M --tmpfs /run"
  expected+=" intelluxe-service:latest gunicorn -c python:core.gunicorn_conf server:app"
  assert_output "$expected"
  [ "${#lines[@]}" -eq 1 ]
}

@test "dry run runs nothing" {
  stub_docker
  conf="$(write_conf demo <<<"$FULL_CONF")"
  run "$RUNNER" --dry-run --backend docker demo "$conf"
  assert_success
  [ ! -e "$SANDBOX/docker.calls" ]
}

@test "an image alone maps to a bare docker run" {
  conf="$(write_conf min <<<'image="redis:7-alpine"')"
  run "$RUNNER" --dry-run --backend docker redis "$conf"
  assert_success
  assert_output "docker run -d --name redis redis:7-alpine"
}

@test "relative volume paths resolve from the conf's folder, wherever the runner is called from" {
  mkdir -p "$SANDBOX/elsewhere"
  conf="$(write_conf vol <<'EOF2'
image="img"
volumes="../shared:/shared ./app/sub:/sub:ro .:/here"
EOF2
)"
  cd "$SANDBOX/elsewhere"
  run "$RUNNER" --dry-run --backend docker vol "$conf"
  assert_success
  assert_output "docker run -d --name vol -v $SANDBOX/shared:/shared -v $SANDBOX/svc/app/sub:/sub:ro -v $SANDBOX/svc:/here img"
}

# The sha256 label of the recorded `docker run`.
run_hash() {
  docker_run_argv | sed -n 's/^intelluxe\.argv-sha256=//p'
}

@test "a first start creates the network, runs the argv with our labels and waits for health" {
  stub_docker
  conf="$(write_conf demo <<<"$FULL_CONF")"
  run "$RUNNER" --backend docker billing "$conf"
  assert_success
  assert_output "billing: started in docker (container billing)"
  run cat "$SANDBOX/docker.calls"
  assert_output --partial "$(printf -- '--- call\nnetwork\ncreate\nclinical-net')"
  refute_output --partial "$(printf -- '--- call\nrm\n-f')"
  assert_output --partial "$(printf -- '--- call\ninspect\n-f\n{{.State.Status}} {{if .State.Health}}')"
  run docker_run_argv
  assert_line --index 0 "run"
  assert_line --index 3 "billing"
  assert_line "python /app/health_check.py"
  assert_line "$SANDBOX/svc/app:/app:rw"
  assert_line "intelluxe.service=billing"
  assert_line --regexp '^intelluxe\.argv-sha256=[0-9a-f]{64}$'
  [ "${lines[-1]}" = "server:app" ]
  # The labels sit before the image: what follows the image is the container's command.
  for i in "${!lines[@]}"; do
    [ "${lines[$i]}" = intelluxe.service=billing ] && label_at=$i
    [ "${lines[$i]}" = intelluxe-service:latest ] && image_at=$i
  done
  [ "$label_at" -lt "$image_at" ]
}

@test "the same conf again leaves the running container alone" {
  stub_docker
  conf="$(write_conf demo <<<"$FULL_CONF")"
  "$RUNNER" --backend docker billing "$conf"
  export DOCKER_STUB_HASH="$(run_hash)"
  rm "$SANDBOX/docker.calls"
  run "$RUNNER" --backend docker billing "$conf"
  assert_success
  assert_output "billing: unchanged in docker (container billing)"
  run docker_run_argv
  assert_output ""
  run grep -c -x rm "$SANDBOX/docker.calls"
  assert_output "0"
}

@test "the same conf with the container stopped starts that container again" {
  stub_docker
  conf="$(write_conf demo <<<"$FULL_CONF")"
  "$RUNNER" --backend docker billing "$conf"
  export DOCKER_STUB_HASH="$(run_hash)" DOCKER_STUB_STATE=exited
  rm "$SANDBOX/docker.calls"
  run "$RUNNER" --backend docker billing "$conf"
  assert_success
  assert_output "billing: started again in docker (container billing)"
  run cat "$SANDBOX/docker.calls"
  assert_output --partial "$(printf -- '--- call\nstart\nbilling')"
  run docker_run_argv
  assert_output ""
}

@test "a changed conf recreates the container" {
  stub_docker
  conf="$(write_conf demo <<<"$FULL_CONF")"
  "$RUNNER" --backend docker billing "$conf"
  old_hash="$(run_hash)"
  export DOCKER_STUB_HASH="$old_hash"
  rm "$SANDBOX/docker.calls"
  sed -i 's/memory_limit="1g"/memory_limit="2g"/' "$conf"
  run "$RUNNER" --backend docker billing "$conf"
  assert_success
  assert_output "billing: recreated (its argv changed) in docker (container billing)"
  run cat "$SANDBOX/docker.calls"
  assert_output --partial "$(printf -- '--- call\nrm\n-f\nbilling')"
  run docker_run_argv
  assert_line "2g"
  [ "$(run_hash)" != "$old_hash" ]
}

@test "an unhealthy container fails the start with its last log lines" {
  stub_docker
  sed -i 's/\*RestartCount\*) echo "running healthy 0"/*RestartCount*) echo "running unhealthy 0"/' "$STUB_BIN/docker"
  sed -i 's/^exit 0$/[ "${1:-}" = logs ] \&\& echo "Traceback: cannot reach its database"\nexit 0/' "$STUB_BIN/docker"
  conf="$(write_conf demo <<<"$FULL_CONF")"
  run "$RUNNER" --backend docker billing "$conf"
  assert_failure
  assert_line --index 0 "universal-service-runner: billing: Docker reports it unhealthy (health command: python /app/health_check.py)"
  assert_line "last lines of 'docker logs billing':"
  assert_line "  Traceback: cannot reach its database"
}

@test "a container that never turns healthy fails after --timeout" {
  stub_docker
  sed -i 's/\*RestartCount\*) echo "running healthy 0"/*RestartCount*) echo "running starting 0"/' "$STUB_BIN/docker"
  conf="$(write_conf demo <<<"$FULL_CONF")"
  SECONDS=0
  run "$RUNNER" --backend docker --timeout 2 billing "$conf"
  assert_failure
  assert_line --index 0 "universal-service-runner: billing: not healthy after 2 s (state running, health starting)"
  [ "$SECONDS" -lt 10 ]
}

@test "a container that keeps restarting fails the start before the timeout" {
  stub_docker
  # Each health ask sees one more restart.
  sed -i 's/\*RestartCount\*) echo "running healthy 0"/*RestartCount*) n=$(($(cat "$SANDBOX\/restarts" 2>\/dev\/null || echo 0) + 1)); echo "$n" >"$SANDBOX\/restarts"; echo "restarting starting $n"/' "$STUB_BIN/docker"
  conf="$(write_conf demo <<<"$FULL_CONF")"
  run "$RUNNER" --backend docker --timeout 60 billing "$conf"
  assert_failure
  assert_line --index 0 "universal-service-runner: billing: it keeps exiting (restarted 3 times while starting)"
}

@test "secrets: a dry run prints \${NAME} as written and touches no secrets file" {
  conf="$(write_conf db <<<'image="${PG_IMAGE:-postgres:15}"
env="POSTGRES_PASSWORD=${POSTGRES_PASSWORD} POSTGRES_URL=postgresql://u:${POSTGRES_PASSWORD}@db/x PLAIN=1"')"
  run "$RUNNER" --dry-run --backend docker db "$conf"
  assert_success
  assert_output 'docker run -d --name db -e POSTGRES_PASSWORD=\$\{POSTGRES_PASSWORD\} -e POSTGRES_URL=postgresql://u:\$\{POSTGRES_PASSWORD\}@db/x -e PLAIN=1 \$\{PG_IMAGE:-postgres:15\}'
  [ ! -e "$INTELLUXE_HOME/secrets.env" ]
}

@test "secrets: a real start generates secrets.env once (0600) and passes them through an env file, not argv" {
  stub_docker
  # The stub keeps a copy of the --env-file, which the runner deletes after `docker run`.
  sed -i 's/^exit 0$/for a; do [ "${prev:-}" = --env-file ] \&\& cp "$a" "$SANDBOX\/env-file.copy" \&\& stat -c %a "$a" >"$SANDBOX\/env-file.mode"; prev="$a"; done\nexit 0/' "$STUB_BIN/docker"
  conf="$(write_conf db <<<'image="${PG_IMAGE:-postgres:15}"
env="POSTGRES_PASSWORD=${POSTGRES_PASSWORD} POSTGRES_URL=postgresql://u:${POSTGRES_PASSWORD}@db/x PLAIN=1"')"
  run "$RUNNER" --backend docker db "$conf"
  assert_success
  assert_line --index 0 "universal-service-runner: $INTELLUXE_HOME/secrets.env: generated POSTGRES_PASSWORD (random, kept in this 0600 file)"
  assert_line --index 1 "db: started in docker (container db)"
  [ "$(stat -c %a "$INTELLUXE_HOME/secrets.env")" = 600 ]
  password="$(sed -n 's/^POSTGRES_PASSWORD=//p' "$INTELLUXE_HOME/secrets.env")"
  [[ "$password" =~ ^[0-9a-f]{48}$ ]]
  refute_output --partial "$password"
  run grep -c -F "$password" "$SANDBOX/docker.calls"
  assert_output "0"
  run cat "$SANDBOX/env-file.copy"
  assert_output "$(printf 'POSTGRES_PASSWORD=%s\nPOSTGRES_URL=postgresql://u:%s@db/x' "$password" "$password")"
  [ "$(cat "$SANDBOX/env-file.mode")" = 600 ]
  run docker_run_argv
  assert_line "PLAIN=1"
  assert_line "postgres:15"
  # The env file is gone once docker has read it.
  env_file="$(grep -A1 -x -- --env-file "$SANDBOX/docker.calls" | tail -n 1)"
  [ -n "$env_file" ] && [ ! -e "$env_file" ]
  # Once: the second start reads the same value.
  "$RUNNER" --backend docker db "$conf"
  [ "$(sed -n 's/^POSTGRES_PASSWORD=//p' "$INTELLUXE_HOME/secrets.env")" = "$password" ]
}

@test "secrets: the environment wins over secrets.env, which wins over a default" {
  stub_docker
  mkdir -p "$INTELLUXE_HOME"
  (umask 077 && printf 'PG_IMAGE=intelluxe-postgres:15\nTOKEN=from-file\n' >"$INTELLUXE_HOME/secrets.env")
  conf="$(write_conf db <<<'image="${PG_IMAGE:-postgres:15}"
network="${NET:-clinical-net}"
env="A=${TOKEN}"')"
  NET=site-net run "$RUNNER" --backend docker db "$conf"
  assert_success
  run docker_run_argv
  assert_line "intelluxe-postgres:15"
  assert_line "site-net"
}

@test "secrets: a \${NAME} without a value is refused by name, and nothing runs" {
  stub_docker
  conf="$(write_conf db <<<'image="img"
env="API_KEY=${CLEARINGHOUSE_API_KEY}"')"
  run "$RUNNER" --backend docker db "$conf"
  assert_failure
  assert_output "universal-service-runner: $conf: env API_KEY names \${CLEARINGHOUSE_API_KEY}, which has no value: export CLEARINGHOUSE_API_KEY or add CLEARINGHOUSE_API_KEY=... to $INTELLUXE_HOME/secrets.env (mode 600)"
  [ ! -e "$SANDBOX/docker.calls" ]
}

@test "secrets: a secrets.env others can read is refused" {
  stub_docker
  mkdir -p "$INTELLUXE_HOME"
  printf 'POSTGRES_PASSWORD=x\n' >"$INTELLUXE_HOME/secrets.env"
  chmod 644 "$INTELLUXE_HOME/secrets.env"
  conf="$(write_conf db <<<'image="img"
env="P=${POSTGRES_PASSWORD}"')"
  run "$RUNNER" --backend docker db "$conf"
  assert_failure
  assert_output "universal-service-runner: $INTELLUXE_HOME/secrets.env is mode 644; it holds secrets, so it must be 600 (chmod 600 '$INTELLUXE_HOME/secrets.env')"
}

@test "secrets: an expanded value is checked again, and the refusal does not print it" {
  stub_docker
  conf="$(write_conf db <<<'image="${IMG}"')"
  IMG='bad image!' run "$RUNNER" --backend docker db "$conf"
  assert_failure
  assert_output "universal-service-runner: $conf: image=\"\${IMG}\" is not a valid image once its \${...} references are expanded"
}

@test "secrets: a malformed reference is refused with its line" {
  conf="$(write_conf db <<<'image="img"
env="A=${not closed"')"
  run "$RUNNER" conf "$conf"
  assert_failure
  assert_output "universal-service-runner: $conf:2: value 'A=\${not closed' has a '\${' that is not \${NAME} or \${NAME:-default}"
}

@test "no committed .conf holds a password" {
  run grep -l -i -E 'password=[^$]|:[^:@/$]+@' "$RUNNER_ROOT"/services/user/*/*.conf
  assert_failure
  assert_output ""
}

@test "the default backend is docker when an engine answers" {
  stub_docker
  export DOCKER_STUB_INFO=ok
  conf="$(write_conf demo <<<$'image="img"\ncommand="sleep 60"')"
  run "$RUNNER" demo "$conf"
  assert_success
  assert_output "demo: started in docker (container demo)"
  run "$RUNNER" stop demo
  assert_success
  assert_output "demo: stopped (docker)"
}

@test "the default backend is local when no engine answers" {
  stub_docker
  conf="$(write_conf demo <<<$'image="img"\ncommand="sleep 60"')"
  run "$RUNNER" --dry-run demo "$conf"
  assert_success
  assert_output "cd $SANDBOX/svc && env INTELLUXE_HOME=$INTELLUXE_HOME sleep 60"
}

@test "an unknown backend is refused" {
  conf="$(write_conf demo <<<'image="img"')"
  run "$RUNNER" --backend kubernetes demo "$conf"
  assert_failure
  assert_output "universal-service-runner: backend 'kubernetes' is not docker or local"
}

@test "the real docker CLI accepts every flag of the argv (fails only on the missing daemon)" {
  command -v docker >/dev/null || skip "no docker CLI"
  [ "$(command -v docker)" != "$STUB_BIN/docker" ] || skip "docker is stubbed"
  conf="$(write_conf demo <<<"$FULL_CONF")"
  run "$RUNNER" --dry-run --backend docker demo "$conf"
  assert_success
  eval "argv=($output)"
  DOCKER_HOST=unix:///nonexistent run "${argv[@]}"
  assert_failure
  refute_output --partial "unknown flag"
  refute_output --partial "invalid argument"
  assert_output --partial "Cannot connect to the Docker daemon"
}
