# shellcheck shell=bash
# A sandbox per test (after rbenv's test_helper): a temp INTELLUXE_HOME, a stub bin/ first on PATH, and helpers
# that write .conf files. The runner under test is the real one from the checkout.

# The Debian packages' folder, or the npm packages' that scripts/test.sh installs when those are missing.
load "${BATS_LIB_DIR:-/usr/lib/bats}/bats-support/load"
load "${BATS_LIB_DIR:-/usr/lib/bats}/bats-assert/load"

RUNNER_ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
# shellcheck disable=SC2034 # used by the .bats files
RUNNER="$RUNNER_ROOT/universal-service-runner.sh"

setup() {
  SANDBOX="$(mktemp -d "${BATS_TMPDIR:-/tmp}/usr-test.XXXXXX")"
  export INTELLUXE_HOME="$SANDBOX/home"
  export STUB_BIN="$SANDBOX/bin"
  mkdir -p "$STUB_BIN" "$SANDBOX/svc/app"
  export PATH="$STUB_BIN:$PATH"
  unset INTELLUXE_DEBUG
}

teardown() {
  # Stop anything a local-backend test left running before the sandbox goes.
  if [ -d "$INTELLUXE_HOME/run" ]; then
    for pidfile in "$INTELLUXE_HOME"/run/*.pid; do
      [ -f "$pidfile" ] || continue
      kill -KILL -- "-$(cat "$pidfile")" 2>/dev/null || true
    done
  fi
  rm -rf "$SANDBOX"
}

# write_conf NAME <<<'lines' — writes $SANDBOX/svc/NAME.conf and prints its path.
write_conf() {
  local path="$SANDBOX/svc/$1.conf"
  cat >"$path"
  printf '%s' "$path"
}

# A fake docker that records each call's argv, one argument per line, in $SANDBOX/docker.calls; `docker info`
# fails unless DOCKER_STUB_INFO=ok. No container exists unless DOCKER_STUB_HASH is set: then one runs (state
# DOCKER_STUB_STATE, default running) made from the argv of that sha256. Health asks answer "healthy".
stub_docker() {
  cat >"$STUB_BIN/docker" <<'STUB'
#!/usr/bin/env bash
{
  echo "--- call"
  printf '%s\n' "$@"
} >>"${SANDBOX}/docker.calls"
if [ "${1:-}" = info ]; then [ "${DOCKER_STUB_INFO:-}" = ok ]; exit; fi
if [ "${1:-}" = network ] && [ "${2:-}" = inspect ]; then exit 1; fi
if [ "${1:-}" = inspect ]; then
  case "${3:-}" in
    *argv-sha256*)
      [ -n "${DOCKER_STUB_HASH:-}" ] || exit 1
      echo "$DOCKER_STUB_HASH ${DOCKER_STUB_STATE:-running}"
      ;;
    *intelluxe.service*) exit 1 ;;
    *RestartCount*) echo "running healthy 0" ;;
    *) echo "running healthy" ;;
  esac
fi
exit 0
STUB
  chmod +x "$STUB_BIN/docker"
  export SANDBOX
}

# The argv of the recorded `docker run` call, one argument per line.
docker_run_argv() {
  awk '/^--- call$/{keep=0; next} $0=="run" && !started {keep=1; started=1} keep' "$SANDBOX/docker.calls"
}

# The argv of the recorded `docker build` call, one argument per line.
docker_build_argv() {
  awk '/^--- call$/{keep=0; next} $0=="build" && !started {keep=1; started=1} keep' "$SANDBOX/docker.calls"
}

# shellcheck disable=SC2034 # used by the .bats files
FULL_CONF='# Service: demo
image="intelluxe-service:latest"
port="8003:8000 127.0.0.1:9090:90/udp"
volumes="./app:/app:rw /srv/data:/data:ro named-vol:/cache"
env="FLASK_ENV=production REDIS_URL=redis://redis:6379"
restart="unless-stopped"
network="clinical-net"
health_cmd="python /app/health_check.py"
memory_limit="1g"
working_dir="/app"
command="gunicorn -c python:core.gunicorn_conf server:app"
tmpfs="/tmp:size=512M /run"'
