#!/usr/bin/env bats
# The docker backend: the exact `docker run` argv for every key, dry run, replacing a container, the default
# backend, and the real docker CLI's own flag parser.

load test_helper

@test "dry run prints the exact docker run argv for every key, shell-quoted, on one line" {
  conf="$(write_conf demo <<<"$FULL_CONF")"
  run "$RUNNER" --dry-run --backend docker insurance-verify "$conf"
  assert_success
  expected="docker run -d --name insurance-verify --restart unless-stopped --network clinical-net"
  expected+=" -p 8003:8000 -p 127.0.0.1:9090:90/udp"
  expected+=" -v $SANDBOX/svc/app:/app:rw -v /srv/data:/data:ro -v named-vol:/cache"
  expected+=" -e FLASK_ENV=production -e REDIS_URL=redis://redis:6379"
  expected+=" --health-cmd python\\ /app/health_check.py --health-interval 30s --health-timeout 10s --health-retries 3"
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

@test "a real start replaces the old container, creates the network and runs the argv" {
  stub_docker
  conf="$(write_conf demo <<<"$FULL_CONF")"
  run "$RUNNER" --backend docker billing "$conf"
  assert_success
  assert_output "billing: started in docker (container billing)"
  run cat "$SANDBOX/docker.calls"
  assert_output --partial "$(printf -- '--- call\nnetwork\ncreate\nclinical-net')"
  assert_output --partial "$(printf -- '--- call\nrm\n-f\nbilling')"
  run docker_run_argv
  assert_line --index 0 "run"
  assert_line --index 3 "billing"
  assert_line "python /app/health_check.py"
  assert_line "$SANDBOX/svc/app:/app:rw"
  [ "${lines[-1]}" = "server:app" ]
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
