#!/usr/bin/env bash
# Summary: Build the images the .conf files run: the service image, and PostgreSQL and Redis for offline sites
# Usage: scripts/build-images.sh [--dry-run] [--tag TAG] [--base IMAGE] [--ca-cert FILE] [--only NAME]
#
# service:  intelluxe-service:latest from docker/Dockerfile, every Python service's .conf names it; --tag adds
#           another tag (e.g. a release version) to the same build.
# postgres: intelluxe-postgres:15 from docker/postgres (Debian's postgresql-15, the official image's contract).
# redis:    intelluxe-redis:7 from docker/redis (Debian's redis-server).
# With a registry, the service image starts FROM python:3.11-slim and the other two FROM debian:bookworm-slim (and
# the postgres and redis .conf files run timescale/timescaledb and redis images, unless told otherwise). Without
# one, --base intelluxe-base:bookworm (scripts/build-base-image.sh; or INTELLUXE_BASE_IMAGE) is the base of all
# three. --ca-cert FILE (repeatable): a CA pip must trust in the build, e.g. a TLS-inspecting proxy's; it stays in
# the build stage. --only service|postgres|redis (repeatable) builds those alone. Builds run with the host's network
# (--network host): pip and apt reach PyPI and Debian from there. --dry-run prints each docker argv, shell-quoted,
# and builds nothing; otherwise each image's size is printed at the end.
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

die() {
  printf 'build-images: %s\n' "$*" >&2
  exit 1
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dry_run=0
tags=(intelluxe-service:latest)
base="${INTELLUXE_BASE_IMAGE:-}"
ca_certs=()
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --tag | --base | --ca-cert | --only)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --tag) tags+=("intelluxe-service:$2") ;;
        --base) base="$2" ;;
        --ca-cert)
          [ -r "$2" ] || die "--ca-cert '$2' is not a readable file"
          ca_certs+=("$2")
          ;;
        --only)
          [[ "$2" =~ ^(service|postgres|redis)$ ]] || die "--only '$2' is not service, postgres or redis"
          only+=("$2")
          ;;
      esac
      shift
      ;;
    *)
      sed -n 's/^# \(Usage: .*\)/\1/p' "$0" >&2
      exit 1
      ;;
  esac
  shift
done
[ "${#only[@]}" -gt 0 ] || only=(service postgres redis)

wanted() {
  local name
  for name in "${only[@]}"; do [ "$name" = "$1" ] && return 0; done
  return 1
}

print_argv() {
  printf '%q' "$1"
  shift
  printf ' %q' "$@"
  printf '\n'
}

built=()
# Print the argv (dry run) or run it, timed; IMAGE is the tag whose size is printed at the end.
build() {
  local image="$1" started=$SECONDS
  shift
  if [ "$dry_run" -eq 1 ]; then
    print_argv "$@"
    return 0
  fi
  echo "== build-images: $image"
  "$@"
  echo "== build-images: $image built in $((SECONDS - started)) s"
  built+=("$image")
}

if [ "${#ca_certs[@]}" -gt 0 ] && [ "$dry_run" -eq 0 ]; then
  BUILD_CA_PEM="$(cat "${ca_certs[@]}")"
  export BUILD_CA_PEM
fi
if wanted service; then
  argv=(docker build --network host --file "$root/docker/Dockerfile")
  [ -z "$base" ] || argv+=(--build-arg "BASE_IMAGE=$base")
  # Without a value, docker takes BUILD_CA_PEM from its environment: the certificates never sit on a command line.
  [ "${#ca_certs[@]}" -eq 0 ] || argv+=(--build-arg BUILD_CA_PEM)
  for tag in "${tags[@]}"; do argv+=(--tag "$tag"); done
  argv+=("$root")
  build "${tags[0]}" "${argv[@]}"
fi
data_base="${base:-debian:bookworm-slim}"
if wanted postgres; then
  build intelluxe-postgres:15 docker build --network host --build-arg "BASE_IMAGE=$data_base" \
    --tag intelluxe-postgres:15 "$root/docker/postgres"
fi
if wanted redis; then
  build intelluxe-redis:7 docker build --network host --build-arg "BASE_IMAGE=$data_base" \
    --tag intelluxe-redis:7 "$root/docker/redis"
fi

[ "$dry_run" -eq 0 ] || exit 0
echo "== build-images: sizes"
for image in "${built[@]}"; do
  size="$(docker image inspect -f '{{.Size}}' "$image")"
  printf '%-28s %6d MB\n' "$image" "$((size / 1000000))"
done
