# shellcheck shell=bash
# Real containers: the runner's sandbox (../runner/test_helper.bash) plus an engine and the images. Without an
# engine the tests skip and say why; with INTELLUXE_DOCKER_TESTS=required (CI, which starts dockerd itself) a
# missing engine or image fails them instead, so CI cannot pass by skipping.

load ../runner/test_helper

# The images the tests run (scripts/build-images.sh --base intelluxe-base:bookworm builds them offline).
DOCKER_TEST_IMAGES=(intelluxe-service:latest intelluxe-postgres:15 intelluxe-redis:7)

# Skip (or fail, when required) unless an engine answers and the images exist.
require_docker() {
  local why=""
  if ! command -v docker >/dev/null 2>&1; then
    why="no docker CLI on PATH"
  elif ! timeout 10 docker info >/dev/null 2>&1; then
    why="no Docker engine answers (start one: dockerd --storage-driver=vfs --iptables=false --bridge=none, as .ci/run does)"
  elif ! docker image inspect "${DOCKER_TEST_IMAGES[@]}" >/dev/null 2>&1; then
    why="images ${DOCKER_TEST_IMAGES[*]} not built (scripts/build-base-image.sh; scripts/build-images.sh --base intelluxe-base:bookworm)"
  fi
  [ -n "$why" ] || return 0
  if [ "${INTELLUXE_DOCKER_TESTS:-}" = required ]; then
    echo "INTELLUXE_DOCKER_TESTS=required but $why" >&2
    return 1
  fi
  skip "$why"
}

# A committed .conf, made to run beside anything else on this machine: its own container names on its own network
# (NAME=>NEW pairs replace names in URLs), a free loopback port, data under the test's folder, host paths absolute.
# derive_conf SERVICE OUT_PATH HOST_PORT [OLD=>NEW ...]
derive_conf() {
  local service="$1" out="$2" host_port="$3" src pair
  shift 3
  src="$RUNNER_ROOT/services/user/$service/$service.conf"
  local -a edits=(
    -e "s#^network=.*#network=\"$TEST_NET\"#"
    -e "s#\\.\\./\\.\\./\\.\\./postgres/#$RUNNER_ROOT/postgres/#g"
    -e "s#\\./app:#$RUNNER_ROOT/services/user/$service/app:#"
    -e "s#\\./data:#$TEST_DATA/$service:#"
    -e "s#^port=\"\\([0-9.]*:\\)\\?[0-9]*:\\([0-9]*\\)\"#port=\"127.0.0.1:$host_port:\\2\"#"
  )
  for pair in "$@"; do edits+=(-e "s#@${pair%%=>*}:#@${pair#*=>}:#g" -e "s#//${pair%%=>*}:#//${pair#*=>}:#g"); done
  sed "${edits[@]}" "$src" >"$out"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The HTTP status of GET URL (000 when nothing answers).
http_status() {
  curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" || true
}
