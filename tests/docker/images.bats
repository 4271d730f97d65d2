#!/usr/bin/env bats
# The images scripts/build-images.sh builds on the offline base: what each holds and what it must not.

load test_helper

# One container of the service image answers every question (each container is a full copy of the image under
# vfs storage): user, PATH, tools, imports, the Whisper model (no network: nothing may be downloaded).
setup_file() {
  require_docker
  docker run --rm --network none intelluxe-service:latest sh -c '
    echo "user=$(id -un)"
    echo "python=$(command -v python)"
    echo "tools=$(command -v gcc cc pip pip3 || echo none)"
    echo "pip=$(python -m pip --version 2>&1 | tail -n 1)"
    echo "build-files=$(ls /opt/build-ca.pem /etc/pip.conf 2>/dev/null | wc -l)"
    echo "root=$(ls /opt/intelluxe | tr "\n" " ")"
    python -c "import billing, compliance, insurance_verify, payer_sandbox, audio_receiver, core.web; print(\"imports=ok\")"
    python -c "
from faster_whisper import WhisperModel
from core.transcription.whisper_engines import default_model_path
path = default_model_path()
WhisperModel(str(path), device=\"cpu\", compute_type=\"int8\")
print(\"whisper=loaded\", path.name)"
  ' >"$BATS_FILE_TMPDIR/service.facts" 2>&1 || true
}

setup() {
  require_docker
  SANDBOX="$(mktemp -d "${BATS_TMPDIR:-/tmp}/usr-test.XXXXXX")"
}

teardown() {
  rm -rf "$SANDBOX"
}

facts() {
  cat "$BATS_FILE_TMPDIR/service.facts"
}

@test "base: Debian bookworm with python3 3.11 that any user can run" {
  docker image inspect intelluxe-base:bookworm >/dev/null || skip "no intelluxe-base:bookworm (built from a registry base)"
  run docker run --rm --user 65534 intelluxe-base:bookworm python3 -c 'import sys, ssl; print(sys.version_info[:2])'
  assert_success
  assert_output "(3, 11)"
  run docker run --rm intelluxe-base:bookworm sh -c 'find /var/lib/apt/lists /var/cache/apt /usr/share/doc -type f | wc -l'
  assert_output "0"
}

@test "service: runs as intelluxe with the venv first on PATH; no pip, no compiler, no build files" {
  run facts
  assert_line "user=intelluxe"
  assert_line "python=/opt/intelluxe/venv/bin/python"
  assert_line "tools=none"
  assert_line --regexp "^pip=.*No module named pip"
  assert_line "build-files=0"
  assert_line "root=config postgres venv "
}

@test "service: every service package imports and the healthcheck is the image's own" {
  run facts
  assert_line "imports=ok"
  run docker image inspect -f '{{json .Config.Healthcheck.Test}} {{.Config.User}}' intelluxe-service:latest
  assert_output '["CMD","python","-m","core.healthcheck"] intelluxe'
}

@test "service: the receiver's Whisper model is inside and loads without any network" {
  run facts
  assert_line --regexp '^whisper=loaded '
}

@test "service: the build stage's CA is not in the image's history" {
  run docker history --no-trunc intelluxe-service:latest
  assert_success
  refute_output --partial "BUILD_CA_PEM"
  refute_output --partial "BEGIN CERTIFICATE"
}

@test "postgres: PostgreSQL 15, and no first start without a password" {
  run docker run --rm --entrypoint postgres intelluxe-postgres:15 --version
  assert_output --regexp '^postgres \(PostgreSQL\) 15\.'
  run docker run --rm intelluxe-postgres:15
  assert_failure
  assert_output --partial "intelluxe-postgres: POSTGRES_PASSWORD is empty"
}

@test "redis: Debian's redis-server 7" {
  run docker run --rm --entrypoint redis-server intelluxe-redis:7 --version
  assert_output --regexp '^Redis server v=7\.'
}
