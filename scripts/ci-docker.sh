#!/usr/bin/env bash
# Summary: CI's container step: an engine (started here when none answers), the images, the tests that run them
# Usage: scripts/ci-docker.sh
#
# Installs docker.io and debootstrap when missing, starts `dockerd --iptables=false --bridge=none` when no engine
# answers (and stops it at the end) — with the overlay2 storage driver where the kernel mounts overlayfs there, else
# vfs (every container a full copy of its image: ~15-25 s a container here instead of ~1 s); INTELLUXE_DOCKER_STORAGE
# forces one. It builds the offline base once
# (scripts/build-base-image.sh --if-missing) and the images once (scripts/build-images.sh --base
# intelluxe-base:bookworm, trusting the host's local CAs for pip), then runs tests/docker with
# INTELLUXE_DOCKER_TESTS=required, so a missing engine or image fails rather than skips. Prints the seconds each part
# took. Needs root (apt-get, dockerd, debootstrap).
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=$SECONDS
lap=$SECONDS
say_lap() {
  echo "== ci-docker: $1 in $((SECONDS - lap)) s"
  lap=$SECONDS
}

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== ci-docker: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

dockerd_pid=""
dockerd_log=""
stop_dockerd() {
  [ -n "$dockerd_pid" ] || return 0
  kill -TERM "$dockerd_pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 0.5
  done
  rm -f "$dockerd_log"
  echo "== ci-docker: stopped the dockerd it started (pid $dockerd_pid)"
}
trap stop_dockerd EXIT

# Start dockerd with DRIVER; return 1 (dockerd stopped) when it does not answer within a minute.
start_dockerd() {
  local driver="$1"
  dockerd_log="$(mktemp)"
  dockerd --storage-driver="$driver" --iptables=false --bridge=none >"$dockerd_log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do
    timeout 5 docker info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 1
  done
  if timeout 10 docker info >/dev/null 2>&1; then
    echo "== ci-docker: started dockerd (pid $dockerd_pid, $driver storage)"
    return 0
  fi
  echo "ci-docker: dockerd with $driver storage did not answer; its last lines:" >&2
  tail -n 5 "$dockerd_log" >&2
  stop_dockerd
  dockerd_pid=""
  return 1
}

if ! timeout 10 docker info >/dev/null 2>&1; then
  drivers=(overlay2 vfs)
  [ -z "${INTELLUXE_DOCKER_STORAGE:-}" ] || drivers=("$INTELLUXE_DOCKER_STORAGE")
  started_one=0
  for driver in "${drivers[@]}"; do
    if start_dockerd "$driver"; then
      started_one=1
      break
    fi
  done
  [ "$started_one" -eq 1 ] || { echo "ci-docker: no Docker engine could start" >&2; exit 1; }
fi
say_lap "engine"

scripts/build-base-image.sh --if-missing
say_lap "base image"

ca_args=()
for cert in /usr/local/share/ca-certificates/*.crt; do
  [ -f "$cert" ] && ca_args+=(--ca-cert "$cert")
done
scripts/build-images.sh --base intelluxe-base:bookworm "${ca_args[@]}"
say_lap "images"

bats=(bats)
if [ -x .tools/node_modules/bats/bin/bats ] && ! command -v bats >/dev/null; then
  bats=(.tools/node_modules/bats/bin/bats)
  export BATS_LIB_DIR="$PWD/.tools/node_modules"
fi
INTELLUXE_DOCKER_TESTS=required "${bats[@]}" tests/docker
say_lap "container tests"

# Images a rebuild left untagged, once a day old (under vfs each is a full copy of ~1 GB). A younger build stage still
# holds the dependency layer, so the next build keeps its cache.
docker image prune -f --filter until=24h >/dev/null
echo "== ci-docker: $((SECONDS - started)) s in all"
