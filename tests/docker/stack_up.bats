#!/usr/bin/env bats
# `intelluxe up --backend docker`: the whole stack of config/stack.yml as containers, in dependency order, on this
# machine beside anything else (its confs derived with free loopback ports and its own network and data folders).
# Then what a clinic does through them: eligibility, a claim with its 837, the audit chain verified, a dictation
# over TLS into the receiver container; the secrets as read-only files; `down` then `up` keeps the data. The stack
# lives for the whole file (setup_file): a cold start is the figure docs/containers.md gives.

load test_helper

setup_file() {
  require_docker
  export TEST_ID="ilxs$$"
  export TEST_NET="$TEST_ID-net" TEST_DATA="$BATS_FILE_TMPDIR/data" CONFS="$BATS_FILE_TMPDIR/confs"
  export INTELLUXE_HOME="$BATS_FILE_TMPDIR/home"
  export INTELLUXE_POSTGRES_IMAGE=intelluxe-postgres:15 INTELLUXE_REDIS_IMAGE=intelluxe-redis:7
  mkdir -p "$TEST_DATA" "$CONFS" "$INTELLUXE_HOME"
  unset POSTGRES_URL REDIS_URL INTELLUXE_SERVICE_TOKEN INTELLUXE_MASTER_KEY
  ILX=("$RUNNER_ROOT/.venv/bin/intelluxe")
  [ -x "${ILX[0]}" ] || ILX=(intelluxe)
  export ILX_BIN="${ILX[0]}"
  local stack="$CONFS/stack.yml" name port
  printf 'infrastructure:\n' >"$stack"
  for name in postgres redis; do
    port="$(free_port)"
    export "PORT_${name^^}=$port"
    derive_conf "$name" "$CONFS/$name.conf" "$port"
    printf '  - name: %s\n    conf: %s\n' "$name" "$CONFS/$name.conf" >>"$stack"
  done
  printf 'services:\n' >>"$stack"
  # The committed stack's order and needs, each conf on a free port.
  while IFS=$'\t' read -r name needs; do
    port="$(free_port)"
    export "PORT_${name//-/_}=$port"
    derive_conf "$name" "$CONFS/$name.conf" "$port"
    printf '  - name: %s\n    conf: %s\n    needs: [%s]\n' "$name" "$CONFS/$name.conf" "$needs" >>"$stack"
  done < <("$RUNNER_ROOT/.venv/bin/python" -c '
import yaml, sys
for e in yaml.safe_load(open(sys.argv[1]))["services"]:
    print(e["name"], ", ".join(e.get("needs") or []), sep="\t")' "$RUNNER_ROOT/config/stack.yml")
  export INTELLUXE_STACK_FILE="$stack"
  # Every migration in postgres/init, so a new one does not need this file changed.
  MIGRATIONS="$(find "$RUNNER_ROOT/postgres/init" -maxdepth 1 -name '*.sql' | wc -l)"
  export MIGRATIONS
  export INTELLUXE_AUDIO_URL="wss://localhost:${PORT_audio_receiver}/dictation"
  local started=$SECONDS
  "$ILX_BIN" up --backend docker --timeout 300 >"$BATS_FILE_TMPDIR/up.out" 2>&1 ||
    { cat "$BATS_FILE_TMPDIR/up.out" >&2; return 1; }
  echo "# cold intelluxe up --backend docker: $((SECONDS - started)) s" >&3
}

teardown_file() {
  [ -n "${TEST_ID:-}" ] || return 0
  # To look at the stack after a failure: INTELLUXE_KEEP_STACK=1 bats --no-tempdir-cleanup tests/docker/stack_up.bats
  [ -z "${INTELLUXE_KEEP_STACK:-}" ] || return 0
  "$ILX_BIN" down >/dev/null 2>&1 || true
  local name
  for name in postgres redis payer-sandbox insurance-verify billing compliance console audio-receiver agentcare-mcp; do
    docker rm -f "$name" >/dev/null 2>&1 || true
  done
  docker network rm "$TEST_NET" >/dev/null 2>&1 || true
  rm -rf "$TEST_DATA"
}

setup() {
  require_docker
}

teardown() {
  :
}

owner_url() {
  local password
  password="$(sed -n 's/^POSTGRES_PASSWORD=//p' "$INTELLUXE_HOME/secrets.env")"
  printf 'postgresql://intelluxe:%s@127.0.0.1:%s/intelluxe' "$password" "$PORT_POSTGRES"
}

owner_sql() {
  psql "$(owner_url)" -tAX -c "$1"
}

# POST/GET JSON with a bearer token; prints the body, then the status code on its own last line.
api() {
  local method="$1" url="$2" token="$3" body="${4:-}"
  local -a args=(-s -m 60 -X "$method" -H "Authorization: Bearer $token" -w '\n%{http_code}')
  [ -z "$body" ] || args+=(-H 'Content-Type: application/json' -d "$body")
  curl "${args[@]}" "$url"
}

json_field() {
  "$RUNNER_ROOT/.venv/bin/python" -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"
}

@test "up: databases first, migrations, then every service healthy in the stack's order; status lists them all" {
  run cat "$BATS_FILE_TMPDIR/up.out"
  assert_line --regexp "^migrations applied $MIGRATIONS, already applied 0 \\(postgresql://intelluxe@127\\.0\\.0\\.1:$PORT_POSTGRES/intelluxe\\)\$"
  order="$(grep -oE '^[a-z-]+ +starting \(docker\)' "$BATS_FILE_TMPDIR/up.out" | awk '{print $1}' | paste -sd' ')"
  [ "$order" = "postgres redis payer-sandbox insurance-verify billing compliance console audio-receiver agentcare-mcp" ]
  run "$ILX_BIN" status
  assert_success
  assert_line --regexp "^postgres +running +healthy +postgresql://127\.0\.0\.1:$PORT_POSTGRES "
  assert_line --regexp "^audio-receiver +running +healthy +https://localhost:$PORT_audio_receiver "
  assert_line --regexp "^console +running +healthy +https://localhost:$PORT_console "
  assert_line --regexp "^agentcare-mcp +running +healthy +http://127\.0\.0\.1:$PORT_agentcare_mcp/mcp "
  [ "$(grep -c ' running  *healthy ' <<<"$output")" -eq 9 ]
  refute_output --partial "embedded"
}

@test "up again changes nothing" {
  run "$ILX_BIN" up --backend docker
  assert_success
  refute_output --partial "starting (docker)"
  [ "$(grep -c 'already running and healthy' <<<"$output")" -eq 9 ]
  assert_line "migrations applied 0, already applied $MIGRATIONS (postgresql://intelluxe@127.0.0.1:$PORT_POSTGRES/intelluxe)"
}

@test "the services log in as the least-privilege role, never as the owner of the audit log" {
  run owner_sql "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'intelluxe' AND usename <> 'intelluxe'"
  assert_success
  assert_output "intelluxe_service"
  run owner_sql "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = 'intelluxe_service'"
  assert_output "f|f"
}

@test "secrets are read-only files in the containers: never in their environment, in docker inspect or in an image" {
  token="$(cat "$INTELLUXE_HOME/run/service-token")"
  master="$(cat "$INTELLUXE_HOME/master.key")"
  for name in billing audio-receiver insurance-verify; do
    run docker inspect "$name"
    refute_output --partial "$token"
    refute_output --partial "$master"
  done
  run docker exec billing cat /run/secrets/intelluxe-service-token
  assert_output "$token"
  run docker exec billing sh -c 'echo x >/run/secrets/intelluxe-service-token'
  assert_failure
  run docker exec billing sh -c 'tr "\0" "\n" </proc/1/environ'
  refute_output --partial "$token"
  # The receiver gets its certificate and key, and the CA the health check trusts; never the CA's own key.
  run docker exec audio-receiver ls /etc/intelluxe/tls
  assert_output "$(printf 'ca.pem\ncert.pem\nkey.pem')"
  run docker exec billing ls /run/secrets
  assert_output "intelluxe-service-token"
  [ "$(stat -c '%a' "$INTELLUXE_HOME/container-secrets")" = 700 ]
}

@test "a clinic's day through the containers: eligibility, a claim with its 837, the audit chain verified" {
  export POSTGRES_URL
  POSTGRES_URL="$(owner_url)"
  token="$("$ILX_BIN" token issue --name "desk-$TEST_ID" --role billing)"
  run api POST "http://127.0.0.1:$PORT_insurance_verify/verify" "$token" \
    '{"member_id": "XYZ100000001", "provider_id": "dr-smith", "service_codes": ["99213"], "service_date": "2026-11-20"}'
  assert_line --index 1 200
  [ "$(head -n 1 <<<"$output" | json_field eligibility_status)" = active ]
  # billing → insurance-verify with the mounted service token → the payer sandbox's X12 271.
  run api POST "http://127.0.0.1:$PORT_billing/create_claim" "$token" \
    '{"patient_data": {"patient_id": "P-DOCKER", "provider_id": "dr-smith", "member_id": "XYZ100000001"},
      "services": [{"code": "99213", "amount": "150.00", "allowed_amount": "100.00", "diagnosis_codes": ["J06.9"]}]}'
  assert_line --index 1 200
  [ "$(head -n 1 <<<"$output" | json_field patient_responsibility)" = 25.0 ]
  claim_id="$(head -n 1 <<<"$output" | json_field claim_id)"
  echo "$claim_id" >"$BATS_FILE_TMPDIR/claim_id"
  run curl -s -m 30 -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT_billing/claims/$claim_id/837"
  assert_success
  assert_output --regexp '^ISA\*'
  assert_output --partial 'CLM*'
  run "$ILX_BIN" audit verify
  assert_success
  assert_output --partial "intact"
  # Each step is an audit row, written by the services' role; the chain above covers them.
  run owner_sql "SELECT string_agg(DISTINCT action || ':' || resource_type, ' ' ORDER BY action || ':' || resource_type)
                 FROM audit_log WHERE resource_type IN ('claim', 'eligibility')"
  assert_output "create:claim export:claim verify:eligibility"
}

@test "a doctor dictates over TLS into the receiver container and gets the text back" {
  command -v espeak-ng >/dev/null && command -v sox >/dev/null || skip "espeak-ng and sox make the clip"
  export POSTGRES_URL
  POSTGRES_URL="$(owner_url)"
  run "$ILX_BIN" enroll-doctor "dr-docker-$TEST_ID" --out "$BATS_FILE_TMPDIR/client.json"
  assert_success
  espeak-ng -v en-us -s 150 -w "$BATS_FILE_TMPDIR/raw.wav" "The patient has a cough and a fever for three days."
  sox -D -V1 "$BATS_FILE_TMPDIR/raw.wav" -r 16000 -c 1 -b 16 -e signed-integer "$BATS_FILE_TMPDIR/clip.wav" pad 0.5 1
  run "$RUNNER_ROOT/.venv/bin/python" -m intelluxe_audio_client --config "$BATS_FILE_TMPDIR/client.json" \
    --wav "$BATS_FILE_TMPDIR/clip.wav" --pace 0 --out "$BATS_FILE_TMPDIR/note.txt"
  assert_success
  run tr '[:upper:]' '[:lower:]' <"$BATS_FILE_TMPDIR/note.txt"
  assert_output --partial "cough"
  assert_output --partial "fever"
}

@test "down removes the containers and keeps the data: up again finds the claim and the chain intact" {
  [ -f "$BATS_FILE_TMPDIR/claim_id" ] || skip "needs the claim of the test before"
  run "$ILX_BIN" down
  assert_success
  for name in billing postgres audio-receiver; do
    run docker ps -aq --filter "name=^/$name\$"
    assert_output ""
  done
  run "$ILX_BIN" up --backend docker --timeout 300
  assert_success
  assert_line "migrations applied 0, already applied $MIGRATIONS (postgresql://intelluxe@127.0.0.1:$PORT_POSTGRES/intelluxe)"
  export POSTGRES_URL
  POSTGRES_URL="$(owner_url)"
  token="$("$ILX_BIN" token issue --name "desk2-$TEST_ID" --role billing)"
  claim_id="$(cat "$BATS_FILE_TMPDIR/claim_id")"
  run api GET "http://127.0.0.1:$PORT_billing/claims/$claim_id" "$token"
  assert_line --index 1 200
  run "$ILX_BIN" audit verify
  assert_success
}
