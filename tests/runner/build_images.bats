#!/usr/bin/env bats
# scripts/build-images.sh builds the service image from docker/Dockerfile and, for sites without a registry, the
# PostgreSQL and Redis images; scripts/build-base-image.sh builds their offline base. Argv only (docker stubbed):
# tests/docker/*.bats build and run the real images.

load test_helper

@test "dry run prints the docker build argv of the three images" {
  run "$RUNNER_ROOT/scripts/build-images.sh" --dry-run --tag 0.2.0
  assert_success
  assert_line --index 0 "docker build --network host --file $RUNNER_ROOT/docker/Dockerfile --tag intelluxe-service:latest --tag intelluxe-service:0.2.0 $RUNNER_ROOT"
  assert_line --index 1 "docker build --network host --build-arg BASE_IMAGE=debian:bookworm-slim --tag intelluxe-postgres:15 $RUNNER_ROOT/docker/postgres"
  assert_line --index 2 "docker build --network host --build-arg BASE_IMAGE=debian:bookworm-slim --tag intelluxe-redis:7 $RUNNER_ROOT/docker/redis"
  [ "${#lines[@]}" -eq 3 ]
}

@test "--base makes the local base image the base of all three (offline), --only picks images" {
  INTELLUXE_BASE_IMAGE=ignored:1 run "$RUNNER_ROOT/scripts/build-images.sh" --dry-run --base intelluxe-base:bookworm --only service --only redis
  assert_success
  assert_output "$(printf '%s\n' \
    "docker build --network host --file $RUNNER_ROOT/docker/Dockerfile --build-arg BASE_IMAGE=intelluxe-base:bookworm --tag intelluxe-service:latest $RUNNER_ROOT" \
    "docker build --network host --build-arg BASE_IMAGE=intelluxe-base:bookworm --tag intelluxe-redis:7 $RUNNER_ROOT/docker/redis")"
  INTELLUXE_BASE_IMAGE=intelluxe-base:bookworm run "$RUNNER_ROOT/scripts/build-images.sh" --dry-run --only postgres
  assert_output "docker build --network host --build-arg BASE_IMAGE=intelluxe-base:bookworm --tag intelluxe-postgres:15 $RUNNER_ROOT/docker/postgres"
}

@test "--ca-cert passes the certificates through docker's environment, never on the command line" {
  stub_docker
  printf -- '-----BEGIN CERTIFICATE-----\nMIIproxy\n-----END CERTIFICATE-----\n' >"$SANDBOX/proxy.crt"
  # The stub records what BUILD_CA_PEM the docker CLI was given.
  sed -i 's/^exit 0$/[ "${1:-}" = build ] \&\& printf "%s" "${BUILD_CA_PEM:-}" >"$SANDBOX\/build-ca.pem"\nexit 0/' "$STUB_BIN/docker"
  run "$RUNNER_ROOT/scripts/build-images.sh" --ca-cert "$SANDBOX/proxy.crt" --only service
  assert_success
  run docker_build_argv
  assert_line "BUILD_CA_PEM"
  refute_output --partial "MIIproxy"
  run cat "$SANDBOX/build-ca.pem"
  assert_output "$(cat "$SANDBOX/proxy.crt")"
}

@test "a real build calls docker with the same argv and prints each image's size" {
  stub_docker
  run "$RUNNER_ROOT/scripts/build-images.sh" --only service
  assert_success
  assert_line "== build-images: sizes"
  run docker_build_argv
  assert_output "$(printf -- 'build\n--network\nhost\n--file\n%s\n--tag\nintelluxe-service:latest\n%s' "$RUNNER_ROOT/docker/Dockerfile" "$RUNNER_ROOT")"
}

@test "every service conf names the image this script builds" {
  for conf in "$RUNNER_ROOT"/services/user/{insurance-verify,billing,compliance,audio-receiver,payer-sandbox}/*.conf; do
    run grep -c '^image="intelluxe-service:latest"$' "$conf"
    assert_output "1"
  done
}

@test "the postgres and redis confs name the registry images, overridable by the locally built ones" {
  run grep -x 'image=.*' "$RUNNER_ROOT/services/user/postgres/postgres.conf"
  assert_output 'image="${INTELLUXE_POSTGRES_IMAGE:-timescale/timescaledb:latest-pg15}"'
  run grep -x 'image=.*' "$RUNNER_ROOT/services/user/redis/redis.conf"
  assert_output 'image="${INTELLUXE_REDIS_IMAGE:-redis:7-alpine}"'
}

@test "the postgres conf mounts every file of postgres/init for the first start" {
  conf="$RUNNER_ROOT/services/user/postgres/postgres.conf"
  for sql in "$RUNNER_ROOT"/postgres/init/*.sql; do
    name="${sql##*/}"
    run grep -c -F "../../../postgres/init/$name:/docker-entrypoint-initdb.d/$name:ro" "$conf"
    assert_output "1"
  done
}

@test "unknown arguments print the usage" {
  run "$RUNNER_ROOT/scripts/build-images.sh" --push
  assert_failure
  assert_output "Usage: scripts/build-images.sh [--dry-run] [--tag TAG] [--base IMAGE] [--ca-cert FILE] [--only NAME]"
}

@test "build-base-image: dry run prints debootstrap and docker import" {
  run "$RUNNER_ROOT/scripts/build-base-image.sh" --dry-run --mirror http://mirror.example/debian
  assert_success
  assert_line --index 0 "debootstrap --variant=minbase --include=python3\\,python3-venv\\,ca-certificates bookworm ROOTFS http://mirror.example/debian"
  assert_line --index 1 "docker import --change ENV\\ LANG=C.UTF-8 --change CMD\\ \\[\\\"/bin/bash\\\"\\] - intelluxe-base:bookworm"
}

@test "build-base-image: --if-missing keeps an existing base" {
  stub_docker
  run "$RUNNER_ROOT/scripts/build-base-image.sh" --if-missing --tag my-base:1
  assert_success
  assert_output "build-base-image: my-base:1 exists, kept (--if-missing)"
  run cat "$SANDBOX/docker.calls"
  assert_output "$(printf -- '--- call\nimage\ninspect\nmy-base:1')"
}
