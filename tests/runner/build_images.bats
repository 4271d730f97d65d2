#!/usr/bin/env bats
# scripts/build-images.sh builds the one service image from docker/Dockerfile.

load test_helper

@test "dry run prints the docker build argv" {
  run "$RUNNER_ROOT/scripts/build-images.sh" --dry-run --tag 0.2.0
  assert_success
  assert_output "docker build --file $RUNNER_ROOT/docker/Dockerfile --tag intelluxe-service:latest --tag intelluxe-service:0.2.0 $RUNNER_ROOT"
}

@test "a real build calls docker with the same argv" {
  stub_docker
  run "$RUNNER_ROOT/scripts/build-images.sh"
  assert_success
  run cat "$SANDBOX/docker.calls"
  assert_output "$(printf -- '--- call\nbuild\n--file\n%s\n--tag\nintelluxe-service:latest\n%s' "$RUNNER_ROOT/docker/Dockerfile" "$RUNNER_ROOT")"
}

@test "every service conf names the image this script builds" {
  for conf in "$RUNNER_ROOT"/services/user/{insurance-verify,billing,compliance,audio-receiver}/*.conf; do
    run grep -c '^image="intelluxe-service:latest"$' "$conf"
    assert_output "1"
  done
}

@test "unknown arguments print the usage" {
  run "$RUNNER_ROOT/scripts/build-images.sh" --push
  assert_failure
  assert_output "Usage: scripts/build-images.sh [--dry-run] [--tag TAG]"
}
